"""Many rows in one statement, straight to the database driver: for the short write of a big import.

SQLAlchemy's per-row parameter processing costs about 20 microseconds a row, which is most of the
time a 50,000-row roster would hold SQLite's write lock; so the rows are turned into what the
driver stores (`driver_value`) before the write transaction starts, and written with the
driver's executemany (`executemany`). Values for columns left out come from the model's
defaults (`with_defaults`), so a column added later with a default needs no change here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import JSON, Table
from sqlalchemy.exc import IntegrityError

CHUNK = 5000  # ids in one IN (...) list: inside SQLite's 32,766 and PostgreSQL's 65,535 parameters


def is_sqlite(connection) -> bool:
    return connection.dialect.name == "sqlite"


def driver_value(value, sqlite: bool):
    """What SQLAlchemy would hand the driver for this value (dates as text on SQLite, UTC naive)."""
    if not sqlite:
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def with_defaults(table: Table, given: Sequence[str]) -> tuple[list[str], list]:
    """The table's other columns that have a Python default, and those defaults (callables called once)."""
    names, values = [], []
    for column in table.columns:
        if column.name in given or column.default is None or column.primary_key:
            continue
        default = column.default
        value = default.arg(None) if default.is_callable else default.arg
        names.append(column.name)
        values.append(json_text(value) if isinstance(column.type, JSON) else value)
    return names, values


def _mark(connection, table: Table, name: str) -> str:
    if is_sqlite(connection):
        return "?"
    return "CAST(%s AS JSON)" if isinstance(table.c[name].type, JSON) else "%s"


def insert_sql(connection, table: Table, columns: Sequence[str]) -> str:
    marks = ", ".join(_mark(connection, table, name) for name in columns)
    # Names from the model's table; every value is a bound parameter.
    return f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608


def update_sql(connection, table: Table, columns: Sequence[str], key: str = "id") -> str:
    """UPDATE ... SET each column WHERE `key` matches: rows are the columns' values, then the key."""
    assignments = ", ".join(f"{name} = {_mark(connection, table, name)}" for name in columns)
    return f"UPDATE {table.name} SET {assignments} WHERE {key} = {_mark(connection, table, key)}"  # noqa: S608


def insert_rows(connection, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """INSERT rows (driver values, in `columns` order): executemany on SQLite, COPY on PostgreSQL
    (several times faster than an executemany there, and it is the time the rows stay locked)."""
    if not rows:
        return
    if is_sqlite(connection):
        connection.exec_driver_sql(insert_sql(connection, table, columns), rows)
        return
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except connection.dialect.loaded_dbapi.IntegrityError as error:  # as SQLAlchemy reports it for a statement
        raise IntegrityError(statement, None, error) from error


def update_rows(connection, table: Table, columns: Sequence[str], rows: list[tuple], key: str = "id") -> None:
    """UPDATE each row (the columns' values, then the key): executemany on SQLite; on PostgreSQL one
    statement over unnest()ed arrays, instead of a round of the protocol per row."""
    if not rows:
        return
    if is_sqlite(connection):
        connection.exec_driver_sql(update_sql(connection, table, columns, key), rows)
        return
    names = [*columns, key]
    arrays = ", ".join(f"%s::{table.c[name].type.compile(connection.dialect)}[]" for name in names)
    assignments = ", ".join(f"{name} = v.{name}" for name in columns)
    statement = (f"UPDATE {table.name} SET {assignments} FROM unnest({arrays}) AS v({', '.join(names)}) "  # noqa: S608
                 f"WHERE {table.name}.{key} = v.{key}")
    connection.exec_driver_sql(statement, tuple(list(values) for values in zip(*rows, strict=True)))


def executemany(connection, sql: str, rows: list[tuple]) -> None:
    """`sql` written with ? (SQLite) or %s (PostgreSQL) marks, as insert_sql makes them."""
    if rows:
        connection.exec_driver_sql(sql if is_sqlite(connection) else sql.replace("?", "%s"), rows)


def json_text(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def chunks(values: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def in_list(connection, count: int) -> str:
    return ", ".join(["?" if is_sqlite(connection) else "%s"] * count)
