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

from sqlalchemy import CursorResult, Executable

from extensions import db


def read(statement: Executable, params: dict | None = None) -> CursorResult:
    return db.session.connection().execute(statement, params or {})
