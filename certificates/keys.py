"""Signing keys: one active key for every host, its private half encrypted in the database.

Several app servers share one database (README, "Running in production"), so the key that
signs certificates must be the same on all of them: the private half is stored in
`signing_keys.private_key_encrypted`, sealed with AES-256-GCM under a key derived from
KEY_ENCRYPTION_KEY (an environment secret kept apart from the database and from SECRET_KEY).
A database backup alone therefore signs nothing; the backup procedure says to keep the secret.

A key that cannot be read (wrong secret, a legacy key whose file is gone) is an error in the log
and an audit event, never a silently created new key: a new key would make every offline copy of
keys.json stale. Keys change only by `flask rotate-signing-key`.
"""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import select

from certificates import signing
from certificates.models import SigningKey
from database import utcnow
from extensions import db

log = logging.getLogger(__name__)

# Sealed key layout: version byte, 12-byte nonce, AES-GCM ciphertext of the raw 32-byte key.
SEAL_VERSION = b"\x01"
_loaded: dict[tuple[str, bytes], Ed25519PrivateKey] = {}  # (key id, sealing key) -> key


class SigningKeyUnavailable(RuntimeError):
    """The active key's private half cannot be read here; nothing is signed until it can."""

    def __init__(self, key_id: str | None, why: str):
        super().__init__(f"signing key {key_id or '-'} cannot be used: {why}")
        self.key_id, self.why = key_id, why


def active_key() -> tuple[str, Ed25519PrivateKey]:
    """The key every host signs with, created only when the database has never had one."""
    row = db.session.scalar(select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.id.desc()))
    if row is None:
        if db.session.scalar(select(SigningKey.id).limit(1)) is not None:
            _unavailable(None, "every signing key is retired and none is active; run `flask rotate-signing-key`")
        return _create_key()
    return row.key_id, private_key_of(row)


def private_key_of(row: SigningKey) -> Ed25519PrivateKey:
    sealing_key = _sealing_key()
    cached = _loaded.get((row.key_id, sealing_key))
    if cached is not None:
        return cached
    if row.private_key_encrypted is None:
        key = _adopt_legacy_file(row)
    else:
        key = _unseal(row, sealing_key)
    _loaded[(row.key_id, sealing_key)] = key
    return key


def rotate() -> str:
    """Retire the active key and create a new one. Old certificates keep verifying."""
    for row in db.session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
        row.retired_at = utcnow()
    key_id, _key = _create_key()
    return key_id


def public_keys() -> dict[str, str]:
    """Every key ever used, active and retired: key id -> base64url public key."""
    return {row.key_id: row.public_key for row in db.session.scalars(select(SigningKey).order_by(SigningKey.id))}


def import_legacy_files() -> list[str]:
    """Seal every key whose private half is still only a file in the key folder (upgrades)."""
    adopted = []
    for row in db.session.scalars(select(SigningKey).where(SigningKey.private_key_encrypted.is_(None))):
        if (_legacy_dir() / f"{row.key_id}.pem").exists():
            _adopt_legacy_file(row)
            adopted.append(row.key_id)
    return adopted


def _create_key() -> tuple[str, Ed25519PrivateKey]:
    private_key = signing.new_private_key()
    public_text = signing.public_key_text(private_key)
    key_id = signing.key_id_for(public_text, date.today())
    db.session.add(SigningKey(key_id=key_id, public_key=public_text,
                              private_key_encrypted=_seal(key_id, private_key, _sealing_key())))
    db.session.flush()
    return key_id, private_key


def _seal(key_id: str, private_key: Ed25519PrivateKey, sealing_key: bytes) -> bytes:
    raw = private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
    nonce = os.urandom(12)
    # The key id is bound in as associated data: a sealed key copied onto another row fails.
    return SEAL_VERSION + nonce + AESGCM(sealing_key).encrypt(nonce, raw, key_id.encode())


def _unseal(row: SigningKey, sealing_key: bytes) -> Ed25519PrivateKey:
    blob = bytes(row.private_key_encrypted)
    if blob[:1] != SEAL_VERSION:
        _unavailable(row.key_id, "its sealed private key has an unknown format")
    try:
        raw = AESGCM(sealing_key).decrypt(blob[1:13], blob[13:], row.key_id.encode())
    except InvalidTag:
        _unavailable(row.key_id, "KEY_ENCRYPTION_KEY does not open it (a different secret than the one it was sealed with)")
    return Ed25519PrivateKey.from_private_bytes(raw)


def _adopt_legacy_file(row: SigningKey) -> Ed25519PrivateKey:
    """Keys made before keys moved into the database lived in instance/signing-keys/<id>.pem."""
    path = _legacy_dir() / f"{row.key_id}.pem"
    if not path.exists():
        _unavailable(row.key_id, f"its private half is neither in the database nor at {path}")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey) or signing.public_key_text(key) != row.public_key:
        _unavailable(row.key_id, f"{path} does not hold the private half of this key")
    row.private_key_encrypted = _seal(row.key_id, key, _sealing_key())
    db.session.flush()
    log.info("signing key %s moved from %s into the database (sealed)", row.key_id, path)
    return key


def _unavailable(key_id: str | None, why: str):
    log.error("certificate signing key %s cannot be used: %s", key_id or "-", why)
    # The request that needed the key rolls back; certificates.errors records the audit event
    # after that rollback, so the event survives.
    raise SigningKeyUnavailable(key_id, why)


def _sealing_key() -> bytes:
    secret = current_app.config.get("KEY_ENCRYPTION_KEY") or ""
    if not secret:
        _unavailable(None, "KEY_ENCRYPTION_KEY is not set")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"cpt signing-key sealing v1").derive(secret.encode())


def _legacy_dir() -> Path:
    return Path(current_app.config.get("SIGNING_KEY_DIR") or Path(current_app.instance_path) / "signing-keys")
