"""Record audit events in the caller's transaction."""

from __future__ import annotations

import logging

from flask import has_request_context, request
from sqlalchemy import select, text

from audit.chain import GENESIS, event_hash
from audit.models import AuditEvent
from database import SAFE_METHODS, start_writing, utcnow
from extensions import db

log = logging.getLogger(__name__)

# Keys that must never reach the log, whatever a caller passes.
_SECRET_KEYS = {"password", "password_hash", "answer_key", "correct", "token"}


def record(action: str, *, actor=None, target: str = "", **details) -> AuditEvent:
    """Append one event to the chain. Adds and flushes; the caller's commit makes it real."""
    session = db.session
    if has_request_context() and request.method in SAFE_METHODS:
        start_writing()  # a download or an export: wait for the write lock rather than fail on SQLite
    if session.get_bind().dialect.name == "postgresql":
        # Serialise writers of the chain; SQLite's BEGIN IMMEDIATE already does.
        session.execute(text("SELECT pg_advisory_xact_lock(7201)"))
    prev = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
    clean = {k: v for k, v in details.items() if k not in _SECRET_KEYS}
    address = (request.remote_addr or "") if has_request_context() else "cli"
    actor_id = getattr(actor, "id", actor)
    event = AuditEvent(
        occurred_at=utcnow(), actor_id=actor_id, action=action, target=target,
        details=clean, address=address, prev_hash=prev,
    )
    event.hash = event_hash(
        prev, occurred_at=event.occurred_at, actor_id=actor_id, action=action,
        target=target, details=clean, address=address,
    )
    session.add(event)
    session.flush()
    log.debug("audit %s by %s on %s", action, actor_id, target)
    return event
