"""Pure hash-chain arithmetic for audit events (no Flask, no database)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime

GENESIS = "0" * 64


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(prev_hash: str, *, occurred_at: datetime, actor_id: int | None, action: str,
               target: str, details: dict, address: str) -> str:
    canonical = json.dumps(
        [prev_hash, _iso(occurred_at), actor_id, action, target, details, address],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def first_broken(rows: Iterable) -> tuple[int, str] | None:
    """Walk rows in id order; return (id, reason) of the first that breaks the chain."""
    expected_prev = GENESIS
    for row in rows:
        if row.prev_hash != expected_prev:
            return row.id, "previous-hash link does not match the row before it"
        recomputed = event_hash(
            row.prev_hash, occurred_at=row.occurred_at, actor_id=row.actor_id, action=row.action,
            target=row.target, details=row.details, address=row.address,
        )
        if recomputed != row.hash:
            return row.id, "contents do not match the stored hash"
        expected_prev = row.hash
    return None
