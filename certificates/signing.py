"""Ed25519 signing of certificate payloads (pure: no Flask, no database).

The payload a QR code carries is `CPT1.<base64url canonical JSON>.<base64url signature>`; the
canonical JSON is the compact array [serial, name, course, issued, expires, key id] with dates
as YYYY-MM-DD. Anyone holding the public key of `key id` can check it with no connection.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import date

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "CPT1"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Claims:
    serial: str
    name: str
    course: str
    issued: date
    expires: date
    key_id: str

    def canonical(self) -> bytes:
        fields = [self.serial, self.name, self.course, self.issued.isoformat(), self.expires.isoformat(), self.key_id]
        return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def from_canonical(cls, data: bytes) -> Claims:
        serial, name, course, issued, expires, key_id = json.loads(data)
        return cls(serial, name, course, date.fromisoformat(issued), date.fromisoformat(expires), key_id)


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_key_text(private_key: Ed25519PrivateKey) -> str:
    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return b64url(raw)


def key_id_for(public_text: str, created: date) -> str:
    return f"{created:%Y%m}-{hashlib.sha256(public_text.encode()).hexdigest()[:8]}"


def sign(claims: Claims, private_key: Ed25519PrivateKey) -> str:
    return b64url(private_key.sign(claims.canonical()))


def payload(claims: Claims, signature: str) -> str:
    return f"{PREFIX}.{b64url(claims.canonical())}.{signature}"


def check_code(signature: str) -> str:
    """Six characters a person can read over a phone, tied to this exact signature."""
    digest = hashlib.sha256(signature.encode()).digest()
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
    value = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(6):
        value, index = divmod(value, len(alphabet))
        chars.append(alphabet[index])
    return "".join(chars)


class PayloadError(ValueError):
    """The payload is malformed, signed by an unknown key, or altered."""


def verify_payload(text: str, public_keys: dict[str, str]) -> Claims:
    """Return the claims if `text` is a genuine payload signed by one of `public_keys` (id -> key)."""
    parts = text.strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise PayloadError("not a certificate payload")
    try:
        body, signature = unb64url(parts[1]), unb64url(parts[2])
        claims = Claims.from_canonical(body)
    except (ValueError, TypeError) as error:
        raise PayloadError("malformed payload") from error
    key_text = public_keys.get(claims.key_id)
    if key_text is None:
        raise PayloadError(f"unknown signing key {claims.key_id}")
    try:
        Ed25519PublicKey.from_public_bytes(unb64url(key_text)).verify(signature, body)
    except (InvalidSignature, ValueError) as error:
        raise PayloadError("signature does not match: the certificate was altered") from error
    return claims
