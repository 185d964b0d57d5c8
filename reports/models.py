"""Reminders sent: one row per person and requirement, so nobody is e-mailed more than once every N days."""

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
