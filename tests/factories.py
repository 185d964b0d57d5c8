"""Test data factories: sensible defaults, **overrides for what a test cares about."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from accounts.models import Deployment, Mission, RoleGrant, Unit, User
from accounts.passwords import hash_password
from extensions import db

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def make_mission(**overrides) -> Mission:
    n = next(_seq)
    values = dict(code=f"M{n:03d}", name=f"Mission {n}", kind="peacekeeping", country="Testland", languages="en,fr")
    values.update(overrides)
    mission = Mission(**values)
    db.session.add(mission)
    db.session.flush()
    return mission


def make_unit(mission: Mission, **overrides) -> Unit:
    n = next(_seq)
    values = dict(mission=mission, code=f"UNIT-{n}", name=f"Unit {n}")
    values.update(overrides)
    unit = Unit(**values)
    db.session.add(unit)
    db.session.flush()
    return unit


def make_user(*, mission: Mission | None = None, unit: Unit | None = None, roles=(), arrival_on: date | None = None,
              password: str = PASSWORD, **overrides) -> User:
    n = next(_seq)
    values = dict(service_number=f"SN{n:06d}", name=f"Person {n}", email=f"person{n}@example.org",
                  category="military", rank="Sgt", preferred_language="en", password_hash=hash_password(password))
    values.update(overrides)
    user = User(**values)
    db.session.add(user)
    db.session.flush()
    if mission is not None:
        db.session.add(Deployment(user=user, mission=mission, unit=unit,
                                  arrival_on=arrival_on or date.today() - timedelta(days=30)))
    for role in roles:
        role_name, scope = role if isinstance(role, tuple) else (role, None)
        db.session.add(RoleGrant(user=user, role=role_name, mission_id=scope.id if scope else None))
    db.session.flush()
    db.session.refresh(user)
    return user
