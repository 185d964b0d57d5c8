"""Reminders as notices in the app: every reminder (e-mailed or not) shows on My training and right
after signing in, so people without an e-mail address are reached too. Seeing the notice after
sign-in, or pressing "Got it" on My training, records `Reminder.seen_at`: the lead's list then says
the person was reached in the app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app, flash
from flask_babel import ngettext
from sqlalchemy import bindparam, select, update

from core.reads import rows
from database import utcnow
from extensions import db
from reports.models import Reminder
from training.i18n import pick
from training.models import Course, Requirement


@dataclass
class Notice:
    course: str
    status: str  # due | overdue | expired | renewal, when sent
    sent_at: datetime
    seen: bool


def current_notices(user_id: int, lang: str, now: datetime | None = None) -> list[Notice]:
    """The person's reminders of the last REMINDER_INTERVAL_DAYS days, newest first (one query)."""
    since = (now or utcnow()) - timedelta(days=int(current_app.config["REMINDER_INTERVAL_DAYS"]))
    # Plain rows on the request's connection (core.reads): the ORM's execute cost as much again.
    found = rows(_notices_statement(), {"user_id": user_id, "since": since})
    return [Notice(pick(row.title, lang, row.default_language) or row.code, row.status, row.sent_at,
                   row.seen_at is not None) for row in found]


@cache
def _notices_statement():
    # Built once per process: My training runs it on every request.
    return (select(Reminder.status, Reminder.sent_at, Reminder.seen_at, Course.title, Course.default_language,
                   Course.code)
            .join(Requirement, Requirement.id == Reminder.requirement_id).join(Course, Course.id == Requirement.course_id)
            .where(Reminder.user_id == bindparam("user_id"), Reminder.sent_at > bindparam("since"))
            .order_by(Reminder.sent_at.desc(), Reminder.id))


def mark_seen(user_id: int, now: datetime | None = None) -> int:
    """Record that the person saw their reminders in the app. Flushes; the caller commits."""
    return db.session.execute(update(Reminder).where(Reminder.user_id == user_id, Reminder.seen_at.is_(None))
                              .values(seen_at=now or utcnow()).execution_options(synchronize_session=False)).rowcount


def on_sign_in(sender, user) -> None:
    """flask_login's user_logged_in: a notice for unseen reminders, recorded as seen (its own commit,
    after the sign-in's: signing in has already succeeded whatever happens here)."""
    unseen = db.session.scalar(select(db.func.count(Reminder.id)).where(Reminder.user_id == user.id,
                                                                        Reminder.seen_at.is_(None)))
    if not unseen:
        return
    flash(ngettext("Reminder: a required course needs your attention. See My training.",
                   "Reminder: %(num)d required courses need your attention. See My training.", unseen), "warning")
    mark_seen(user.id)
    db.session.commit()
