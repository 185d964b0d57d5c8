from __future__ import annotations

import itertools

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
