"""Admin verbs for records the admin screens create and edit: people, missions, units.

Like accounts.services they add, flush and record an audit event; the view commits. Uniqueness
is checked by the forms (accounts.admin_forms) so the person gets a field-level message.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import distinct, func, select

from accounts.models import Deployment, Mission, Unit, User
from audit.services import record
from extensions import db

PERSON_FIELDS = ("service_number", "name", "email", "category", "rank", "preferred_language")
MISSION_FIELDS = ("code", "name", "kind", "country", "languages")
UNIT_FIELDS = ("code", "name")


def _changes(obj: Any, values: dict[str, Any], fields: tuple[str, ...]) -> list[str]:
    """Set the given fields on `obj`; return the names of those that really changed."""
    changed = []
    for name in fields:
        if name in values and getattr(obj, name) != values[name]:
            setattr(obj, name, values[name])
            changed.append(name)
    return changed


def create_person(*, actor: User, **values: Any) -> User:
    user = User(**{name: values[name] for name in PERSON_FIELDS if name in values})
    user.rank = user.rank or ""
    db.session.add(user)
    db.session.flush()
    record("person_created", actor=actor, target=f"user:{user.id}", service_number=user.service_number)
    return user


def update_person(user: User, *, actor: User, **values: Any) -> list[str]:
    if "rank" in values:
        values = {**values, "rank": values["rank"] or ""}
    changed = _changes(user, values, PERSON_FIELDS)
    if changed:
        record("person_updated", actor=actor, target=f"user:{user.id}", fields=changed)
        db.session.flush()
    return changed


def create_mission(*, actor: User, **values: Any) -> Mission:
    mission = Mission(**{name: values[name] for name in MISSION_FIELDS})
    db.session.add(mission)
    db.session.flush()
    record("mission_created", actor=actor, target=f"mission:{mission.id}", code=mission.code)
    return mission


def update_mission(mission: Mission, *, actor: User, **values: Any) -> list[str]:
    changed = _changes(mission, values, MISSION_FIELDS)
    if changed:
        record("mission_updated", actor=actor, target=f"mission:{mission.id}", fields=changed)
        db.session.flush()
    return changed


def create_unit(mission: Mission, *, actor: User, **values: Any) -> Unit:
    unit = Unit(mission=mission, **{name: values[name] for name in UNIT_FIELDS})
    db.session.add(unit)
    db.session.flush()
    record("unit_created", actor=actor, target=f"unit:{unit.id}", mission=mission.code, code=unit.code)
    return unit


def update_unit(unit: Unit, *, actor: User, **values: Any) -> list[str]:
    changed = _changes(unit, values, UNIT_FIELDS)
    if changed:
        record("unit_updated", actor=actor, target=f"unit:{unit.id}", mission=unit.mission.code, fields=changed)
        db.session.flush()
    return changed


def people_deployed_now(column, on: date | None = None) -> dict[int, int]:
    """Active people whose current deployment is in each mission (column=Deployment.mission_id)
    or unit (column=Deployment.unit_id), counted in SQL."""
    on = on or date.today()
    rows = db.session.execute(
        select(column, func.count(distinct(Deployment.user_id)))
        .join(User, User.id == Deployment.user_id)
        .where(Deployment.current_clause(on), User.is_active.is_(True), column.is_not(None))
        .group_by(column)
    )
    return {key: count for key, count in rows}
