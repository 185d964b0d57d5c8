"""Server-side sign-in sessions behind Flask-Login.

The cookie carries a random token; the database keeps its hash. Ending the row (sign-out,
password change, deactivation) ends every copy of the cookie, remember-me included.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from functools import cache

from flask import current_app
from flask_login.utils import _create_identifier
from sqlalchemy import bindparam, select, update

from accounts.models import RoleGrant, SignInSession, User
from core.reads import labelled, read, tracked_from
from database import utcnow
from extensions import db


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User, *, remember: bool, address: str) -> str:
    token = secrets.token_urlsafe(32)
    life: timedelta = (
        current_app.config["REMEMBER_COOKIE_DURATION"] if remember
        else current_app.config["PERMANENT_SESSION_LIFETIME"]
    )
    db.session.add(SignInSession(
        token_hash=_digest(token), user_id=user.id, expires_at=utcnow() + life, address=address[:64],
    ))
    db.session.flush()
    user.session_token = token
    return token


@cache
def _by_token():
    # Built once: every request runs it, and building the statement cost as much as running it.
    # One row per role grant (or one with none): the person's columns, the session's expiry, and
    # the grant as a plain (role, mission) pair, since every page's top bar asks for the roles.
    # Plain rows, not ORM loading: the joined-eager User with RoleGrant, Deployment and Mission
    # objects was a third of a signed-in request's time. Deployments load when a page reads them
    # (My training, the course page, home), with their missions in the same statement.
    return (select(*labelled(User, "user_"), SignInSession.expires_at,
                   RoleGrant.role.label("grant_role"), RoleGrant.mission_id.label("grant_mission"))
            .join(SignInSession, SignInSession.user_id == User.id)
            .outerjoin(RoleGrant, RoleGrant.user_id == User.id)
            .where(SignInSession.token_hash == bindparam("token_hash"), SignInSession.ended_at.is_(None)))


def load_user_by_token(token: str) -> User | None:
    rows = read(_by_token(), {"token_hash": _digest(token)}).all()
    if not rows:
        return None
    first = rows[0]
    if not first.user_is_active or _aware(first.expires_at) <= utcnow():
        return None
    user = tracked_from(User, first._mapping, "user_")
    user.read_grants = tuple((row.grant_role, row.grant_mission) for row in rows if row.grant_role is not None)
    user.session_token = token
    return user


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(
            update(SignInSession).where(SignInSession.token_hash == _digest(token),
                                        SignInSession.ended_at.is_(None)).values(ended_at=utcnow())
        )


def end_all_sessions(user: User, *, keep_token: str | None = None) -> None:
    statement = update(SignInSession).where(SignInSession.user_id == user.id, SignInSession.ended_at.is_(None))
    if keep_token:
        statement = statement.where(SignInSession.token_hash != _digest(keep_token))
    db.session.execute(statement.values(ended_at=utcnow()))


def session_identifier() -> str:
    """Flask-Login's session identifier (a SHA-512 of the address and the browser's name), worked
    out only when session protection is on. Flask-Login works it out on every request before it
    looks at the setting (LoginManager._session_protection_failed); protection is off here, since
    a sign-in is a server-side row (above), so that was 8 microseconds for nothing on every page.
    Installed as Flask-Login 0.6's identifier hook, LoginManager._session_identifier_generator."""
    mode = current_app.config.get("SESSION_PROTECTION", current_app.login_manager.session_protection)
    return _create_identifier() if mode in ("basic", "strong") else ""


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
