"""argon2id password hashing.

Parameters: 2 passes over 19 MiB with 1 lane (the OWASP minimum for argon2id) take ~25 ms on
one core here, so a storm of 50 sign-ins in 10 seconds costs about 1.3 core-seconds on a
2-core machine. Tests use a cheaper profile through PASSWORD_HASH_FAST.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_production = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_active = _production

MIN_LENGTH = 10

# Verified against when the account does not exist, so that an unknown user and a wrong
# password take the same time and give the same answer.
_DUMMY_HASH = _production.hash("no-such-account-placeholder")


def use_fast_hashing(fast: bool) -> None:
    global _active, _DUMMY_HASH
    _active = _fast if fast else _production
    _DUMMY_HASH = _active.hash("no-such-account-placeholder")


def hash_password(password: str) -> str:
    return _active.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _active.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """A reason the password is not acceptable, or None."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if password.strip() != password:
        return "Do not start or end the password with a space."
    if len(set(password)) < 4:
        return "Use a less repetitive password."
    return None
