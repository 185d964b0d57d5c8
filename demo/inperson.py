"""The demo's in-person training (seed-demo, after the history): sessions the MONUSCO mission
trainer gave in the last year to units whose people had no certificate, with attendance, paper
scores and the in-person completions and certificates a pass brings, and two outside certificates
the lead recognised. Everything goes through the real services (inperson.services,
recognition.services), as a trainer's sync and a lead's form would: a few hundred rows."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from accounts.models import Deployment, Mission, Unit, User
from certificates.models import Certificate
from database import utcnow
from demo.history import COURSE, LEAD
from extensions import db
from inperson.models import TrainingSession
from inperson.services import Mark, apply_marks, plan_session
from recognition.services import Details, record_outside_certificate, requirements_for_person
from training.models import Course

MISSION_TRAINER = "MTR-0001"
# (days ago, place): one session each, for the unit with the most people still untrained that day.
SESSIONS = [(320, "Goma, MONUSCO base"), (250, "Bunia, camp"), (180, "Beni, company base"),
            (120, "Bukavu, MONUSCO base"), (75, "Goma, MONUSCO base"), (40, "Uvira, company base"),
            (12, "Beni, company base")]
ATTENDEES = 10  # per session (a section), of whom about 1 in 5 fails the paper quiz
PASS_MARK = 70
RECOGNISED = [("UNITAR", "Child Protection in UN Peace Operations (e-learning)"),
              ("UN DPO Integrated Training Service", "Specialised Training Materials: Child Protection")]


def seed_in_person(now: datetime | None = None) -> str:
    now = now or utcnow()
    mission = db.session.scalar(select(Mission).filter_by(code="MONUSCO"))
    course = db.session.scalar(select(Course).filter_by(code=COURSE))
    trainer = db.session.scalar(select(User).filter_by(service_number=MISSION_TRAINER))
    if mission is None or course is None or trainer is None:
        return "no MONUSCO, course or mission trainer; no in-person training added"
    if db.session.scalar(select(TrainingSession.id).where(TrainingSession.mission_id == mission.id).limit(1)):
        return "in-person training already present"
    rng = random.Random(2026)  # noqa: S311 (made-up demo scores, not a secret)
    untrained = _untrained(mission, course)
    language = "fr" if "fr" in course.language_list else course.default_language
    sessions = present = passed = 0
    used_units: set[int] = set()
    for days_ago, place in SESSIONS:
        held_on = now.date() - timedelta(days=days_ago)
        unit_id, people = _busiest_unit(untrained, held_on, used_units)
        if not people:
            continue
        used_units.add(unit_id)
        session = plan_session(actor=trainer, course=course, module_ids=[], mission=mission, unit_ids=[unit_id],
                               place=place, held_on=held_on, language=language, pass_mark=PASS_MARK)
        chosen = people[:ATTENDEES]
        marked_at = datetime.combine(held_on, time(15, 0), tzinfo=UTC)
        marks = [Mark(f"demo-{session.id}-{person.id}", person.service_number, True,
                      rng.choice([45, 55, 60]) if rng.random() < 0.2 else rng.randint(PASS_MARK, 100), marked_at)
                 for person in chosen]
        result = apply_marks(session, marks, actor=trainer, now=min(now, marked_at + timedelta(hours=2)))
        sessions, present, passed = sessions + 1, present + len(marks), passed + len(result.completed)
        for person in chosen:
            untrained.pop(person.id, None)
    recognised = _recognise(untrained, now.date())
    return (f"{sessions} in-person sessions in MONUSCO: {present} present, {passed} passed (in-person certificates); "
            f"{recognised} outside certificates recognised")


def _untrained(mission: Mission, course: Course) -> dict[int, tuple[User, int, date]]:
    """MONUSCO's people deployed now, in a unit, with no certificate of the course: id -> (person, unit, arrival)."""
    certified = select(Certificate.user_id).where(Certificate.course_id == course.id)
    found = db.session.execute(
        select(User, Deployment.unit_id, Deployment.arrival_on).join(Deployment, Deployment.user_id == User.id)
        .join(Unit, Unit.id == Deployment.unit_id)
        .where(Deployment.mission_id == mission.id, Deployment.departure_on.is_(None), User.is_active,
               User.service_number.like("DEMO-M%"), User.id.not_in(certified))
        .order_by(User.id))
    return {user.id: (user, unit_id, arrival_on) for user, unit_id, arrival_on in found}


def _busiest_unit(untrained: dict, held_on: date, used: set[int]) -> tuple[int | None, list[User]]:
    """The unit (not trained here before) with the most untrained people already there on `held_on`."""
    by_unit: dict[int, list[User]] = {}
    for user, unit_id, arrival_on in untrained.values():
        if arrival_on < held_on and unit_id not in used:
            by_unit.setdefault(unit_id, []).append(user)
    if not by_unit:
        return None, []
    unit_id = max(by_unit, key=lambda key: (len(by_unit[key]), -key))
    return unit_id, by_unit[unit_id]


def _recognise(untrained: dict, today: date) -> int:
    """Two people the lead recognises an outside certificate for (evidence would be a scan; none here)."""
    lead = db.session.scalar(select(User).filter_by(service_number=LEAD))
    done = 0
    for (issuer, course_name), (person, _unit, _arrival) in zip(RECOGNISED, list(untrained.values())[::97],
                                                                 strict=False):
        requirements = requirements_for_person(person, today)
        if not requirements or lead is None:
            continue
        completed_on = today - timedelta(days=200 + 60 * done)
        record_outside_certificate(person, requirements[0], Details(
            issuer=issuer, course_name=course_name, completed_on=completed_on,
            certificate_expires_on=completed_on + timedelta(days=3 * 365),
            recognised_until=today + timedelta(days=365)), actor=lead, source="demo")
        done += 1
    return done
