"""A mission's people and readiness rows, computed once per request into two temporary tables.

The dashboard's figures, its overdue list and its arrivals list all start from the same rows:
who is deployed in the mission now, and each one's status per requirement. Finding them is most
of the SQL's work (20,000 people: a look for a later deployment, the person, a valid certificate
each), so it is done once, into tables that live only as long as the request's transaction:

- SQLite: the tables are made once for each connection, when it opens (keep_tables), and each
  request empties them before it fills them: a rollback (every read request ends with one) undoes
  its rows anyway, a commit (an export records itself) leaves them to the next request's DELETE.
  Made and dropped on every request, as before, they changed the schema every time, and SQLite
  then prepared each of the request's statements again: about 2 ms of the dashboard's 13 ms of
  SQL at 10,000 people (issue #14);
- PostgreSQL: CREATE TEMPORARY TABLE ... ON COMMIT DROP on every request, and a rollback drops
  them too. Kept across transactions they would grow: the rows of every rolled-back request
  stay in the table's pages as dead tuples, and autovacuum never visits temporary tables.

Either way they are private to one connection: two requests never see each other's rows.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Column, Date, DateTime, Engine, Integer, MetaData, String, Table, bindparam, event, insert
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
    for statement in _EMPTY if connection.info.get(_KEPT) else _recreate(connection.dialect):
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


# Set in a SQLite connection's pool record (Connection.info) once keep_tables has made its tables.
_KEPT = "report_tables_kept"
_EMPTY = ("DELETE FROM temp.report_rows", "DELETE FROM temp.report_people")  # ROWS and PEOPLE


def keep_tables(engine: Engine) -> None:
    """On SQLite, make both tables in each connection the engine opens, outside any transaction,
    for fill to empty and reuse (see above); on PostgreSQL nothing: fill makes them each time.
    A connection opened before this was called is not marked, and fill makes its tables itself."""
    if engine.dialect.name != "sqlite":
        return
    creates = _creates(engine.dialect)

    # This engine's listener runs after database._sqlite_on_connect (listeners on the Engine class
    # come first), so after its PRAGMA temp_store, which would delete temporary tables made before it.
    def make_tables(dbapi_connection, connection_record) -> None:
        cursor = dbapi_connection.cursor()  # sqlite3 runs DDL outside a transaction: it stays
        for statement in creates:
            cursor.execute(statement)
        cursor.close()
        connection_record.info[_KEPT] = True
    event.listen(engine, "connect", make_tables)


@lru_cache(maxsize=4)
def _recreate(dialect) -> tuple[str, ...]:
    """DROP and CREATE of both tables, compiled once per process: compiling the DDL on every
    request cost more than running it. (PostgreSQL drops both in one statement.)"""
    if dialect.name == "postgresql":
        return (f"DROP TABLE IF EXISTS {', '.join(f'pg_temp.{table.name}' for table in (ROWS, PEOPLE))}",
                *_creates(dialect))
    return tuple(f"DROP TABLE IF EXISTS temp.{table.name}" for table in (ROWS, PEOPLE)) + _creates(dialect)


@lru_cache(maxsize=4)
def _creates(dialect) -> tuple[str, ...]:
    return tuple(str(CreateTable(table).compile(dialect=dialect)) for table in (ROWS, PEOPLE))


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
