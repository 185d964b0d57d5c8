"""Signing keys: private halves in instance/signing-keys/ (never in the repo or database)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from sqlalchemy import select

from certificates import signing
from certificates.models import SigningKey
from database import utcnow
from extensions import db


def _key_dir() -> Path:
    path = Path(current_app.config.get("SIGNING_KEY_DIR") or Path(current_app.instance_path) / "signing-keys")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def active_key() -> tuple[str, Ed25519PrivateKey]:
    """The current signing key, created on first use."""
    row = db.session.scalar(select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.id.desc()))
    if row is not None:
        path = _key_dir() / f"{row.key_id}.pem"
        if path.exists():
            return row.key_id, _load(path)
        # The database knows a key this server cannot sign with (lost instance/ folder):
        # retire it so old certificates still verify, and start a new one.
        row.retired_at = utcnow()
    return _create_key()


def rotate() -> str:
    """Retire the active key and create a new one. Old certificates keep verifying."""
    for row in db.session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
        row.retired_at = utcnow()
    key_id, _key = _create_key()
    return key_id


def public_keys() -> dict[str, str]:
    """Every key ever used, active and retired: key id -> base64url public key."""
    return {row.key_id: row.public_key for row in db.session.scalars(select(SigningKey).order_by(SigningKey.id))}


def _create_key() -> tuple[str, Ed25519PrivateKey]:
    private_key = signing.new_private_key()
    public_text = signing.public_key_text(private_key)
    key_id = signing.key_id_for(public_text, date.today())
    path = _key_dir() / f"{key_id}.pem"
    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    db.session.add(SigningKey(key_id=key_id, public_key=public_text))
    db.session.flush()
    return key_id, private_key


def _load(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key
