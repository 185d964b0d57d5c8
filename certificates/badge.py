"""Open Badges 3.0: a certificate as a W3C Verifiable Credential, signed as a JWT (pure: no Flask).

The JWT follows Open Badges 3.0 section 8.2 (VC-JWT): header {alg, typ, kid}, and claims iss,
sub, jti, nbf, exp plus `vc`, the OpenBadgeCredential. It is signed with the same Ed25519 key
as the certificate's QR payload; `kid` is that key's id, and the public key is served at
/verify/keys.json (as a JWK too), so a wallet or a verifier can check it offline.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime, time, timezone

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import OKPKey
from joserfc.jws import extract_compact

CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
# RFC 9864 names the fully specified "Ed25519"; wallets and Open Badges verifiers still expect
# "EdDSA". Both mean the same Ed25519 signature, so the widely understood name is used.
ALGORITHM = "EdDSA"


def _timestamp(day: date | datetime) -> str:
    moment = day if isinstance(day, datetime) else datetime.combine(day, time(0, 0), tzinfo=timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def credential(record: dict) -> dict:
    """The OpenBadgeCredential for `record`.

    `record` keys: verify_url, base_url, issuer_name, holder_name, course_title, course_code,
    description, serial, issued_at, expires_at (datetimes).
    """
    base = record["base_url"]
    return {
        "@context": CONTEXTS,
        "id": record["verify_url"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": record["course_title"],
        "issuer": {"id": f"{base}/", "type": ["Profile"], "name": record["issuer_name"], "url": f"{base}/"},
        "validFrom": _timestamp(record["issued_at"]),
        "validUntil": _timestamp(record["expires_at"]),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityType": "name", "hashed": False,
                            "identityHash": record["holder_name"]}],
            "achievement": {
                "id": f"{base}/courses/{record['course_code']}",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": record["course_title"],
                "description": record["description"] or record["course_title"],
                "criteria": {"narrative": "Studied every module of the course and passed each module's quiz."},
            },
        },
    }


def sign(vc: dict, private_key: Ed25519PrivateKey, key_id: str) -> str:
    key = OKPKey.import_key(private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    claims = {
        "iss": vc["issuer"]["id"],
        "sub": vc["credentialSubject"]["identifier"][0]["identityHash"],
        "jti": vc["id"],
        "nbf": int(datetime.fromisoformat(vc["validFrom"].replace("Z", "+00:00")).timestamp()),
        "exp": int(datetime.fromisoformat(vc["validUntil"].replace("Z", "+00:00")).timestamp()),
        "vc": vc,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        return jwt.encode({"alg": ALGORITHM, "typ": "JWT", "kid": key_id}, claims, key, algorithms=[ALGORITHM])


def public_jwk(key_id: str, public_key_b64url: str) -> dict:
    return {"kty": "OKP", "crv": "Ed25519", "x": public_key_b64url, "kid": key_id, "alg": ALGORITHM, "use": "sig"}


def verify(token: str, public_keys: dict[str, str]) -> dict:
    """The claims of a badge JWT signed by one of `public_keys` (key id -> base64url key); raises if not."""
    header = extract_compact(token.encode()).protected
    key_text = public_keys.get(header.get("kid", ""))
    if key_text is None:
        raise ValueError(f"unknown signing key {header.get('kid')}")
    key = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": key_text})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        token_data = jwt.decode(token, key, algorithms=[ALGORITHM])
    jwt.JWTClaimsRegistry(exp={"essential": True}, nbf={"essential": True}).validate(token_data.claims)
    return token_data.claims
