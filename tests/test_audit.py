from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select, update

from audit.models import AuditEvent
from audit.services import record
from core.spreadsheet import safe_cell
from extensions import db
from tests.factories import PASSWORD


def _events(n: int, admin) -> None:
    for i in range(n):
        record("test_event", actor=admin, target=f"thing:{i}", note=f"number {i}")
    db.session.commit()


def test_chain_links_each_row_to_the_previous(app, admin):
    _events(3, admin)
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert rows[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))


def test_audit_verify_passes_on_an_intact_chain(runner, admin):
    _events(5, admin)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "5 events verified" in result.output


def test_audit_verify_names_the_edited_row(runner, admin):
    _events(5, admin)
    target_id = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()[2]
    # Tamper with the stored row directly, as someone with database access would.
    db.session.execute(update(AuditEvent).where(AuditEvent.id == target_id).values(target="thing:forged"))
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0
    assert f"broken at event {target_id}" in result.output


def test_audit_verify_catches_a_deleted_row(runner, admin):
    _events(4, admin)
    second = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()[1]
    db.session.delete(second)
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and "previous-hash" in result.output


def test_sign_in_events_never_hold_the_password(client, learner):
    client.post("/sign-in", data={"identifier": learner.service_number, "password": PASSWORD})
    client.post("/sign-out")
    client.post("/sign-in", data={"identifier": learner.service_number, "password": "wrong-secret-123"})
    details = " ".join(str(e.details) for e in db.session.scalars(select(AuditEvent)))
    assert PASSWORD not in details and "wrong-secret-123" not in details
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["sign_in", "sign_out", "sign_in_failed"]


def test_secret_keys_are_dropped_from_details(app):
    event = record("x", password="hunter2", answer_key="b", note="kept")
    assert event.details == {"note": "kept"}


def test_hq_and_admin_browse_others_cannot(client, hq, admin, lead, learner, login):
    for user, status in ((hq, 200), (admin, 200), (lead, 403), (learner, 403)):
        login(client, user)
        assert client.get("/audit/").status_code == status
        client.post("/sign-out")


def test_only_admin_exports_and_export_is_logged_and_escaped(client, hq, admin, login):
    record("test_event", actor=admin, target="=HYPERLINK(\"http://evil\")")
    db.session.commit()
    login(client, hq)
    assert client.get("/audit/export.csv").status_code == 403
    client.post("/sign-out")
    login(client, admin)
    response = client.get("/audit/export.csv")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "'=HYPERLINK" in body and ",=HYPERLINK" not in body
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "audit_exported")) is not None


def test_safe_cell_escapes_every_formula_prefix():
    for prefix in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(prefix + "1+1").startswith("'")
    assert safe_cell("plain") == "plain" and safe_cell(5) == 5


# --- keyed chain and signed checkpoints (issue 16, item 7) --------------------------------------------

def _rewrite_from(target_id: int, key: bytes | None, **changes) -> None:
    """What someone with database access would do: edit a row, then recompute every hash after it."""
    from audit.chain import GENESIS, row_hash

    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    prev = GENESIS
    for row in rows:
        if row.id == target_id:
            for name, value in changes.items():
                setattr(row, name, value)
        row.prev_hash = prev
        row.hash = prev = row_hash(row, key, prev_hash=prev)
    db.session.commit()


@pytest.mark.parametrize("guessed_key", [None, b"not-the-audit-key"])
def test_rewriting_a_row_and_recomputing_the_hashes_is_detected(runner, admin, guessed_key):
    _events(5, admin)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # as the daily check would have
    target_id = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()[1]
    _rewrite_from(target_id, guessed_key, target="thing:forged")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and "broken at event" in result.output
    # Passing the rewrite off as an old unkeyed chain does not work either.
    result = runner.invoke(args=["audit", "rekey"])
    assert result.exit_code != 0 and "rewritten" in result.output


def test_deleting_the_newest_events_is_reported_against_the_last_checkpoint(runner, admin):
    _events(5, admin)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # writes the checkpoint
    newest = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(2)).all()
    for event in newest:
        db.session.delete(event)
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and "truncated" in result.output and "5 events" in result.output
    _events(2, admin)  # new events after the cut do not hide it: the checkpointed event is gone
    assert runner.invoke(args=["audit", "verify"]).exit_code != 0


def test_a_chain_that_grows_after_a_checkpoint_still_verifies(runner, admin):
    _events(3, admin)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    _events(2, admin)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "5 events verified" in result.output


def test_a_forged_checkpoint_is_refused(app, runner, admin):
    import json
    from pathlib import Path

    _events(3, admin)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    path = Path(app.config["AUDIT_CHECKPOINT_PATH"])
    record_ = json.loads(path.read_text().splitlines()[-1])
    path.write_text(json.dumps({**record_, "last_id": 1, "count": 1}) + "\n")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and "not signed with this audit key" in result.output


def test_an_unkeyed_chain_from_an_older_version_is_rekeyed_once(runner, admin):
    _events(4, admin)
    first = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).first()
    _rewrite_from(first, None)  # the chain as older versions wrote it (plain SHA-256)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and "flask audit rekey" in result.output
    result = runner.invoke(args=["audit", "rekey"])
    assert result.exit_code == 0 and "re-keyed 4 events" in result.output
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    assert "already keyed" in runner.invoke(args=["audit", "rekey"]).output


def test_rekey_refuses_an_unkeyed_chain_that_was_tampered_with(runner, admin):
    _events(3, admin)
    ids = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    _rewrite_from(ids[0], None)
    db.session.execute(update(AuditEvent).where(AuditEvent.id == ids[1]).values(target="thing:forged"))
    db.session.commit()
    before = db.session.scalars(select(AuditEvent.hash).order_by(AuditEvent.id)).all()
    result = runner.invoke(args=["audit", "rekey"])
    assert result.exit_code != 0 and f"broken at event {ids[1]}" in result.output
    assert db.session.scalars(select(AuditEvent.hash).order_by(AuditEvent.id)).all() == before
