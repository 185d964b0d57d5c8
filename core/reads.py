"""Plain-row reads for the hottest learner pages.

`db.session.execute()` of a select costs about 50 microseconds before the database sees it (the
ORM's execute path: events, autoflush, result wrapping), and loading mapped objects costs several
times more (identity map, instance state, attribute events): measured on the lesson page, a
select of a few ORM objects took 170-390 microseconds against 15 for the same rows on the
session's connection. For a read-only page that only shows a few columns, `read()` runs a Core
select on the session's own connection, inside the request's transaction, and returns rows.

It skips the session's autoflush: use it in views that read, where nothing is pending (every
service flushes what it adds, and GET views write nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TypeVar

from sqlalchemy import CursorResult, Executable, bindparam, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict
from sqlalchemy.orm.util import identity_key

from extensions import db

Model = TypeVar("Model")


def read(statement: Executable, params: dict | None = None) -> CursorResult:
    return db.session.connection().execute(statement, params or {})


def pending() -> bool:
    """Whether the session holds changes a query would flush first (read() does not flush)."""
    session = db.session()
    return bool(session.new or session.dirty or session.deleted)


def rows(statement: Executable, params: dict | None = None):
    """read() when nothing waits to be flushed, else the session's execute (which flushes first):
    for code that pages call to read and services call in the middle of a change."""
    return db.session.execute(statement, params or {}) if pending() else read(statement, params)


def objects(model: type[Model], criteria, params: dict | None = None) -> list[Model]:
    """The `model` objects that `criteria(select)` picks, in its order: made from plain rows as
    tracked() objects, or loaded by the ORM when changes are pending (its autoflush sees them).
    `criteria` is a module-level function (its statements are built once)."""
    if pending():
        return list(db.session.scalars(_orm_statement(model, criteria), params or {}))
    return [tracked(model, dict(row._mapping)) for row in read(_row_statement(model, criteria), params)]


def plain(model: type, criteria, params: dict | None = None) -> list:
    """The rows objects() would make objects of, as rows: every column by its attribute name, for
    a page that only shows them (making 8 modules the session's objects was 7% of My training)."""
    return rows(_row_statement(model, criteria), params).all()


def get(model: type[Model], ident: int) -> Model | None:
    """db.session.get() for a read-only page: the object in the session, else one plain row made a
    tracked() object (an ORM get cost several times as much as the row)."""
    existing = db.session.identity_map.get(identity_key(model, ident))
    if existing is not None or pending():
        return existing if existing is not None else db.session.get(model, ident)
    row = read(_get_statement(model), {"ident": ident}).first()
    return tracked(model, dict(row._mapping)) if row is not None else None


@cache
def _orm_statement(model: type, criteria):
    return criteria(select(model))


@cache
def _row_statement(model: type, criteria):
    return criteria(select(*labelled(model, "")))


@cache
def _get_statement(model: type):
    return select(*labelled(model, "")).where(model.__mapper__.primary_key[0] == bindparam("ident"))


@cache
def columns(model: type) -> tuple[tuple[str, object], ...]:
    """Every column of a mapped class as (attribute name, column), read from the mapper on first
    use (at import time it would configure every mapper before all models are imported)."""
    return tuple((attr.key, attr.columns[0]) for attr in model.__mapper__.column_attrs)


def labelled(model: type, prefix: str) -> list:
    """Every column of `model` labelled `prefix + attribute`, to select it beside other tables'."""
    return [column.label(f"{prefix}{key}") for key, column in columns(model)]


def tracked_from(model: type[Model], row: Mapping, prefix: str) -> Model:
    """tracked() from a row that selected `labelled(model, prefix)`."""
    return tracked(model, {key: row[f"{prefix}{key}"] for key, _ in columns(model)})


def tracked(model: type[Model], values: dict) -> Model:
    """The `model` object with these column values (every column, by attribute name) as the
    session's own persistent object, without a query: the one already in the session if it is
    there, else made from the values.

    make_transient_to_detached() is SQLAlchemy's way to say "this object is that row": its
    attributes count as loaded, its relationships load on first use, and the session tracks
    changes to it like any object it loaded itself. Loading the same row through the ORM cost
    3-4 times as much (the sign-in check, a person's deployment).
    """
    existing = db.session.identity_map.get(identity_key(model, values["id"]))
    if existing is not None:
        return existing
    instance = model.__mapper__.class_manager.new_instance()
    instance_dict(instance).update(values)
    make_transient_to_detached(instance)
    db.session.add(instance)
    return instance
