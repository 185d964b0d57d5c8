"""Question banks, quizzes, frozen quiz versions, attempts and answers.

A question has one id and its text per language, so statistics stay together whatever
language a learner used. Its key (`answer`) is stored apart from the text the learner sees,
and option ids are random tokens that say nothing about which option is right.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from database import TimestampMixin, utcnow
from extensions import db


class ReviewMode(enum.StrEnum):
    NONE = "none"          # only the score and whether it passed
    WRONG = "wrong"        # which questions were wrong
    FEEDBACK = "feedback"  # the right answers and the feedback


class ReviewWhen(enum.StrEnum):
    AFTER_EACH = "after_each"
    AFTER_PASS = "after_pass"  # noqa: S105 (not a password)
    AFTER_LAST = "after_last"  # once no attempt is left (or the quiz is passed)


class Layout(enum.StrEnum):
    ONE_PER_PAGE = "one_per_page"
    ALL_ON_ONE = "all_on_one"


REVIEW_MODES = tuple(m.value for m in ReviewMode)
REVIEW_WHENS = tuple(w.value for w in ReviewWhen)
LAYOUTS = tuple(lay.value for lay in Layout)


class Question(TimestampMixin, db.Model):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("module_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    key: Mapped[str] = mapped_column(String(80))            # stable id, e.g. "m3-q04" (the GIFT title)
    # The GIFT ::name:: as Moodle wrote it ("Grant's Tomb"), when it is not the id itself.
    name: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(40))           # a name in quizzes.registry.TYPES
    tags: Mapped[list] = mapped_column(JSON, default=list)
    is_critical: Mapped[bool] = mapped_column(default=False)
    content: Mapped[dict] = mapped_column(JSON, default=dict)  # {lang: {...}}; see quizzes.registry
    answer: Mapped[dict] = mapped_column(JSON, default=dict)   # the key
    image_id: Mapped[int | None] = mapped_column(ForeignKey("lesson_images.id"))
    position: Mapped[int] = mapped_column(default=0)
    # Archived questions leave the pool; they stay for the attempts and statistics that used them.
    is_archived: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def snapshot(self) -> dict:
        return {"id": self.id, "key": self.key, "type": self.type, "tags": list(self.tags or []),
                "critical": bool(self.is_critical), "content": self.content, "answer": self.answer,
                "image_id": self.image_id}


class Quiz(TimestampMixin, db.Model):
    """The settings of a module's quiz. Attempts never read these directly: see QuizVersion."""

    __tablename__ = "quizzes"
    __table_args__ = (
        CheckConstraint("pass_mark BETWEEN 0 AND 100", name="pass_mark"),
        CheckConstraint(f"review_mode IN {REVIEW_MODES}", name="review_mode"),
        CheckConstraint(f"review_when IN {REVIEW_WHENS}", name="review_when"),
        CheckConstraint(f"layout IN {LAYOUTS}", name="layout"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), unique=True)
    draw_count: Mapped[int] = mapped_column(default=0)            # 0: every question in the pool
    draw_per_tag: Mapped[dict] = mapped_column(JSON, default=dict)  # {tag: n}; when set, replaces draw_count
    min_critical: Mapped[int] = mapped_column(default=0, server_default="0")  # critical questions in every attempt
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    pass_mark: Mapped[int] = mapped_column(default=80)
    attempt_limit: Mapped[int | None]                             # None: unlimited
    cooldown_minutes: Mapped[int] = mapped_column(default=0)
    time_limit_minutes: Mapped[int | None]
    review_mode: Mapped[str] = mapped_column(String(12), default=ReviewMode.FEEDBACK.value)
    # Full feedback once passed; before that, which were wrong (quizzes.review): no key to copy on a retry.
    review_when: Mapped[str] = mapped_column(String(12), default=ReviewWhen.AFTER_PASS.value)
    layout: Mapped[str] = mapped_column(String(16), default=Layout.ONE_PER_PAGE.value)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    versions: Mapped[list[QuizVersion]] = relationship(back_populates="quiz", order_by="QuizVersion.number")

    SETTINGS = ("draw_count", "draw_per_tag", "min_critical", "shuffle_questions", "shuffle_options", "pass_mark",
                "attempt_limit", "cooldown_minutes", "time_limit_minutes", "review_mode", "review_when", "layout")

    def settings(self) -> dict:
        values = {name: getattr(self, name) for name in self.SETTINGS}
        # Left out at 0, so quizzes frozen before the setting existed keep their fingerprint (and version).
        if not values["min_critical"]:
            del values["min_critical"]
        return values


class QuizVersion(db.Model):
    """Settings and pool frozen when an attempt first needs them. Never changed afterwards."""

    __tablename__ = "quiz_versions"
    __table_args__ = (UniqueConstraint("quiz_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    number: Mapped[int]
    fingerprint: Mapped[str] = mapped_column(String(64))
    settings: Mapped[dict] = mapped_column(JSON)
    questions: Mapped[list] = mapped_column(JSON)  # [Question.snapshot(), ...]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    quiz: Mapped[Quiz] = relationship(back_populates="versions")

    def question_map(self) -> dict[int, dict]:
        """The frozen questions by id (read-only: the dicts are shared).

        Parsed once per process and version: the shipped course's versions hold 75-90 KB of
        JSON each (every question in three languages), parsed again on every quiz page for the
        one question it shows. They are kept by fingerprint, the SHA-256 of the version's
        settings and questions (quizzes.services.fingerprint), so the key names the content
        itself: a fingerprint seen in another database (the tests make many) holds the same
        questions. Load the version with its `questions` deferred and a kept map costs no
        statement and no parsing."""
        return kept_question_map(self.fingerprint, lambda: self.questions)


KEPT_QUESTION_MAPS = 256  # quiz versions (~100 KB parsed each) kept per process; forgotten all at once beyond
_QUESTION_MAPS: dict[str, dict[int, dict]] = {}


def kept_question_map(fingerprint: str, load: Callable[[], list]) -> dict[int, dict]:
    """QuizVersion.question_map() for a reader that has only the version's fingerprint (a plain
    row): `load()` returns the version's questions, and is called only when they are not kept."""
    found = _QUESTION_MAPS.get(fingerprint)
    if found is None:
        if len(_QUESTION_MAPS) >= KEPT_QUESTION_MAPS:
            _QUESTION_MAPS.clear()
        found = _QUESTION_MAPS[fingerprint] = {q["id"]: q for q in load()}
    return found


class Attempt(db.Model):
    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "quiz_id", "number"),
        # One open attempt per person and quiz: a double click resumes it instead of starting two.
        Index("uq_attempts_one_open", "user_id", "quiz_id", unique=True,
              sqlite_where=db.text("submitted_at IS NULL"), postgresql_where=db.text("submitted_at IS NULL")),
        Index("ix_attempts_version_submitted", "quiz_version_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"))
    quiz_version_id: Mapped[int] = mapped_column(ForeignKey("quiz_versions.id"))
    module_version_id: Mapped[int | None] = mapped_column(ForeignKey("module_versions.id"))
    number: Mapped[int]
    language: Mapped[str] = mapped_column(String(5), default="en")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    points: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)  # percent
    is_passed: Mapped[bool | None]
    is_critical_failed: Mapped[bool] = mapped_column(default=False)
    # [{"id": question id, "options": [option ids in the order shown]}, ...] in the order shown
    drawn: Mapped[list] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(default=0)  # the page the learner was last on

    quiz_version: Mapped[QuizVersion] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="attempt", cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None


class Answer(db.Model):
    """One row per attempt and question however often it is saved; `score` is set at grading."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    response: Mapped[list] = mapped_column(JSON, default=list)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    score: Mapped[float | None] = mapped_column(Float)

    attempt: Mapped[Attempt] = relationship(back_populates="answers")
