"""Forgotten passwords: a one-time link by e-mail.

The link carries a random token; only its SHA-256 is stored (a 256-bit random token needs no
key or slow hash: nobody can guess it, and the stored hash cannot be turned back into a link).
A link works once, for RESET_LINK_LIFETIME, and dies when the person signs in or their password
changes (accounts.services.void_reset_links). Asking for a new link voids the older ones.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import current_app, has_request_context, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from accounts.models import PasswordReset, User
from accounts.services import find_user_for_sign_in, record_mail_failure, set_password, void_reset_links
from audit.services import record
from core import mail
from database import utcnow
from extensions import db

RESET_LINK_LIFETIME = timedelta(hours=1)
_TOKEN_MAX_LENGTH = 100  # token_urlsafe(32) is 43 characters; anything far longer is not ours


class DeadLink(Exception):
    """The link was used, voided or expired between loading it and using it."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_link(identifier: str, *, address: str) -> tuple[User | None, str | None]:
    """A new link for the active person `identifier` names, when they have an e-mail address.

    Returns (person, token); token is None when no link was made (unknown, deactivated, or no
    e-mail on file). Records one audit event either way; the token never reaches it.
    """
    user = find_user_for_sign_in(identifier)
    if user is None or not user.is_active:
        record("password_reset_requested", target="", outcome="unknown", identifier=identifier.strip()[:80])
        return None, None
    if not user.email:
        record("password_reset_requested", target=f"user:{user.id}", outcome="no_email")
        return user, None
    void_reset_links(user)  # only the newest link works
    token, now = secrets.token_urlsafe(32), utcnow()
    db.session.add(PasswordReset(token_hash=_digest(token), user_id=user.id, created_at=now,
                                 expires_at=now + RESET_LINK_LIFETIME, address=address[:64]))
    record("password_reset_requested", target=f"user:{user.id}", outcome="link")
    db.session.flush()
    return user, token


def live_link(token: str) -> PasswordReset | None:
    """The unused, unexpired, not voided link of an active person that `token` opens, or None."""
    if not token or len(token) > _TOKEN_MAX_LENGTH:
        return None
    link = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == _digest(token)))
    if link is None or link.used_at is not None or link.voided_at is not None or _aware(link.expires_at) <= utcnow():
        return None
    user = db.session.get(User, link.user_id)
    if user is None or not user.is_active:
        return None
    return link


def complete(link: PasswordReset, new_password: str) -> User:
    """Use the link: set the new password (which ends every sign-in session) and spend it."""
    # A conditional update, so that two submissions of the same link at once set one password.
    spent = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == link.id, PasswordReset.used_at.is_(None), PasswordReset.voided_at.is_(None))
        .values(used_at=utcnow())
    )
    if spent.rowcount != 1:
        raise DeadLink()
    user = db.session.get(User, link.user_id)
    set_password(user, new_password, actor=user, must_change=False)
    record("password_reset_used", actor=user, target=f"user:{user.id}")
    db.session.flush()
    return user


def link_url(token: str) -> str:
    """The link as a full URL. PUBLIC_BASE_URL, when set, wins over the request's Host header,
    which an attacker could otherwise choose to have the mail point at their own site."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if not base and has_request_context():
        base = request.url_root.rstrip("/")
    return base + url_for("accounts.reset_password", token=token)


def compose(user: User, link: str) -> tuple[str, str]:
    """Subject and body in the person's language."""
    with force_locale(user.preferred_language):
        subject = _("Choose a new password")
        body = _(
            "Hello %(name)s,\n\n"
            "Someone, we hope you, asked to choose a new password for the child protection training "
            "account with the service number %(service_number)s. Open this link within one hour to "
            "choose it:\n\n%(link)s\n\n"
            "The link works once. If you did not ask for it, ignore this message: your password stays "
            "as it is.",
            name=user.name, service_number=user.service_number, link=link)
    return subject, body


def send_link(user: User, link: str) -> bool:
    """E-mail the link. False (and a warning without the token) when it could not be sent."""
    subject, body = compose(user, link)
    try:
        with mail.Connection() as smtp:
            smtp.send(mail.build(user.email, subject, body, lang=user.preferred_language))
    except (OSError, mail.smtplib.SMTPException, mail.MailNotConfigured) as error:
        current_app.logger.warning("password reset mail to user %s failed: %s", user.id, type(error).__name__)
        return False
    return True


def sender(user: User, token: str) -> Callable[[], None]:
    """Sending, to run once the answer has gone (`response.call_on_close`): the SMTP round trip
    then does not make a known address answer later than an unknown one. It runs outside the
    request, in an app context (and database session) of its own."""
    app = current_app._get_current_object()
    user_id, link = user.id, link_url(token)

    def send() -> None:
        with app.app_context():
            person = db.session.get(User, user_id)
            if person is not None and not send_link(person, link):
                record_mail_failure(person, "password_reset")
                db.session.commit()

    return send


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
