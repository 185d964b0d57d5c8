"""A roster plan written in one short transaction: bulk statements, after checking nothing moved.

accounts.roster works everything out with reads only. prepare() then turns the plan into the
rows the database driver takes (core.bulk), still outside any write transaction. write(), inside
it, first reads back the people the plan touches and compares them with what the plan saw
(someone may have moved or renamed them since): any difference raises RosterChanged and nothing
is written. Then one executemany per statement: 50,000 rows hold SQLite's write lock for about
a second rather than half a minute. A service number or e-mail that someone else took in
between breaks a unique constraint: the same RosterChanged. The caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from accounts.models import Deployment, User
from accounts.roster import RosterPlan, RosterRejected
from audit.services import PreparedEvents, prepare_events, record, write_events
from core import bulk
from extensions import db

CHANGED = ("People in this file were changed, added or moved by someone else since the file was checked "
           "(line {lines}). Nothing was imported: check the file again, then apply it.")
PERSON = ("name", "email", "category", "rank", "preferred_language")
# Column names are these constants; every value is a bound parameter.
READ_PEOPLE = f"SELECT id, {', '.join(PERSON)} FROM users WHERE id IN ({{marks}})"  # noqa: S608
READ_DEPLOYMENTS = ("SELECT user_id, id, mission_id, unit_id, arrival_on, departure_on FROM deployments "
                    "WHERE user_id IN ({marks})")


class RosterChanged(ValueError):
    """The database no longer matches the plan; nothing was written. `lines` name the rows concerned."""

    def __init__(self, lines: list[int]):
        shown = ", ".join(str(line) for line in lines[:20]) + (" …" if len(lines) > 20 else "")
        super().__init__(CHANGED.format(lines=shown or "?"))
        self.lines = lines


@dataclass
class PreparedRoster:
    plan: RosterPlan
    sqlite: bool
    expected: dict[int, tuple] = field(default_factory=dict)  # user id -> what the plan saw, as the driver reads it
    lines: dict[int, int] = field(default_factory=dict)       # user id -> roster line
    # the fields that change -> rows of their new values, then the id: an unchanged e-mail is not
    # written, so its unique index is left alone
    updates: dict[tuple[str, ...], list[tuple]] = field(default_factory=dict)
    creates: list[tuple] = field(default_factory=list)        # service number, then PERSON values
    first_places: list[tuple] = field(default_factory=list)   # (mission id, unit id, arrival) of each create
    closes: list[tuple] = field(default_factory=list)         # (departure, deployment id)
    arrivals: list[tuple] = field(default_factory=list)       # (user id, mission id, unit id, arrival)
    events: PreparedEvents | None = None


def apply_roster(plan: RosterPlan, *, actor, source: str, keep_good_rows: bool = False) -> dict[str, int]:
    """prepare() and write() together, for a caller already in its write transaction (tests)."""
    return write(prepare(plan, actor=actor, keep_good_rows=keep_good_rows), actor=actor, source=source)


def prepare(plan: RosterPlan, *, actor, keep_good_rows: bool = False) -> PreparedRoster:
    """Everything the write needs, worked out before it starts. Reads nothing."""
    if plan.errors and not keep_good_rows:
        raise RosterRejected(f"{len(plan.errors)} bad row(s): nothing was changed.")
    sqlite = db.engine.dialect.name == "sqlite"

    def value(v):
        return bulk.driver_value(v, sqlite)

    prepared = PreparedRoster(plan, sqlite)
    for planned in [*plan.updates, *plan.moves]:
        person = plan.users[planned.row.service_number]
        prepared.lines[person.id] = planned.row.line
        prepared.expected[person.id] = (
            tuple(getattr(person, name) for name in PERSON),
            frozenset((d.id, d.mission_id, d.unit_id, value(d.arrival_on), value(d.departure_on))
                      for d in person.deployments))
    for planned in plan.updates:
        fields = tuple(change.field for change in planned.changes)
        prepared.updates.setdefault(fields, []).append(
            (*(change.new for change in planned.changes), plan.users[planned.row.service_number].id))
    for row in plan.creates:
        place = plan.missions[row.mission]
        prepared.creates.append((row.service_number, row.name, row.email, row.category, row.rank,
                                 row.language or place.first_language))
        prepared.first_places.append((place.mission_id, place.units[row.unit], value(row.arrival_on)))
    for move in plan.moves:
        person = plan.users[move.row.service_number]
        ends_on = value(move.row.arrival_on - timedelta(days=1))
        prepared.closes += [(ends_on, deployment_id) for deployment_id in move.closes]
        prepared.arrivals.append((person.id, move.mission_id, move.unit_id, value(move.row.arrival_on)))
    prepared.events = prepare_events("deployed", [
        (f"user:{plan.users[m.row.service_number].id}",
         {"mission": plan.missions[m.row.mission].code, "unit": m.row.unit, "arrival_on": m.row.arrival_on.isoformat()})
        for m in plan.moves], actor=actor)
    return prepared


def write(prepared: PreparedRoster, *, actor, source: str) -> dict[str, int]:
    """Inside the write transaction: check, then write. The caller commits, or rolls back on an error."""
    connection = db.session.connection()
    _check_unchanged(connection, prepared)
    try:
        for fields, rows in prepared.updates.items():
            bulk.update_rows(connection, User.__table__, fields, rows)
        prepared.plan.created_ids = _create_people(connection, prepared)
        bulk.update_rows(connection, Deployment.__table__, ("departure_on",), prepared.closes)
        _insert_deployments(connection, prepared.arrivals)
    except IntegrityError as error:  # a service number or e-mail someone else has just taken
        raise RosterChanged([row.line for row in prepared.plan.creates]) from error
    write_events(prepared.events)
    plan = prepared.plan
    counts = {"created": len(plan.creates), "updated": len(plan.updates), "moved": len(plan.moves),
              "skipped": len(plan.errors)}
    record("roster_imported", actor=actor, target="roster", source=source[:120], rows=plan.total, **counts)
    return counts


def _check_unchanged(connection, prepared: PreparedRoster) -> None:
    ids = list(prepared.expected)
    found: dict[int, list] = {}
    for chunk in bulk.chunks(ids):
        marks = bulk.in_list(connection, len(chunk))
        for user_id, *person in connection.exec_driver_sql(READ_PEOPLE.format(marks=marks), tuple(chunk)):
            found[user_id] = [tuple(person), set()]
        for user_id, *deployment in connection.exec_driver_sql(READ_DEPLOYMENTS.format(marks=marks), tuple(chunk)):
            found[user_id][1].add(tuple(deployment))
    changed = [prepared.lines[user_id] for user_id, (person, deployments) in prepared.expected.items()
               if user_id not in found or found[user_id][0] != person or found[user_id][1] != deployments]
    if changed:
        raise RosterChanged(sorted(changed))


def _create_people(connection, prepared: PreparedRoster) -> list[int]:
    """The new people with ids taken here (nothing to read back), then their first deployment."""
    if not prepared.creates:
        return []
    count = len(prepared.creates)
    if prepared.sqlite:  # this transaction holds the write lock: nobody else takes ids meanwhile
        first = connection.exec_driver_sql("SELECT coalesce(max(id), 0) + 1 FROM users").scalar()
        ids = list(range(first, first + count))
    else:
        ids = list(connection.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('users', 'id')) FROM generate_series(1, %s)", (count,)).scalars())
    columns = ["id", "service_number", *PERSON]
    names, defaults = bulk.with_defaults(User.__table__, columns)
    defaults = [bulk.driver_value(value, prepared.sqlite) for value in defaults]
    bulk.insert_rows(connection, User.__table__, columns + names,
                     [(user_id, *values, *defaults) for user_id, values in zip(ids, prepared.creates, strict=True)])
    _insert_deployments(connection, [(user_id, *place) for user_id, place in zip(ids, prepared.first_places, strict=True)])
    return ids


def _insert_deployments(connection, rows: list[tuple]) -> None:
    columns = ["user_id", "mission_id", "unit_id", "arrival_on"]
    names, defaults = bulk.with_defaults(Deployment.__table__, columns)
    defaults = [bulk.driver_value(value, bulk.is_sqlite(connection)) for value in defaults]
    bulk.insert_rows(connection, Deployment.__table__, columns + names,
                     [(*row, *defaults) for row in rows])
