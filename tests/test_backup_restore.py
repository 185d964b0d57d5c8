"""Restore drill on both engines: back up, destroy, restore into an empty database, use it."""

from __future__ import annotations

from sqlalchemy import func, inspect, select, text

from audit.models import AuditEvent
from audit.services import record
from certificates import services as certificate_services
from certificates.models import Certificate
from extensions import db
from tests import report_factories as rf
from tests.conftest import login_as


def _destroy() -> None:
    """What a lost disk or a dropped database leaves: no tables at all."""
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        schema = db.session.scalar(text("SELECT current_schema()"))
        db.session.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        db.session.commit()
    else:
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
    db.session.remove()
    db.engine.dispose()
    assert not inspect(db.engine).get_table_names()


def test_restore_drill(app, client, runner, mission_a, mission_b, lead, tmp_path):
    scenario = rf.build(mission_a, mission_b)
    record("drill_marker", actor=lead, target="backup")
    db.session.commit()
    certificate = db.session.scalar(select(Certificate).where(Certificate.status == "valid").limit(1))
    code, payload, key_id = certificate.code, certificate_services.payload_of(certificate), certificate.key_id
    events = db.session.scalar(select(func.count(AuditEvent.id)))
    lead_number, mission_id = lead.service_number, mission_a.id
    due_id, course_id = scenario.people["due1"].id, scenario.course.id
    target = tmp_path / "drill.backup"

    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "KEY_ENCRYPTION_KEY" in result.output
    assert runner.invoke(args=["backup", str(target)]).exit_code != 0  # never overwrites a backup

    _destroy()
    result = runner.invoke(args=["restore", str(target)])
    assert result.exit_code == 0, result.output
    db.session.remove()

    assert db.session.scalar(select(func.count(AuditEvent.id))) == events
    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0 and f"{events} events verified" in verify.output, verify.output
    assert client.get(f"/verify/{code}.json").get_json()["status"] == "valid"           # online
    offline = runner.invoke(args=["verify-offline", payload])
    assert offline.exit_code == 0 and "VALID" in offline.output                            # offline
    response = client.post("/sign-in", data={"identifier": lead_number, "password": rf.factories.PASSWORD})
    assert response.status_code == 302                                                     # sign-in
    board = client.get(f"/missions/{mission_id}/dashboard")
    assert board.status_code == 200 and b"A-MED-2" in board.data
    # The restored key still signs: a new certificate verifies with the same published key.
    from accounts.models import User
    from training.models import Course

    new = certificate_services.issue_for_course(db.session.get(User, due_id), db.session.get(Course, course_id))
    db.session.commit()
    assert new.key_id == key_id


def test_restore_refuses_a_database_that_is_not_empty(app, runner, learner, tmp_path):
    target = tmp_path / "full.backup"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    result = runner.invoke(args=["restore", str(target)])
    assert result.exit_code != 0 and "not empty" in result.output
    assert db.session.scalar(select(func.count()).select_from(type(learner))) >= 1


def test_restore_refuses_a_file_that_is_not_a_backup(app, runner, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    result = runner.invoke(args=["restore", str(junk)])
    assert result.exit_code != 0 and "is not a" in result.output


def test_sign_in_after_restore_uses_the_restored_password(app, client, runner, learner, tmp_path):
    number = learner.service_number
    target = tmp_path / "people.backup"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    _destroy()
    assert runner.invoke(args=["restore", str(target)]).exit_code == 0
    db.session.remove()
    bad = client.post("/sign-in", data={"identifier": number, "password": "wrong-password-here"})
    assert bad.status_code == 200
    login_as(client, type(learner)(service_number=number))
