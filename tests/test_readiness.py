"""Readiness in SQL equals readiness in Python, on generated data: certificates earned online, in
person or both, requirements that accept one way or either, and recognised outside certificates
(in force, ended, removed), with expiries falling exactly on the moment."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from accounts.models import Deployment, Mission, User
from certificates.models import Certificate
from extensions import db
from readiness.report_sql import current_people, readiness, requirement_rows
from readiness.rule import (
    certificate_counts,
    readiness_counts,
    readiness_of,
    readiness_rows,
    requirements_for,
)
from recognition.models import OutsideCertificate
from tests.factories import make_mission, make_unit
from training.models import SATISFIED_BY, Course, Requirement

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
    requirements = []
    for course in courses:
        mission = rng.choice(missions)
        requirements.append(Requirement(
            course_id=course.id, mission_id=mission.id, satisfied_by=rng.choice(SATISFIED_BY),
            categories=",".join(rng.sample(["military", "police", "civilian"], rng.randint(1, 3))),
            due_days=rng.randint(-30, 60)))
        requirements.append(Requirement(course_id=course.id, mission_kind=rng.choice(["peacekeeping", "political"]),
                                        categories="military,police", due_days=rng.randint(-10, 30),
                                        satisfied_by=rng.choice(SATISFIED_BY), is_active=rng.random() < 0.8))
    db.session.add_all(requirements)
    db.session.flush()
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
            if roll < 0.4:
                continue
            # Some expire exactly at the moment (expired then), some a second later (still cleared).
            issued = MOMENT - rng.choice([timedelta(days=rng.randint(0, 900)), timedelta(days=730),
                                          timedelta(days=730) - timedelta(seconds=1)])
            status = "valid" if roll < 0.85 else rng.choice(["revoked", "superseded"])
            db.session.add(Certificate(
                serial=f"S{seed}-{n}-{course.id}", code=f"code-{seed}-{n}-{course.id}", check_code="ABC234",
                issue_key=f"{user.id}:{course.id}:1", user_id=user.id, course_id=course.id, course_version=1,
                holder_name=user.name, course_title="x", issued_at=issued, expires_at=issued + timedelta(days=730),
                status=status, key_id="k", signature="s", delivery_mode=rng.choice(["online", "in_person", "mixed"])))
        for requirement in requirements:
            roll = rng.random()
            if roll < 0.7:
                continue
            # In force (ending before, at or after the moment), or removed (counts for nothing).
            ends = MOMENT + rng.choice([timedelta(days=rng.randint(-400, 400)), timedelta(0), timedelta(seconds=1)])
            db.session.add(OutsideCertificate(
                user_id=user.id, requirement_id=requirement.id, issuer="UNITAR", course_name="Outside course",
                completed_on=TODAY - timedelta(days=500), expires_at=ends,
                removed_at=MOMENT - timedelta(days=1) if roll > 0.95 else None))
    db.session.commit()


def _python_truth() -> dict[tuple[int, int], tuple[str, str | None, date | None]]:
    """(user, requirement) -> (status, cleared_by, the expiry that matters) from readiness_of, person by person."""
    truth = {}
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
            certificate = db.session.execute(select(Certificate.expires_at, Certificate.delivery_mode).where(
                Certificate.user_id == user.id, Certificate.course_id == requirement.course_id,
                Certificate.status == "valid")).one_or_none()
            counted = certificate is not None and certificate_counts(requirement.satisfied_by, certificate.delivery_mode)
            recognised = db.session.scalar(select(OutsideCertificate.expires_at).where(
                OutsideCertificate.user_id == user.id, OutsideCertificate.requirement_id == requirement.id,
                OutsideCertificate.removed_at.is_(None)))
            result = readiness_of(deployment.arrival_on, requirement.due_days,
                                  certificate.expires_at if counted else None, MOMENT,
                                  certificate_mode=certificate.delivery_mode if counted else "online",
                                  recognised_expires_at=recognised)
            truth[(user.id, requirement.id)] = (result.status, result.cleared_by,
                                                result.cleared_until or result.expired_on)
    return truth


def _sql(query) -> dict[tuple[int, int], tuple[str, str | None, date | None]]:
    return {(r.user_id, r.requirement_id): (r.status, r.cleared_by,
                                            r.expires_at.date() if r.status in ("cleared", "expired") else None)
            for r in db.session.execute(query)}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_equals_python_on_generated_data(app, seed):
    _generate(seed)
    python = _python_truth()
    assert python, "the generated data should produce some requirements"
    assert _sql(readiness_rows(TODAY, moment=MOMENT)) == python
    # The reports' twin (readiness.report_sql): from the people's rows, and with the requirements as constants.
    assert _sql(readiness(TODAY, MOMENT)) == python
    people = current_people(TODAY).subquery("people")
    missions_of = {r.id: [r.mission_id] if r.mission_id else list(db.session.scalars(
        select(Mission.id).where(Mission.kind == r.mission_kind)))
        for r in db.session.scalars(select(Requirement).where(Requirement.is_active.is_(True)))}
    active = list(db.session.scalars(select(Requirement).where(Requirement.is_active.is_(True))))
    assert _sql(requirement_rows(people, TODAY, MOMENT, active, missions_of)) == python
    assert {"cleared", "overdue", "expired"} <= {status for status, _by, _day in python.values()}
    assert {"online", "in_person", "mixed", "recognised"} <= {by for _status, by, _day in python.values()}
    counts = {}
    for row in db.session.execute(readiness_counts(TODAY, moment=MOMENT, by=("requirement_id",))):
        counts[(row.requirement_id, row.status)] = row.people
    expected = {}
    for (_user, requirement_id), (status, _by, _day) in python.items():
        expected[(requirement_id, status)] = expected.get((requirement_id, status), 0) + 1
    assert counts == expected


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hq_grouped_figures_equal_the_rows_on_generated_data(app, seed):
    """The HQ statement groups everyone first and lets each requirement add up its groups
    (readiness.report_sql.requirement_counts, reports.queries.hq_figures): its status, cleared_by
    and weekly figures equal those counted from requirement_rows, row by row. Requirements with
    recognised outside certificates (counted from the rows) and without (from the groups); a person
    holding two valid certificates of one course counts twice in both."""
    from reports.queries import Moment, hq_figures

    _generate(seed)
    active = list(db.session.scalars(select(Requirement).where(Requirement.is_active.is_(True))
                                     .order_by(Requirement.id)))
    missions_of = {r.id: [r.mission_id] if r.mission_id else list(db.session.scalars(
        select(Mission.id).where(Mission.kind == r.mission_kind))) for r in active}
    first_course = active[0].course_id
    for outside in db.session.scalars(select(OutsideCertificate).join(
            Requirement, Requirement.id == OutsideCertificate.requirement_id).where(Requirement.course_id == first_course)):
        db.session.delete(outside)
    held = db.session.scalars(select(Certificate).where(Certificate.status == "valid", Certificate.course_id == first_course)
                              .order_by(Certificate.id)).first()
    db.session.add(Certificate(
        serial=f"S{seed}-twice", code=f"code-{seed}-twice", check_code="ABC234", issue_key=f"{held.user_id}:twice",
        user_id=held.user_id, course_id=first_course, course_version=1, holder_name="x", course_title="x",
        issued_at=MOMENT - timedelta(days=3), expires_at=MOMENT + timedelta(days=700), status="valid", key_id="k",
        signature="s", delivery_mode="in_person"))
    db.session.commit()

    people = current_people(TODAY).cte("people")
    rows = list(db.session.execute(requirement_rows(people, TODAY, MOMENT, active, missions_of)))
    assert {r.requirement_id for r in rows if r.course_id == first_course} and \
        {r.requirement_id for r in rows if r.course_id != first_course}, "both ways of counting should be used"
    expected = {}
    for r in rows:
        for key in (("status", r.mission_id, None, r.status),
                    ("cleared_by", r.mission_id, r.cleared_by, None) if r.status == "cleared" else None):
            if key is not None:
                expected[key] = expected.get(key, 0) + 1
    moment = Moment(TODAY, MOMENT)
    issued = db.session.execute(select(Certificate.user_id, Certificate.course_id, Certificate.issued_at)).all()
    trend_from = datetime.combine(moment.trend_start, datetime.min.time(), timezone.utc)
    for r in rows:
        for user_id, course_id, issued_at in issued:
            issued_at = issued_at if issued_at.tzinfo else issued_at.replace(tzinfo=timezone.utc)
            if (user_id, course_id) == (r.user_id, r.course_id) and trend_from <= issued_at <= MOMENT:
                key = ("week", r.mission_id, str((issued_at.date() - moment.trend_start).days // 7), None)
                expected[key] = expected.get(key, 0) + 1
    assert any(key[0] == "week" for key in expected)
    figures = {(f.figure, f.number, f.text, f.status): f.people
               for f in db.session.execute(*hq_figures(moment, active, missions_of)) if f.figure != "people"}
    assert figures == expected


def test_what_satisfies_a_requirement_and_recognition(app):
    """The rule's edges, one at a time: a certificate of the wrong kind counts as none; a recognition
    clears until its own expiry; when both ended, expired on the later day."""
    arrival = date(2026, 1, 1)
    later = MOMENT + timedelta(days=100)
    assert certificate_counts("either", "mixed") and certificate_counts("in_person", "in_person")
    assert not certificate_counts("in_person", "online") and not certificate_counts("online", "mixed")
    recognised = readiness_of(arrival, 10, None, MOMENT, recognised_expires_at=later)
    assert (recognised.status, recognised.recognised, recognised.cleared_until) == ("cleared", True, later.date())
    own = readiness_of(arrival, 10, later, MOMENT, certificate_mode="in_person", recognised_expires_at=later)
    assert (own.status, own.cleared_by) == ("cleared", "in_person")
    ended = readiness_of(arrival, 10, MOMENT - timedelta(days=9), MOMENT, recognised_expires_at=MOMENT)
    assert (ended.status, ended.expired_on) == ("expired", MOMENT.date())
    renewing = readiness_of(arrival, 10, None, MOMENT, 60, recognised_expires_at=MOMENT + timedelta(days=30))
    assert renewing.renew_by == (MOMENT + timedelta(days=30)).date()


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


@pytest.mark.parametrize(("modes", "expected"), [
    (("online", "online"), "online"), (("in_person", "in_person"), "in_person"), (("online", "in_person"), "mixed")])
def test_a_certificate_says_how_the_completions_that_earned_it_were_made(app, mission_a, modes, expected):
    from certificates.services import issue_for_course
    from tests.training_factories import make_course, make_module
    from training.models import Completion

    course = make_course()
    modules = [make_module(course, lessons=1) for _ in modes]
    person = User(service_number="MODE-1", name="Mode Person", category="military")
    db.session.add(person)
    db.session.flush()
    for module, mode in zip(modules, modes, strict=True):
        db.session.add(Completion(user_id=person.id, module_id=module.id, module_version_id=module.versions[0].id,
                                  delivery_mode=mode))
    db.session.flush()
    assert issue_for_course(person, course).delivery_mode == expected


def test_my_training_takes_the_deployment_current_deployment_gives(app):
    """requirements_for() finds the current deployment in its statement: the same one as
    User.current_deployment() (newest arrival first, not departed before the day), on any day."""
    missions = [make_mission(kind="political") for _ in range(3)]
    courses = [Course(code=f"dep-{n}", title={"en": f"Course {n}"}) for n in range(3)]
    db.session.add_all(courses)
    db.session.flush()
    db.session.add_all(Requirement(course_id=course.id, mission_id=mission.id, due_days=5)
                       for course, mission in zip(courses, missions, strict=True))
    person = User(service_number="DEP-1", name="Rotating Person", category="military")
    db.session.add(person)
    db.session.flush()
    stays = [  # (mission, arrival, departure): overlapping, one open-ended, one leaving on a given day
        (0, TODAY - timedelta(days=300), None),
        (1, TODAY - timedelta(days=100), TODAY - timedelta(days=10)),
        (2, TODAY - timedelta(days=20), TODAY + timedelta(days=5)),
        (1, TODAY - timedelta(days=20), TODAY),
    ]
    for index, arrival, departure in stays:
        mission = missions[index]
        db.session.add(Deployment(user=person, mission=mission, unit=make_unit(mission), arrival_on=arrival,
                                  departure_on=departure))
    db.session.commit()
    seen = set()
    for days in (-400, -150, -50, -15, -10, -9, 0, 1, 5, 6, 30):
        on = TODAY + timedelta(days=days)
        db.session.expire_all()
        deployment = person.current_deployment(on)
        expected = [] if deployment is None else [courses[missions.index(deployment.mission)].id]
        found = [requirement.course_id for requirement, _ in requirements_for(person, on)]
        assert found == expected, on
        if deployment is not None:
            due = requirements_for(person, on)[0][1].due_on
            assert due == deployment.arrival_on + timedelta(days=5)
        seen.add(tuple(expected))
    assert seen == {(course.id,) for course in courses}  # each of the three missions on some day
    later = TODAY + timedelta(days=31)  # every stay but the open-ended one over; it ends the day before
    db.session.get(Deployment, person.deployments[-1].id).departure_on = later - timedelta(days=1)
    db.session.commit()
    db.session.expire_all()
    assert person.current_deployment(later) is None and requirements_for(person, later) == []
