"""The demo's readiness history (seed-demo's last step): expired and revoked certificates, overdue
people, passed and failed attempts, and dashboards that show true, non-zero figures on first run.
One test: seed-demo takes a few seconds."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select

from accounts.models import Mission, User
from certificates.models import Certificate
from demo.history import seed_history
from demo.inperson import seed_in_person
from demo.people import DEMO_PASSWORD
from extensions import db
from inperson.models import Attendance, TrainingSession
from quizzes.models import Attempt
from readiness.rule import readiness_rows
from recognition.models import OutsideCertificate
from tests import report_factories as rf
from tests.conftest import login_as
from training.models import Requirement


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def test_seed_demo_history_and_its_dashboards(app, client, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "readiness history:" in result.output and "1 revoked" in result.output
    now = datetime.now(timezone.utc)

    certificates = db.session.scalars(select(Certificate)).all()
    expired = [c for c in certificates if c.status == "valid" and c.expires_at.replace(tzinfo=timezone.utc) <= now]
    revoked = [c for c in certificates if c.status == "revoked"]
    assert expired and len(revoked) == 1
    assert revoked[0].revoked_reason and revoked[0].revoked_by_id is not None
    holder = db.session.get(User, revoked[0].user_id)  # as promised: not in the demo lead's mission
    assert holder.current_deployment().mission.code != "MONUSCO"
    assert _count(select(Attempt.id).where(Attempt.is_passed.is_(True))) > 0
    assert _count(select(Attempt.id).where(Attempt.is_passed.is_(False))) > 0
    rows = readiness_rows().subquery()
    by_status = dict(db.session.execute(select(rows.c.status, func.count()).group_by(rows.c.status)).all())
    assert all(by_status.get(s, 0) > 0 for s in ("cleared", "due", "overdue", "expired")), by_status

    # A second seed adds nothing.
    assert "history already present" in seed_history()
    assert db.session.scalar(select(func.count(Certificate.id))) == len(certificates)

    # The demo lead's MONUSCO dashboard: the headline equals the per-person rule, none of it zero.
    monusco = db.session.scalar(select(Mission).filter_by(code="MONUSCO"))
    requirement = db.session.scalar(select(Requirement).where(Requirement.mission_kind == monusco.kind,
                                                              Requirement.is_active.is_(True)))
    statuses = rf.truth(monusco, requirement)
    # rf.truth knows certificates only: the two people the demo lead recognised are cleared too.
    recognised = db.session.scalars(select(OutsideCertificate).where(OutsideCertificate.removed_at.is_(None))).all()
    assert len(recognised) == 2 and all(statuses[o.user_id] != "cleared" for o in recognised)
    statuses |= {o.user_id: "cleared" for o in recognised}
    truth = rf.status_counts(statuses)
    lead = db.session.scalar(select(User).filter_by(service_number="LEAD-0001"))
    login_as(client, lead, password=DEMO_PASSWORD)
    html = client.get(f"/missions/{monusco.id}/dashboard").get_data(as_text=True)
    headline = rf.table(html, "Readiness per required course").body()[0]
    assert [rf.number(headline[c]) for c in (2, 3, 4)] == [truth["cleared"], truth["due"], truth["overdue"]]
    assert rf.number(headline[1]) == sum(truth.values()) > 0
    assert truth["cleared"] > 0 and truth["overdue"] > 0
    assert sum(rf.number(r[1]) for r in rf.table(html, "People who completed each module").body()) > 0
    assert sum(rf.number(r[1]) for r in rf.table(html, "Course completions (certificates").body()) > 0
    assert rf.table(html, "Overdue and expired").body()

    # Issue #18: the mission trainer's sessions, their passes as in-person certificates, and the
    # dashboard's split and sessions chart, equal to what the database holds.
    assert "in-person training:" in result.output and "mission-trainer@demo.example" in result.output
    trainer = db.session.scalar(select(User).filter_by(service_number="MTR-0001"))
    assert trainer.has_role("mission_trainer")
    sessions = db.session.scalars(select(TrainingSession).where(TrainingSession.mission_id == monusco.id)).all()
    assert len(sessions) >= 5 and all(trainer in s.trainers for s in sessions)
    months = {s.held_on.strftime("%Y-%m") for s in sessions}
    assert len(months) >= 5
    passed = _count(select(Attendance.id).where(Attendance.completed_at.is_not(None)))
    assert 0 < passed < _count(select(Attendance.id).where(Attendance.is_present.is_(True)))
    # Each pass earned a certificate: in person, or mixed for those who had begun online.
    assert _count(select(Certificate.id).where(Certificate.delivery_mode.in_(["in_person", "mixed"]))) == passed
    split = dict.fromkeys(("online", "in_person", "mixed", "recognised"), 0)
    for user_id, status in statuses.items():
        if status == "cleared":
            mode = db.session.scalar(select(Certificate.delivery_mode).where(
                Certificate.user_id == user_id, Certificate.course_id == requirement.course_id,
                Certificate.status == "valid"))
            split["recognised" if mode is None else mode] += 1
    delivery = rf.table(html, "Cleared, by how the training was given").body()[0]
    assert [rf.number(c) for c in delivery[1:]] == [truth["cleared"], *split.values()]
    assert split["in_person"] > 0 and split["recognised"] == 2
    chart = rf.table(html, "In-person sessions held per month").body()
    assert sum(rf.number(r[1]) for r in chart) == len(sessions)
    assert seed_in_person() == "in-person training already present"  # a second seed adds none

    # The HQ view: every peacekeeping and political mission has people and someone cleared.
    hq = db.session.scalar(select(User).filter_by(service_number="HQ-0001"))
    hq_client = app.test_client()
    login_as(hq_client, hq, password=DEMO_PASSWORD)
    page = hq_client.get("/hq").get_data(as_text=True)
    for kind in ("Peacekeeping", "Political"):
        for row in rf.table(page, f"{kind} missions").body():
            assert rf.number(row[1]) > 0, row
            assert row[2] != "0% (0)" and "No course required" not in row[2], row
    assert "of whom" in rf.table(page, "Peacekeeping missions").row("MONUSCO")[2]  # the split, per mission
