"""Declarative base, naming convention and engine tuning shared by every feature package."""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache

from flask import current_app, g, has_request_context, request
from sqlalchemy import DateTime, Engine, MetaData, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, registry
from sqlalchemy.util import LRUCache

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: DateTime(timezone=True)},
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# JSON texts parsed once per process (kept_json_loads): how many, and up to what length.
KEPT_JSON_TEXTS = 4096
KEPT_JSON_LENGTH = 2048
_SCALARS = frozenset({str, int, float, bool, type(None)})


def kept_json_loads(text: str | bytes):
    """json.loads for JSON columns (the engines' `json_deserializer`), a text parsed once per process.

    The titles of courses, modules and lessons, {"en": ..., "fr": ..., "ar": ...}, come back with
    every learner page and do not change: parsing them again was 3% of My training, the course and
    module pages (12-76 texts each). A text of up to KEPT_JSON_LENGTH characters whose value is flat
    (a dict or list of strings, numbers, booleans and nulls) is parsed once, and each caller gets
    its own shallow copy, so changing what it got changes nothing for anyone else; any other text
    (a lesson's body, a question with nested options) is parsed afresh every time, as before."""
    if len(text) > KEPT_JSON_LENGTH:
        return json.loads(text)
    flat = _flat_json(text)
    if flat is None:  # nested, or not a dict or list: parsed for this caller alone
        return json.loads(text)
    return flat.copy()


@lru_cache(maxsize=KEPT_JSON_TEXTS)
def _flat_json(text: str | bytes) -> dict | list | None:
    """The parsed dict or list when every value in it is a plain scalar; None otherwise: the
    cache then holds the text and None, not the parsed value, and each caller parses it afresh."""
    value = json.loads(text)
    items = value.values() if type(value) is dict else value if type(value) is list else None
    return value if items is not None and all(type(item) in _SCALARS for item in items) else None


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_writing_outside_requests: ContextVar[bool] = ContextVar("writing_outside_requests", default=False)


AUDIT_CHAIN_LOCK = "audit-chain"


def advisory_lock(session: Session, key: str) -> None:
    """On PostgreSQL, hold a transaction-level advisory lock named `key` until the transaction ends
    (SQLite needs none: a writing transaction holds the database's write lock, see below).

    The key is hashed together with the schema, because advisory locks are shared by a whole
    database: the test suite's workers each use a schema of one database, and their people and
    courses have the same ids, so unscoped locks made unrelated tests wait on (and deadlock with)
    each other. In production the schema is one and the same for every request."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':' || :key, 0))"),
                        {"key": key})


def _wants_immediate() -> bool:
    # A read-only request shares the database with writers; a form post takes the write
    # lock up front so that it waits in the busy timeout instead of failing half-way when a
    # deferred transaction tries to upgrade. Outside requests (CLI, tests) transactions stay
    # deferred so that a long read never blocks the site, unless a job says it writes now.
    if _writing_outside_requests.get():
        return True
    return has_request_context() and (request.method not in SAFE_METHODS or g.get("writing", False))


@contextmanager
def writing_outside_requests():
    """A background job's write phase: its next transaction takes the write lock up front (SQLite)."""
    token = _writing_outside_requests.set(True)
    try:
        yield
    finally:
        _writing_outside_requests.reset(token)


def start_writing() -> None:
    """For a GET that records something (a download or an export is an audit event): end its
    read transaction and let the next statement start one that holds the write lock. On SQLite a
    deferred read transaction cannot take the write lock once another request has committed since
    it began ("database is locked" at once, whatever the busy timeout); an IMMEDIATE one waits
    its turn. On PostgreSQL it only ends the read transaction. audit.services.record calls it, so
    views need not. Only once per request, and never over changes not yet committed (ending the
    transaction would drop them: such a request keeps the transaction it has)."""
    session = current_app.extensions["sqlalchemy"].session  # extensions.db's session (extensions imports this module)
    if g.get("writing", False) or session.new or session.dirty or session.deleted or session.info.get("flushed"):
        return
    session.rollback()
    g.writing = True


# Whether the session's transaction has written anything yet (start_writing must not undo it).
@event.listens_for(Session, "after_flush")
def _note_flushed(session, _flush_context) -> None:
    session.info["flushed"] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_flushed(session, transaction) -> None:
    # Only when the outermost transaction ends: a savepoint's release fires after_commit as well,
    # and forgetting there made a GET that graded a passing attempt (the completion is inserted in
    # a savepoint) roll the grading back in start_writing() when it recorded the audit event.
    if transaction.parent is None:
        session.info.pop("flushed", None)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event decide how each transaction starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Temporary tables and sorts stay in memory: a dashboard's rows (reports.mission_rows) are a
    # megabyte or two, and a temporary file costs a file open on every request.
    cursor.execute("PRAGMA temp_store=MEMORY")
    # The busy timeout is sqlite3's connect timeout, from the SQLITE_BUSY_TIMEOUT setting (app.py).
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn) -> None:
    if conn.dialect.name != "sqlite":
        return
    statement = "BEGIN IMMEDIATE" if _wants_immediate() else "BEGIN"
    # Straight to the driver: through SQLAlchemy's execution path (an execution context, a
    # cursor result) this one statement of every request cost 2-3% of a learner page. A driver
    # error is raised as SQLAlchemy raises it (a lock held past the busy timeout is an
    # OperationalError: a 503, core.errors).
    try:
        conn.connection.dbapi_connection.execute(statement).close()
    except sqlite3.Error as error:
        raise DBAPIError.instance(statement, None, error, sqlite3.Error) from error


COMPILED_STATEMENTS = 500  # SQLAlchemy's own default size for its compiled-statement cache


class CompiledStatements:
    """SQLAlchemy's compiled-statement cache, that finds a statement built once by identity.

    SQLAlchemy looks a statement's compiled SQL up by its cache key, a tuple describing the whole
    statement, and hashes that tuple on every execution: for the lesson page's statement (a
    join of six tables and a subquery) the hashing alone was 2-3% of the request. The statements
    of the hot pages are built once per process (module-level functions under @cache), and
    SQLAlchemy keeps each statement's cache key with it, so the same key object comes back
    every time: it is looked up here by identity first, and by value (SQLAlchemy's LRU cache,
    as before) for any other statement. An entry holds its key, so no other key can take its id.
    Installed as the engine's `compiled_cache` execution option, a documented one.
    """

    def __init__(self, size: int = COMPILED_STATEMENTS) -> None:
        self._by_value = LRUCache(size)
        self._by_identity: dict[tuple, tuple] = {}
        self._size = size

    @staticmethod
    def _identity(key: tuple) -> tuple:
        # SQLAlchemy's key: (dialect, the statement's cache key, column keys, schema map?, executemany?)
        return (key[0], id(key[1]), *key[2:])

    def get(self, key, default=None):
        entry = self._by_identity.get(self._identity(key))
        if entry is not None and entry[0] is key[1]:
            return entry[1]
        compiled = self._by_value.get(key)
        if compiled is None:
            return default
        self._remember(key, compiled)
        return compiled

    def __setitem__(self, key, compiled) -> None:
        self._by_value[key] = compiled
        self._remember(key, compiled)

    def _remember(self, key: tuple, compiled) -> None:
        # Statements built per call bring a new key each time: forgotten all at once past a bound.
        if len(self._by_identity) >= 4 * self._size:
            self._by_identity.clear()
        self._by_identity[self._identity(key)] = (key[1], compiled)


def keep_compiled_statements(engine: Engine) -> None:
    engine.update_execution_options(compiled_cache=CompiledStatements())
