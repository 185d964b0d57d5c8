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
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from accounts.models import Deployment, SignInSession, User
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
    # The roles come in the same statement: every page's navigation asks for them. So do the
    # deployments (with their missions): My training, the course page and the reminders read them.
    return (select(User, SignInSession.expires_at)
            .join(SignInSession, SignInSession.user_id == User.id)
            # An outer join for the mission too: the relationship's inner join would nest as
            # (deployments JOIN missions), which SQLite materialises for every deployment there is.
            .options(joinedload(User.role_grants),
                     joinedload(User.deployments).joinedload(Deployment.mission, innerjoin=False))
            .where(SignInSession.token_hash == bindparam("token_hash"), SignInSession.ended_at.is_(None)))


def load_user_by_token(token: str) -> User | None:
    row = db.session.execute(_by_token(), {"token_hash": _digest(token)}).unique().first()
    if row is None:
        return None
    user, expires_at = row
    if not user.is_active or _aware(expires_at) <= utcnow():
        return None
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


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
