"""In-person training sessions, who attended them, and every attendance mark a trainer sent.

A session teaches a course, or some of its modules, to people of chosen units of one mission.
`Attendance` is the merged result per person and session (what counts); `AttendanceMark` keeps
each mark exactly as a trainer's device sent it, once per client-generated id, so an offline
sync that arrives twice counts once and two trainers ticking the same person lose nothing
(inperson.services.merge_marks states the rule).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, LargeBinary, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Mission, Unit, User
from database import TimestampMixin, utcnow
from extensions import db
from training.models import Course

session_units = Table(
    "training_session_units", db.metadata,
    Column("session_id", ForeignKey("training_sessions.id"), primary_key=True),
    Column("unit_id", ForeignKey("units.id"), primary_key=True),
)

session_trainers = Table(
    "training_session_trainers", db.metadata,
    Column("session_id", ForeignKey("training_sessions.id"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True, index=True),
)


class TrainingSession(TimestampMixin, db.Model):
    """A session held in person (not a sign-in session: those are accounts.models.SignInSession)."""

    __tablename__ = "training_sessions"
    __table_args__ = (
        CheckConstraint("pass_mark >= 0 AND pass_mark <= 100", name="pass_mark_range"),
        Index("ix_training_sessions_mission_held", "mission_id", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    # The modules taught, fixed when the session is planned (all the course's live modules, or a
    # choice of them): a module added to the course later was not taught in this room.
    module_ids: Mapped[list] = mapped_column(JSON, default=list)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"))
    place: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date]
    language: Mapped[str] = mapped_column(String(5), default="en")
    pass_mark: Mapped[int] = mapped_column(default=70)  # percent on the paper quiz
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    course: Mapped[Course] = relationship()
    mission: Mapped[Mission] = relationship()
    units: Mapped[list[Unit]] = relationship(secondary=session_units, order_by=Unit.code)
    trainers: Mapped[list[User]] = relationship(secondary=session_trainers, order_by=User.name)


class Attendance(db.Model):
    """One person at one session, as all marks received so far decide it."""

    __tablename__ = "attendances"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        CheckConstraint("paper_score IS NULL OR (paper_score >= 0 AND paper_score <= 100)", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"))  # first column of the unique key
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    is_present: Mapped[bool] = mapped_column(default=False)
    paper_score: Mapped[int | None]
    is_walk_in: Mapped[bool] = mapped_column(default=False)  # not in the session's units on the day
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    client_id: Mapped[str | None] = mapped_column(String(64))  # the mark that decided this row last
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("session_evidence.id"))
    completed_at: Mapped[datetime | None]  # when the pass was turned into module completions

    session: Mapped[TrainingSession] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    def passed(self, pass_mark: int) -> bool:
        return self.is_present and self.paper_score is not None and self.paper_score >= pass_mark


class AttendanceMark(db.Model):
    """What one trainer's device said about one person, kept as it came (append-only)."""

    __tablename__ = "attendance_marks"
    __table_args__ = (
        CheckConstraint("paper_score IS NULL OR (paper_score >= 0 AND paper_score <= 100)", name="score_range"),
        Index("ix_attendance_marks_session_user", "session_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Made on the device when the trainer ticks or types: the same mark sent again is found by it.
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    is_present: Mapped[bool] = mapped_column(default=False)
    paper_score: Mapped[int | None]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]  # when the trainer made the mark (the device's clock, bounded)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class SessionEvidence(TimestampMixin, db.Model):
    """A scanned signed attendance sheet, re-encoded like a lesson picture (training.images)."""

    __tablename__ = "session_evidence"
    __table_args__ = (UniqueConstraint("session_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int]
    height: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    original_name: Mapped[str] = mapped_column(String(200), default="")
