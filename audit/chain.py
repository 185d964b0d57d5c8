"""Pure hash-chain arithmetic for audit events (no Flask, no database).

Each event's hash is an HMAC-SHA256, keyed with a secret kept outside the database (AUDIT_KEY),
over the previous hash and the event's contents: someone who can edit rows cannot recompute the
hashes after an edit. Chains written before the key existed used plain SHA-256 (key=None here);
`flask audit rekey` checks such a chain the old way once and re-keys it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS = "0" * 64


def iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json(items: list) -> str:
    return json.dumps(items, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(prev_hash: str, *, key: bytes | None, occurred_at: datetime, actor_id: int | None, action: str,
               target: str, details: dict, address: str) -> str:
    canonical = canonical_json([prev_hash, iso_utc(occurred_at), actor_id, action, target, details, address]).encode()
    if key is None:  # the unkeyed chain of older installations, read only by `flask audit rekey`
        return hashlib.sha256(canonical).hexdigest()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def row_hash(row, key: bytes | None, prev_hash: str | None = None) -> str:
    return event_hash(
        row.prev_hash if prev_hash is None else prev_hash, key=key, occurred_at=row.occurred_at,
        actor_id=row.actor_id, action=row.action, target=row.target, details=row.details, address=row.address,
    )


@dataclass
class ChainWalk:
    broken: tuple[int, str] | None = None
    count: int = 0
    last_id: int = 0
    last_hash: str = GENESIS


def walk(rows: Iterable, key: bytes | None) -> ChainWalk:
    """Walk rows in id order; stop at the first that breaks the chain, else report its head."""
    result = ChainWalk()
    for row in rows:
        if row.prev_hash != result.last_hash:
            result.broken = (row.id, "previous-hash link does not match the row before it")
            return result
        if not hmac.compare_digest(row_hash(row, key), row.hash):
            result.broken = (row.id, "contents do not match the stored hash")
            return result
        result.count, result.last_id, result.last_hash = result.count + 1, row.id, row.hash
    return result


def first_broken(rows: Iterable, key: bytes | None) -> tuple[int, str] | None:
    """Walk rows in id order; return (id, reason) of the first that breaks the chain."""
    return walk(rows, key).broken
