"""Open Badges 3.0: a certificate as a W3C Verifiable Credential, signed as a JWT (pure: no Flask).

The JWT follows Open Badges 3.0 section 8.2 (VC-JWT): header {alg, typ, kid}; the payload is the
OpenBadgeCredential itself with the claims iss, sub, jti, nbf and exp added (section 8.2.4.1; not the
VC 1.1 `vc` wrapper, which OB 3.0 verifiers do not read). `kid` is a URL on this site that answers
the public JWK, so a verifier that has never seen this site can fetch the key; `sub` equals
`credentialSubject.id`, a random URN kept per person (it says nothing about them and survives key
and secret rotation). Revocation is published as a W3C Bitstring Status List credential, signed
the same way (https://www.w3.org/TR/vc-bitstring-status-list/).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
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
# The Bitstring Status List spec asks for at least 131,072 entries per list so that one
# certificate's position says little about when it was issued. Certificate ids are dense, so list
# n (counted from 1, like every id in a URL here) covers ids (n-1)*SIZE .. n*SIZE-1 and nothing has
# to be stored per certificate.
STATUS_LIST_SIZE = 131_072


def _timestamp(day: date | datetime) -> str:
    moment = day if isinstance(day, datetime) else datetime.combine(day, time(0, 0), tzinfo=timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def status_position(certificate_id: int) -> tuple[int, int]:
    """(list number, index in that list) of a certificate's revocation bit."""
    number, index = divmod(certificate_id, STATUS_LIST_SIZE)
    return number + 1, index


def hashed_email(email: str, salt: str) -> str:
    """An Open Badges IdentityHash: lets whoever already knows the address match it, tells nobody else."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def issuer_profile(urls: dict, issuer_name: str, jwks: list[dict] | None = None) -> dict:
    """The issuer's Profile; with `jwks`, also the keys it signs with (as verification methods)."""
    profile = {"id": urls["issuer"], "type": ["Profile"], "name": issuer_name, "url": urls["site"]}
    if jwks is not None:
        profile = {"@context": CONTEXTS, **profile, "verificationMethod": [
            {"id": urls["key"](jwk["kid"]), "type": "JsonWebKey", "controller": urls["issuer"], "publicKeyJwk": jwk}
            for jwk in jwks]}
    return profile


def achievement(achievement_id: str, title: str, description: str | None) -> dict:
    return {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": title,
        "description": description or title,
        "criteria": {"narrative": "Studied every module of the course and passed each module's quiz."},
    }


def credential(record: dict) -> dict:
    """The OpenBadgeCredential for `record`.

    `record` keys: verify_url, urls (site, issuer, achievement, status_list, key(kid) -> url),
    issuer_name, subject_id, email (or None), salt, course_title, description, certificate_id,
    issued_at, expires_at (datetimes).
    """
    urls = record["urls"]
    subject = {"id": record["subject_id"], "type": ["AchievementSubject"],
               "achievement": achievement(urls["achievement"], record["course_title"], record["description"])}
    if record.get("email"):
        subject["identifier"] = [{"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                                  "identityHash": hashed_email(record["email"], record["salt"]),
                                  "salt": record["salt"]}]
    list_number, index = status_position(record["certificate_id"])
    status_list_url = urls["status_list"](list_number)
    return {
        "@context": CONTEXTS,
        "id": record["verify_url"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": record["course_title"],
        "issuer": issuer_profile(urls, record["issuer_name"]),
        # VC 2.0 names (validFrom / validUntil) for current verifiers, and the VC 1.1 names the
        # Open Badges 3.0 JSON schema still requires, with the same values.
        "validFrom": _timestamp(record["issued_at"]),
        "validUntil": _timestamp(record["expires_at"]),
        "issuanceDate": _timestamp(record["issued_at"]),
        "expirationDate": _timestamp(record["expires_at"]),
        "credentialSubject": subject,
        "credentialStatus": {
            "id": f"{status_list_url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": status_list_url,
        },
    }


def encode_bits(set_indexes: list[int], size: int = STATUS_LIST_SIZE) -> str:
    """A multibase (base64url, "u") GZIP bitstring; index 0 is the first byte's left-most bit."""
    bits = bytearray(size // 8)
    for index in set_indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same revocations always give the same bytes.
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode().rstrip("=")


def decode_bit(encoded_list: str, index: int) -> bool:
    text = encoded_list.removeprefix("u")
    bits = gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(list_url: str, urls: dict, issuer_name: str, revoked_indexes: list[int],
                           now: datetime) -> dict:
    """The BitstringStatusListCredential: bit i is set when the certificate at index i is revoked."""
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_profile(urls, issuer_name),
        "validFrom": _timestamp(now),
        "credentialSubject": {"id": f"{list_url}#list", "type": "BitstringStatusList",
                              "statusPurpose": "revocation", "encodedList": encode_bits(revoked_indexes)},
    }


def _private_jwk(private_key: Ed25519PrivateKey) -> OKPKey:
    return OKPKey.import_key(private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def sign(vc: dict, private_key: Ed25519PrivateKey, kid: str) -> str:
    """The VC-JWT of `vc`; `kid` is the URL that answers the public JWK.

    Open Badges 3.0 section 8.2.4.1: the payload is the credential's JSON object with the JWT
    claims added, each equal to the credential field it stands for.
    """
    claims = {
        **vc,
        "iss": vc["issuer"]["id"],
        "jti": vc["id"],
        "nbf": int(datetime.fromisoformat(vc["validFrom"].replace("Z", "+00:00")).timestamp()),
    }
    if "id" in vc["credentialSubject"] and "validUntil" in vc:
        claims["sub"] = vc["credentialSubject"]["id"]
        claims["exp"] = int(datetime.fromisoformat(vc["validUntil"].replace("Z", "+00:00")).timestamp())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        return jwt.encode({"alg": ALGORITHM, "typ": "JWT", "kid": kid}, claims, _private_jwk(private_key),
                          algorithms=[ALGORITHM])


def public_jwk(key_id: str, public_key_b64url: str) -> dict:
    return {"kty": "OKP", "crv": "Ed25519", "x": public_key_b64url, "kid": key_id, "alg": ALGORITHM, "use": "sig"}


def key_id_of(kid: str) -> str:
    """The key id inside a `kid` URL (.../verify/keys/<key id>.json), or `kid` itself for old badges."""
    return kid.rsplit("/", 1)[-1].removesuffix(".json")


def verify(token: str, public_keys: dict[str, str]) -> dict:
    """The claims of a badge JWT signed by one of `public_keys` (key id -> base64url key); raises if not."""
    header = extract_compact(token.encode()).protected
    key_text = public_keys.get(key_id_of(header.get("kid", "")))
    if key_text is None:
        raise ValueError(f"unknown signing key {header.get('kid')}")
    key = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": key_text})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        token_data = jwt.decode(token, key, algorithms=[ALGORITHM])
    jwt.JWTClaimsRegistry(exp={"essential": True}, nbf={"essential": True}).validate(token_data.claims)
    return token_data.claims
