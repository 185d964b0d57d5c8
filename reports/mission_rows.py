"""A mission's people and readiness rows, computed once per request into two temporary tables.

The dashboard's figures, its overdue list and its arrivals list all start from the same rows:
who is deployed in the mission now, and each one's status per requirement. Finding them is most
of the SQL's work (20,000 people: a look for a later deployment, the person, a valid certificate
each), so it is done once, into tables that live only as long as the request's transaction:

- PostgreSQL: CREATE TEMPORARY TABLE ... ON COMMIT DROP, and a rollback drops them too;
- SQLite: a temporary table belongs to the connection, and its CREATE is undone by the rollback
  that ends every read request; if a request committed instead, the next one drops it first.

Either way they are private to one connection: two requests never see each other's rows.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Column, Date, DateTime, Integer, MetaData, String, Table, bindparam, insert
from sqlalchemy.schema import CreateTable

from extensions import db
from readiness.report_sql import AT, ON, RequirementTerms, current_people, recognised_requirements, requirement_rows
from reports.queries import Moment
from training.models import Requirement

_metadata = MetaData()  # not the app's: Alembic never sees these tables

PEOPLE = Table(
    "report_people", _metadata,
    Column("user_id", Integer), Column("mission_id", Integer), Column("unit_id", Integer), Column("arrival_on", Date),
    Column("category", String(16)), prefixes=["TEMPORARY"], postgresql_on_commit="DROP")

ROWS = Table(
    "report_rows", _metadata,
    Column("user_id", Integer), Column("mission_id", Integer), Column("unit_id", Integer), Column("category", String(16)),
    Column("arrival_on", Date), Column("requirement_id", Integer), Column("course_id", Integer), Column("due_days", Integer),
    Column("expires_at", DateTime(timezone=True)), Column("status", String(8)), Column("cleared_by", String(12)),
    prefixes=["TEMPORARY"], postgresql_on_commit="DROP")


def fill(moment: Moment, mission_id: int, requirements: list[Requirement],
         recognised: set[int] | None = None) -> tuple[Table, Table]:
    """(PEOPLE, ROWS) filled for the mission at `moment`: one row per person deployed there now,
    and one per person and requirement that applies to them (the columns of readiness_rows).
    `recognised`: the requirements someone holds a recognised outside certificate for, when the
    caller has asked already (readiness.report_sql.recognised_requirements)."""
    connection = db.session.connection()
    for statement in _recreate(connection.dialect):
        connection.exec_driver_sql(statement)
    connection.execute(_insert_people(), {"on": moment.on, "mission_id": mission_id})
    if recognised is None:
        recognised = recognised_requirements(requirements)
    insert_rows = _insert_rows(tuple(RequirementTerms.of(r) for r in requirements),
                               frozenset(r.id for r in requirements if r.id in recognised))
    if insert_rows is not None:
        connection.execute(insert_rows, {"on": moment.on, "at": moment.at})
    return PEOPLE, ROWS


@lru_cache(maxsize=64)
def _insert_rows(requirements: tuple[RequirementTerms, ...], recognised: frozenset[int]):
    """INSERT INTO ROWS, built once per process for each set of requirements (and those someone is
    recognised for): the day and the instant are its parameters. Building it on every request
    took about a millisecond (issue #14). None when no requirement applies."""
    rows = requirement_rows(PEOPLE, ON, AT, list(requirements), recognised=set(recognised))
    return None if rows is None else _insert(ROWS, rows)


@lru_cache(maxsize=4)
def _recreate(dialect) -> tuple[str, ...]:
    """DROP and CREATE of both tables, compiled once per process: compiling the DDL on every
    request cost more than running it."""
    temporary = "pg_temp" if dialect.name == "postgresql" else "temp"
    statements = []
    for table in (ROWS, PEOPLE):
        statements += [f"DROP TABLE IF EXISTS {temporary}.{table.name}", str(CreateTable(table).compile(dialect=dialect))]
    return tuple(statements)


@lru_cache(maxsize=1)
def _insert_people():
    """INSERT INTO PEOPLE, built once per process: the day and the mission are its parameters."""
    return _insert(PEOPLE, current_people(bindparam("on", type_=Date), mission_ids=[bindparam("mission_id", type_=Integer)]))


def _insert(table: Table, query):
    """INSERT ... SELECT naming the query's own columns, so the table's column order and the
    query's need not be kept in step; a column missing on either side is an error, not a NULL."""
    names = [column.name for column in query.selected_columns]
    if sorted(names) != sorted(table.c.keys()):
        raise RuntimeError(f"{table.name}: the query gives {names}, the table has {list(table.c.keys())}")
    return insert(table).from_select(names, query)
