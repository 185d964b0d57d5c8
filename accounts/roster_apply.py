"""A roster plan written in one short transaction: bulk statements, after checking nothing moved.

accounts.roster works everything out with reads only; this module is the write. It first reads
back the people the plan touches and compares them with what the plan saw (someone may have
moved or renamed them since): any difference raises RosterChanged and nothing is written. Then
it writes with one executemany per statement (no ORM object per row), so 50,000 rows hold
SQLite's write lock for about a second rather than half a minute. A service number or e-mail
added by someone else in between breaks a unique constraint: the same RosterChanged.
The caller commits (the job runner, with the job's "done"; the CLI).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError

from accounts.models import Deployment, User
from accounts.roster import RosterPlan, RosterRejected, known_people
from audit.services import record, record_many
from extensions import db

CHANGED = ("People in this file were changed, added or moved by someone else since the file was checked "
           "(line {lines}). Nothing was imported: check the file again, then apply it.")


class RosterChanged(ValueError):
    """The database no longer matches the plan; nothing was written. `lines` name the rows concerned."""

    def __init__(self, lines: list[int]):
        shown = ", ".join(str(line) for line in lines[:20]) + (" …" if len(lines) > 20 else "")
        super().__init__(CHANGED.format(lines=shown or "?"))
        self.lines = lines


def apply_roster(plan: RosterPlan, *, actor, source: str, keep_good_rows: bool = False) -> dict[str, int]:
    """Create, update and move as planned, then record the moves and one import event.

    Call inside the write transaction, and commit after. Raises RosterRejected when the plan
    has bad rows and keep_good_rows is off, RosterChanged when the database moved since the plan.
    """
    if plan.errors and not keep_good_rows:
        raise RosterRejected(f"{len(plan.errors)} bad row(s): nothing was changed.")
    _check_unchanged(plan)
    actor_id = getattr(actor, "id", actor)
    try:
        _update_people(plan)
        created = _create_people(plan)
        _move_people(plan)
    except IntegrityError as error:  # a service number or e-mail someone else has just taken
        raise RosterChanged([row.line for row in plan.creates][:20]) from error
    record_many("deployed", [(f"user:{plan.users[m.row.service_number].id}",
                              {"mission": plan.missions[m.row.mission].code, "unit": m.row.unit, "arrival_on": m.row.arrival_on.isoformat()})
                             for m in plan.moves], actor=actor_id)
    counts = {"created": len(plan.creates), "updated": len(plan.updates), "moved": len(plan.moves),
              "skipped": len(plan.errors)}
    record("roster_imported", actor=actor_id, target="roster", source=source[:120], rows=plan.total, **counts)
    plan.created_ids = created
    return counts


def _check_unchanged(plan: RosterPlan) -> None:
    touched = {u.row.service_number: u.row.line for u in plan.updates}
    touched.update((m.row.service_number, m.row.line) for m in plan.moves)
    now = known_people(list(touched))
    changed = [line for number, line in touched.items()
               if number not in now or now[number].state() != plan.users[number].state()]
    if changed:
        raise RosterChanged(sorted(changed))


def _update_people(plan: RosterPlan) -> None:
    if not plan.updates:
        return
    users = User.__table__
    rows = []
    for planned in plan.updates:
        person = plan.users[planned.row.service_number]
        values = {"name": person.name, "email": person.email, "category": person.category, "rank": person.rank,
                  "preferred_language": person.preferred_language}
        values.update((change.field, change.new) for change in planned.changes)
        rows.append({"person_id": person.id, **{f"new_{name}": value for name, value in values.items()}})
    statement = update(users).where(users.c.id == bindparam("person_id")).values(
        **{name: bindparam(f"new_{name}") for name in ("name", "email", "category", "rank", "preferred_language")})
    db.session.connection().execute(statement, rows)


def _create_people(plan: RosterPlan) -> list[int]:
    """Insert the new people, then their first deployment (a new person has no history to close)."""
    if not plan.creates:
        return []
    rows = [{"service_number": row.service_number, "name": row.name, "email": row.email, "category": row.category,
             "rank": row.rank, "preferred_language": row.language or plan.missions[row.mission].first_language}
            for row in plan.creates]
    connection = db.session.connection()
    users = User.__table__
    inserted = connection.execute(insert(users).returning(users.c.id, sort_by_parameter_order=True), rows)
    ids = list(inserted.scalars())
    connection.execute(insert(Deployment.__table__), [
        {"user_id": user_id, "mission_id": plan.missions[row.mission].mission_id,
         "unit_id": plan.missions[row.mission].units[row.unit], "arrival_on": row.arrival_on, "departure_on": None}
        for user_id, row in zip(ids, plan.creates, strict=True)])
    return ids


def _move_people(plan: RosterPlan) -> None:
    """As accounts.services.deploy: open deployments end the day before the arrival; a new one starts."""
    if not plan.moves:
        return
    deployments = Deployment.__table__
    connection = db.session.connection()
    closing = [{"deployment_id": deployment_id, "ends_on": move.row.arrival_on - timedelta(days=1)}
               for move in plan.moves for deployment_id in move.closes]
    if closing:
        connection.execute(update(deployments).where(deployments.c.id == bindparam("deployment_id"))
                           .values(departure_on=bindparam("ends_on")), closing)
    connection.execute(insert(deployments), [
        {"user_id": plan.users[move.row.service_number].id, "mission_id": move.mission_id, "unit_id": move.unit_id,
         "arrival_on": move.row.arrival_on, "departure_on": None} for move in plan.moves])
