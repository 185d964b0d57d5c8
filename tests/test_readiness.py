"""Readiness in SQL equals readiness in Python, on generated data."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from accounts.models import Deployment, User
from certificates.models import Certificate
from extensions import db
from readiness.rule import readiness_counts, readiness_of, readiness_rows, requirements_for
from tests.factories import make_mission, make_unit
from training.models import Course, Requirement

TODAY = date(2026, 6, 15)
MOMENT = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc)


def test_the_rule_for_one_person():
    arrival = date(2026, 6, 1)
    assert readiness_of(arrival, 30, None, MOMENT).status == "due"
    assert readiness_of(arrival, 14, None, MOMENT).status == "due"  # due on the 15th: still due that day
    assert readiness_of(arrival, 13, None, MOMENT).status == "overdue"
    assert readiness_of(arrival, -1, None, MOMENT).status == "overdue"
    assert readiness_of(arrival, 0, MOMENT + timedelta(days=1), MOMENT).status == "cleared"
    expired = readiness_of(arrival, 0, MOMENT - timedelta(days=3), MOMENT)
    assert expired.status == "expired" and expired.expired_on == date(2026, 6, 12)


def _generate(seed: int) -> None:
    rng = random.Random(seed)
    missions = [make_mission(kind=kind) for kind in ("peacekeeping", "peacekeeping", "political", "peacebuilding")]
    units = {m.id: [make_unit(m), make_unit(m)] for m in missions}
    courses = [Course(code=f"c{seed}-{n}", title={"en": f"Course {n}"}) for n in range(3)]
    db.session.add_all(courses)
    db.session.flush()
    for course in courses:
        mission = rng.choice(missions)
        db.session.add(Requirement(course_id=course.id, mission_id=mission.id,
                                   categories=",".join(rng.sample(["military", "police", "civilian"], rng.randint(1, 3))),
                                   due_days=rng.randint(-30, 60)))
        db.session.add(Requirement(course_id=course.id, mission_kind=rng.choice(["peacekeeping", "political"]),
                                   categories="military,police", due_days=rng.randint(-10, 30),
                                   is_active=rng.random() < 0.8))
    for n in range(60):
        user = User(service_number=f"G{seed}-{n}", name=f"Gen {n}", category=rng.choice(["military", "police", "civilian"]),
                    is_active=rng.random() < 0.95)
        db.session.add(user)
        db.session.flush()
        arrival = TODAY - timedelta(days=rng.randint(-40, 400))
        for _rotation in range(rng.randint(0, 2)):  # earlier deployments, closed before the next
            earlier = arrival - timedelta(days=rng.randint(100, 300))
            mission = rng.choice(missions)
            db.session.add(Deployment(user=user, mission=mission, unit=rng.choice(units[mission.id]),
                                      arrival_on=earlier, departure_on=arrival - timedelta(days=1)))
        mission = rng.choice(missions)
        departed = TODAY - timedelta(days=rng.randint(1, 20)) if rng.random() < 0.1 else None
        db.session.add(Deployment(user=user, mission=mission, unit=rng.choice(units[mission.id]),
                                  arrival_on=min(arrival, departed) if departed else arrival, departure_on=departed))
        for course in courses:
            roll = rng.random()
            if roll < 0.5:
                continue
            issued = MOMENT - timedelta(days=rng.randint(0, 900))
            status = "valid" if roll < 0.85 else rng.choice(["revoked", "superseded"])
            db.session.add(Certificate(
                serial=f"S{seed}-{n}-{course.id}", code=f"code-{seed}-{n}-{course.id}", check_code="ABC234",
                issue_key=f"{user.id}:{course.id}:1", user_id=user.id, course_id=course.id, course_version=1,
                holder_name=user.name, course_title="x", issued_at=issued, expires_at=issued + timedelta(days=730),
                status=status, key_id="k", signature="s"))
    db.session.commit()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_equals_python_on_generated_data(app, seed):
    _generate(seed)
    sql = {(r.user_id, r.requirement_id): r.status
           for r in db.session.execute(readiness_rows(TODAY, moment=MOMENT))}
    python = {}
    for user in db.session.scalars(select(User)):
        deployment = user.current_deployment(TODAY)
        if deployment is None or not user.is_active:
            continue
        for requirement in db.session.scalars(select(Requirement).where(Requirement.is_active.is_(True))):
            mission = deployment.mission
            if requirement.mission_id not in (None, mission.id) or requirement.mission_kind not in (None, mission.kind):
                continue
            if user.category not in requirement.category_list:
                continue
            expires = db.session.scalar(select(Certificate.expires_at).where(
                Certificate.user_id == user.id, Certificate.course_id == requirement.course_id,
                Certificate.status == "valid"))
            python[(user.id, requirement.id)] = readiness_of(deployment.arrival_on, requirement.due_days, expires,
                                                              MOMENT).status
    assert python, "the generated data should produce some requirements"
    assert sql == python
    assert {"cleared", "overdue", "expired"} <= set(sql.values())
    counts = {}
    for row in db.session.execute(readiness_counts(TODAY, moment=MOMENT, by=("requirement_id",))):
        counts[(row.requirement_id, row.status)] = row.people
    expected = {}
    for (_user, requirement_id), status in python.items():
        expected[(requirement_id, status)] = expected.get((requirement_id, status), 0) + 1
    assert counts == expected


def test_my_training_uses_the_current_deployment(app, learner, mission_a, mission_b):
    course = Course(code="needed", title={"en": "Needed"})
    db.session.add(course)
    db.session.flush()
    db.session.add(Requirement(course_id=course.id, mission_id=mission_b.id, due_days=10))
    db.session.commit()
    assert requirements_for(learner) == []
    from accounts.services import deploy

    deploy(learner, mission_b, None, date.today() - timedelta(days=3), actor=None)
    db.session.commit()
    [(requirement, readiness)] = requirements_for(learner)
    assert requirement.course_id == course.id and readiness.status == "due"
    assert readiness.due_on == date.today() + timedelta(days=7)
