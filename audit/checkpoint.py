"""Signed checkpoints of the audit chain's head, kept outside the database (no Flask).

A hash chain alone cannot show that its newest events were deleted: what is left still links up.
Every `flask audit verify` appends the head it saw (last event id, its hash, the count) to a file
outside the database, signed with the audit key, and the next run checks that the chain still
holds that event with that hash. Someone with database access only can neither shorten the chain
nor forge a checkpoint to match.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Checkpoint:
    last_id: int
    last_hash: str
    count: int
    written_at: str

    def body(self) -> bytes:
        return json.dumps([self.last_id, self.last_hash, self.count, self.written_at]).encode()


class CheckpointError(Exception):
    pass


def _mac(key: bytes, checkpoint: Checkpoint) -> str:
    return hmac.new(key, b"audit-checkpoint:" + checkpoint.body(), hashlib.sha256).hexdigest()


def latest(path: Path, key: bytes) -> Checkpoint | None:
    """The newest checkpoint in the file, its signature checked; None when there is none yet."""
    if not path.exists():
        return None
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        return None
    try:
        record = json.loads(lines[-1])
        checkpoint = Checkpoint(int(record["last_id"]), str(record["last_hash"]), int(record["count"]),
                                str(record["written_at"]))
        mac = str(record["mac"])
    except (ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"the checkpoint file {path} cannot be read ({error})") from None
    if not hmac.compare_digest(mac, _mac(key, checkpoint)):
        raise CheckpointError(f"the newest checkpoint in {path} is not signed with this audit key "
                              "(the file was edited, or AUDIT_KEY changed)")
    return checkpoint


def append(path: Path, key: bytes, *, last_id: int, last_hash: str, count: int) -> Checkpoint:
    checkpoint = Checkpoint(last_id, last_hash, count, datetime.now(UTC).isoformat(timespec="seconds"))
    line = json.dumps({"last_id": last_id, "last_hash": last_hash, "count": count,
                       "written_at": checkpoint.written_at, "mac": _mac(key, checkpoint)})
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())  # a checkpoint that a crash can lose anchors nothing
    return checkpoint
