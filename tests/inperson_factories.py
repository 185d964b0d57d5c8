"""Test data for in-person sessions: a course of published modules and a session for one unit."""

from __future__ import annotations

from datetime import date

from extensions import db
from inperson import services
from tests import factories, training_factories


def make_course(modules: int = 2):
    course = training_factories.make_course(languages="en,fr,ar",
                                            title={"en": "Child protection", "fr": "Protection de l’enfance",
                                                   "ar": "حماية الطفل"})
    for _ in range(modules):
        training_factories.make_module(course, lessons=1)
    db.session.commit()
    return course


def make_session(actor, mission, *, course=None, units=None, held_on: date | None = None, pass_mark: int = 70,
                 language: str = "en"):
    course = course or make_course()
    session = services.plan_session(actor=actor, course=course, module_ids=[], mission=mission,
                                    unit_ids=[u.id for u in (units or mission.units[:1])], place="Camp Kavumu",
                                    held_on=held_on or date.today(), language=language, pass_mark=pass_mark)
    db.session.commit()
    return session


def unit_people(mission, unit, count: int):
    people = [factories.make_user(mission=mission, unit=unit, name=f"Soldier {k:02d}") for k in range(count)]
    db.session.commit()
    return people
