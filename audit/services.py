"""Record audit events in the caller's transaction."""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app, has_request_context, request
from sqlalchemy import select

from audit import checkpoint
from audit.chain import GENESIS, ChainWalk, canonical_json, event_hash, iso_utc, row_hash, walk
from audit.models import AuditEvent
from core import bulk
from database import AUDIT_CHAIN_LOCK, SAFE_METHODS, advisory_lock, start_writing, utcnow
from extensions import db

log = logging.getLogger(__name__)

# Keys that must never reach the log, whatever a caller passes.
_SECRET_KEYS = {"password", "password_hash", "answer_key", "correct", "token"}


class ChainError(Exception):
    """The audit chain, or its checkpoint, shows tampering (or was never re-keyed)."""


def chain_key() -> bytes:
    """AUDIT_KEY from the environment; without it, a key derived from SECRET_KEY (README: Audit log)."""
    configured = current_app.config.get("AUDIT_KEY") or ""
    if configured:
        return configured.encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"audit-chain-key", hashlib.sha256).digest()


def checkpoint_path() -> Path:
    return Path(current_app.config["AUDIT_CHECKPOINT_PATH"])


def _ordered_events():
    return db.session.scalars(select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000))


def verify_chain(*, write_checkpoint: bool = True) -> ChainWalk:
    """Check every event's keyed hash and link, and that the chain still reaches the head the last
    checkpoint saw; then write a new checkpoint. Raises ChainError naming what is wrong."""
    key = chain_key()
    rows = _ordered_events()
    try:
        result = walk(rows, key)
    finally:
        rows.close()  # stops the server-side cursor early when the chain breaks
    if result.broken:
        first = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id).limit(1))
        unkeyed = first is not None and first.id == result.broken[0] and row_hash(first, None) == first.hash
        if unkeyed and not checkpoint_path().exists():
            raise ChainError("the audit chain still uses the unkeyed hashes of older versions: "
                             "run `flask audit rekey` once (README: Upgrading)")
        raise ChainError(f"audit chain broken at event {result.broken[0]}: {result.broken[1]}")
    try:
        previous = checkpoint.latest(checkpoint_path(), key)
    except checkpoint.CheckpointError as error:
        raise ChainError(str(error)) from None
    if previous is not None:
        anchored = db.session.get(AuditEvent, previous.last_id) if previous.last_id else None
        if previous.last_id and (anchored is None or anchored.hash != previous.last_hash):
            raise ChainError(
                f"audit chain truncated or rewritten: the checkpoint of {previous.written_at} saw "
                f"{previous.count} events up to event {previous.last_id}, and the chain now "
                + ("ends at event " + str(result.last_id) if anchored is None else "holds a different event there"))
        if result.count < previous.count:
            raise ChainError(f"audit chain truncated: the checkpoint of {previous.written_at} saw "
                             f"{previous.count} events, now {result.count}")
    if write_checkpoint:
        checkpoint.append(checkpoint_path(), key, last_id=result.last_id, last_hash=result.last_hash,
                          count=result.count)
    return result


def rekey_chain() -> int:
    """Re-hash an unkeyed chain (older versions) with the audit key, once it checks out the old way.
    Updates rows in the caller's transaction; returns how many. Run with the app stopped."""
    advisory_lock(db.session, AUDIT_CHAIN_LOCK)
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    if not rows:
        return 0
    if walk(rows, chain_key()).broken is None:
        return 0  # already keyed
    if checkpoint_path().exists():
        # A checkpoint is only written for a keyed chain: an unkeyed one now was rewritten since.
        raise ChainError(f"checkpoints exist ({checkpoint_path()}), so this chain was keyed before: an "
                         "unkeyed chain now means it was rewritten; nothing was re-keyed")
    legacy = walk(rows, None)
    if legacy.broken:
        raise ChainError(f"the unkeyed chain is broken at event {legacy.broken[0]}: {legacy.broken[1]}; "
                         "nothing was re-keyed")
    key, prev = chain_key(), GENESIS
    for row in rows:
        row.prev_hash = prev
        row.hash = prev = row_hash(row, key, prev_hash=prev)
    db.session.flush()
    return len(rows)


def _chain_head() -> str:
    session = db.session
    if has_request_context() and request.method in SAFE_METHODS:
        start_writing()  # a download or an export: wait for the write lock rather than fail on SQLite
    advisory_lock(session, AUDIT_CHAIN_LOCK)  # one writer of the chain at a time
    return session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS


@dataclass
class PreparedEvents:
    """Events worked out before a write transaction; write_events chains and inserts them inside it."""

    action: str
    actor_id: int | None
    address: str
    occurred_at: datetime
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (target, details as JSON, canonical tail)


def prepare_events(action: str, events: list[tuple[str, dict]], *, actor=None) -> PreparedEvents:
    """One event per (target, details). Everything but the chain link is done here, outside the lock."""
    actor_id = getattr(actor, "id", actor)
    address = (request.remote_addr or "") if has_request_context() else "cli"
    prepared = PreparedEvents(action, actor_id, address, utcnow())
    moment = iso_utc(prepared.occurred_at)
    for target, details in events:
        clean = {k: v for k, v in details.items() if k not in _SECRET_KEYS}
        # event_hash's canonical list without its first item (the previous hash, known only under the lock)
        tail = canonical_json([moment, actor_id, action, target, clean, address])[1:]
        prepared.rows.append((target, bulk.json_text(clean), tail))
    return prepared


def write_events(prepared: PreparedEvents) -> int:
    """Chain and insert prepared events in the caller's write transaction: ten thousand take a few
    hundredths of a second. Returns how many."""
    if not prepared.rows:
        return 0
    prev, key = _chain_head(), chain_key()
    connection = db.session.connection()
    sqlite = bulk.is_sqlite(connection)
    moment = bulk.driver_value(prepared.occurred_at, sqlite)
    rows = []
    for target, details, tail in prepared.rows:
        digest = hmac.new(key, f'["{prev}",{tail}'.encode(), hashlib.sha256).hexdigest()
        rows.append((moment, prepared.actor_id, prepared.action, target, details, prepared.address, prev, digest))
        prev = digest
    columns = ("occurred_at", "actor_id", "action", "target", "details", "address", "prev_hash", "hash")
    bulk.insert_rows(connection, AuditEvent.__table__, columns, rows)
    db.session.info["flushed"] = True  # written, though not through a flush: start_writing must keep it
    return len(rows)


def record(action: str, *, actor=None, target: str = "", **details) -> AuditEvent:
    """Append one event to the chain. Adds and flushes; the caller's commit makes it real."""
    session = db.session
    prev = _chain_head()
    clean = {k: v for k, v in details.items() if k not in _SECRET_KEYS}
    address = (request.remote_addr or "") if has_request_context() else "cli"
    actor_id = getattr(actor, "id", actor)
    event = AuditEvent(
        occurred_at=utcnow(), actor_id=actor_id, action=action, target=target,
        details=clean, address=address, prev_hash=prev,
    )
    event.hash = event_hash(
        prev, key=chain_key(), occurred_at=event.occurred_at, actor_id=actor_id, action=action,
        target=target, details=clean, address=address,
    )
    session.add(event)
    session.flush()
    log.debug("audit %s by %s on %s", action, actor_id, target)
    return event
