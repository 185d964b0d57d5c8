"""Reminders sent: one row per person and requirement, so nobody is reminded more than once every N days.

Every reminder is also a notice in the app (My training, and right after signing in), so people
without an e-mail address are reached too: `emailed_at` says the e-mail went out, `seen_at` that
the person saw the notice in the app. The lead's list shows which (e-mail, in the app, both).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from database import utcnow
from extensions import db


class Reminder(db.Model):
    """The last reminder a person got about a requirement (updated in place on the next one)."""

    __tablename__ = "reminders"
    # Its index (user_id first) also answers "when was this person last reminded?".
    __table_args__ = (UniqueConstraint("user_id", "requirement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirements.id"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    count: Mapped[int] = mapped_column(default=1)  # reminders sent so far
    status: Mapped[str] = mapped_column(String(12))  # due | overdue | expired | renewal, when last sent
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the send-reminders command
    emailed_at: Mapped[datetime | None]  # this reminder went out by e-mail (None: in the app only)
    seen_at: Mapped[datetime | None]     # the person saw this reminder's notice in the app

    @property
    def reached_by(self) -> str | None:
        """How this reminder reached the person: "both", "email", "app", or None (not yet)."""
        return reached_by(self.emailed_at, self.seen_at)


def reached_by(emailed_at: datetime | None, seen_at: datetime | None) -> str | None:
    """Reminder.reached_by, from the two columns (for lists that read rows, not Reminder objects)."""
    if emailed_at and seen_at:
        return "both"
    return "email" if emailed_at else "app" if seen_at else None
