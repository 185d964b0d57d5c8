"""Activation codes: how a person on the roster gets in without anyone setting a password for them.

An admin or a mission lead issues codes for a set of people (a unit, a mission, one person); each
person gets one short code printed on a slip. At /activate the person types their service number
and the code, chooses a password and a language, and is signed in.

- The alphabet has no 0/O or 1/I (32 symbols, 5 bits each); 12 symbols make 60 bits. With the
  per-service-number rate limit (ACTIVATE_LIMIT_PER_ACCOUNT, default 5 per 15 minutes) an attacker
  needs about 10^15 days to find one person's code by guessing.
- Only HMAC-SHA256(key, "<user id>:<code>") is stored; the key is derived from SECRET_KEY, so a
  copy of the database alone does not give the codes, and a code is bound to its person.
- A person has at most one live code (partial unique index): issuing voids the old one.
- Every failure (unknown service number, wrong, used, voided or expired code, deactivated
  account) gets the same answer and changes nothing but the audit log.

Like accounts.services these verbs add and flush; the view commits.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import Date, Integer, bindparam, case, exists, func, insert, select, update

from accounts import sessions
from accounts.models import ActivationCode, Deployment, SignInSession, User
from accounts.passwords import hash_password
from audit.services import record
from core import languages, reads
from database import advisory_lock, utcnow
from extensions import db

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, no 1/I
GROUPS, GROUP_LENGTH = 3, 4
CODE_LENGTH = GROUPS * GROUP_LENGTH
_BATCH = 500  # rows per INSERT / UPDATE when issuing for a whole mission


@dataclass(frozen=True)
class IssuedCode:
    """What a slip needs. The code exists in clear only here, between issuing and printing."""

    user_id: int
    name: str
    service_number: str
    language: str
    code: str
    expires_on: date


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + GROUP_LENGTH] for i in range(0, CODE_LENGTH, GROUP_LENGTH))


def normalise(typed: str) -> str:
    """What a person typed, as stored: case, spaces and dashes ignored."""
    return re.sub(r"[\s\-‐‑‒–—_.]", "", typed or "").upper()


def _key() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    return hmac.new(secret.encode() if isinstance(secret, str) else secret, b"activation-code-v1",
                    hashlib.sha256).digest()


def code_hash(user_id: int, code: str, key: bytes | None = None) -> str:
    return hmac.new(key or _key(), f"{user_id}:{normalise(code)}".encode(), hashlib.sha256).hexdigest()


def _live(now: datetime | None = None):
    clause = ActivationCode.used_at.is_(None) & ActivationCode.voided_at.is_(None)
    return clause if now is None else clause & (ActivationCode.expires_at > now)


def issue_codes(people: Iterable[User], *, actor: User, scope: str, target: str) -> list[IssuedCode]:
    """A new code for each person (voiding their live one). One audit event: who, for whom, how many."""
    # Two leads printing the same unit at once: the second waits, then voids the first's codes
    # (one live code per person) instead of failing on the unique index.
    advisory_lock(db.session, "activation-codes")
    now = utcnow()
    days = int(current_app.config["ACTIVATION_CODE_DAYS"])
    expires_at = now + timedelta(days=days)
    key = _key()
    known, default = languages.codes(), current_app.config["BABEL_DEFAULT_LOCALE"]
    issued: list[IssuedCode] = []
    people = list(people)
    for start in range(0, len(people), _BATCH):
        batch = people[start:start + _BATCH]
        db.session.execute(update(ActivationCode)
                           .where(ActivationCode.user_id.in_([p.id for p in batch]), _live())
                           .values(voided_at=now).execution_options(synchronize_session=False))
        rows = []
        for person in batch:
            code = new_code()
            rows.append({"user_id": person.id, "code_hash": code_hash(person.id, code, key), "created_at": now,
                         "expires_at": expires_at, "issued_by_id": actor.id})
            issued.append(IssuedCode(person.id, person.name, person.service_number,
                                     person.preferred_language if person.preferred_language in known else default,
                                     code, expires_at.date()))
        db.session.execute(insert(ActivationCode), rows)
    details = {"scope": scope, "count": len(issued), "expires_on": expires_at.date().isoformat()}
    if len(issued) <= 50:  # for a unit or a mission the scope says who; the list would swamp the log
        details["people"] = [item.service_number for item in issued]
    record("activation_codes_issued", actor=actor, target=target, **details)
    db.session.flush()
    return issued


def activate(service_number: str, typed_code: str, password: str, language: str, *, address: str) -> User | None:
    """Use a code: set the password and language and sign in. None (and nothing changed) if it fails."""
    number = (service_number or "").strip().upper()[:40]
    user = db.session.scalar(select(User).where(User.service_number == number)) if number else None
    now = utcnow()
    candidate = None
    if user is not None and user.is_active:
        candidate = db.session.scalar(select(ActivationCode).where(ActivationCode.user_id == user.id, _live(now)))
    expected = candidate.code_hash if candidate else "0" * 64
    # Compared even when there is no code, so a known service number takes no longer to refuse.
    matches = hmac.compare_digest(expected, code_hash(user.id if user else 0, typed_code))
    if candidate is None or not matches or len(normalise(typed_code)) != CODE_LENGTH:
        record("activation_failed", target="", service_number=number)
        return None
    # Conditional: of two requests with the same code at once, one wins.
    used = db.session.execute(update(ActivationCode)
                              .where(ActivationCode.id == candidate.id, _live(now))
                              .values(used_at=now).execution_options(synchronize_session=False))
    if used.rowcount != 1:
        record("activation_failed", target="", service_number=number)
        return None
    user.password_hash = hash_password(password)
    user.must_change_password = False
    user.preferred_language = language if language in languages.codes() else user.preferred_language
    sessions.end_all_sessions(user)
    record("account_activated", actor=user, target=f"user:{user.id}", language=user.preferred_language)
    sessions.start_session(user, remember=False, address=address)
    record("sign_in", actor=user, target=f"user:{user.id}", via="activation")
    db.session.flush()
    return user


# --- who to issue for -----------------------------------------------------------------------

def never_signed_in():
    """SQL condition: this person has never had a sign-in session."""
    return ~exists().where(SignInSession.user_id == User.id)


def people_deployed(mission_id: int, *, unit_id: int | None = None, only_never_signed_in: bool = False,
                    on: date | None = None) -> list[User]:
    """Active people whose current deployment is in the mission (and unit), by unit then name."""
    on = on or date.today()
    query = (select(User).join(Deployment, Deployment.user_id == User.id)
             .where(Deployment.mission_id == mission_id, Deployment.current_clause(on), User.is_active.is_(True)))
    if unit_id:
        query = query.where(Deployment.unit_id == unit_id)
    if only_never_signed_in:
        query = query.where(never_signed_in())
    people = db.session.scalars(query.order_by(Deployment.unit_id, User.name, User.id))
    return list(dict.fromkeys(people))  # one row per person even if two deployments overlap


def never_signed_in_by_unit(mission_id: int, on: date | None = None) -> dict[int | None, tuple[int, int]]:
    """unit id (None: no unit) -> (people deployed now, of whom never signed in), one query (read as
    plain rows, core.reads.rows)."""
    found = reads.rows(_never_signed_in_by_unit(), {"mission_id": mission_id, "on": on or date.today()})
    return {unit_id: (int(total), int(never or 0)) for unit_id, total, never in found}


@lru_cache(maxsize=1)
def _never_signed_in_by_unit():
    """Built once per process; parameters mission_id and on."""
    return never_signed_in_counts(bindparam("mission_id", type_=Integer), bindparam("on", type_=Date))


def never_signed_in_counts(mission_id, on):
    """The SQL of never_signed_in_by_unit, for a mission and day given as SQL values (parameters):
    rows of (unit_id, people, never). The mission dashboard asks it inside its figures' statement
    (reports.queries.mission_figures)."""
    never = func.sum(case((never_signed_in(), 1), else_=0))
    return (select(Deployment.unit_id, func.count(func.distinct(User.id)).label("people"), never.label("never"))
            .join(User, User.id == Deployment.user_id)
            .where(Deployment.mission_id == mission_id, Deployment.current_clause(on), User.is_active.is_(True))
            .group_by(Deployment.unit_id))
