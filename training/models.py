"""Courses, modules, immutable module versions, lessons, progress, completions, requirements.

Text that exists per language is stored as a JSON object {"en": ..., "fr": ..., "ar": ...};
`training.i18n.pick(obj, lang, default)` chooses the best language for a reader.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from database import TimestampMixin, utcnow
from extensions import db


class VersionStatus(str, enum.Enum):
    DRAFT = "draft"          # editable; learners never see it
    PUBLISHED = "published"  # frozen forever
    RETIRED = "retired"      # an older published version, still frozen, progress on it still counts


class DeliveryMode(enum.StrEnum):
    """How a completion was earned (Completion.delivery_mode)."""

    ONLINE = "online"
    IN_PERSON = "in_person"  # a session held in the room, passed on the paper quiz (inperson/)
    RECOGNISED = "recognised"


class Course(TimestampMixin, db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    description: Mapped[dict] = mapped_column(JSON, default=dict)
    validity_months: Mapped[int] = mapped_column(default=36)
    # Completing the course again this many days before the certificate expires renews it.
    renewal_window_days: Mapped[int] = mapped_column(default=60)
    default_language: Mapped[str] = mapped_column(String(5), default="en")
    languages: Mapped[str] = mapped_column(String(40), default="en")
    # Bumped each time one of its modules publishes a version; certificates record it.
    version: Mapped[int] = mapped_column(default=0)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    is_archived: Mapped[bool] = mapped_column(default=False)
    # Who is offered the course as optional training: {"missions": [mission ids], "kinds": [...],
    # "categories": [...], "languages": [...]}, chosen by its authors; None offers it to nobody.
    # Requirements reach whoever they name, whatever this says (training.learning.offered_to).
    audience: Mapped[dict | None] = mapped_column(JSON)

    modules: Mapped[list[Module]] = relationship(back_populates="course", order_by="Module.position")
    authors: Mapped[list[CourseAuthor]] = relationship(back_populates="course", cascade="all, delete-orphan")

    @property
    def language_list(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]


class CourseAuthor(db.Model):
    """A co-author: may edit the course like its owner."""

    __tablename__ = "course_authors"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    course: Mapped[Course] = relationship(back_populates="authors")


class Module(TimestampMixin, db.Model):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    default_language: Mapped[str] = mapped_column(String(5), default="en")
    is_archived: Mapped[bool] = mapped_column(default=False)

    course: Mapped[Course] = relationship(back_populates="modules")
    versions: Mapped[list[ModuleVersion]] = relationship(back_populates="module", order_by="ModuleVersion.number")


class ModuleVersion(TimestampMixin, db.Model):
    __tablename__ = "module_versions"
    __table_args__ = (
        UniqueConstraint("module_id", "number"),
        CheckConstraint("status IN ('draft', 'published', 'retired')", name="status"),
        # At most one draft per module.
        Index("uq_module_versions_one_draft", "module_id", unique=True,
              sqlite_where=db.text("status = 'draft'"), postgresql_where=db.text("status = 'draft'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), default=VersionStatus.DRAFT.value)
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    objectives: Mapped[dict] = mapped_column(JSON, default=dict)  # {"en": ["...", ...]}
    minutes: Mapped[int] = mapped_column(default=15)
    sources: Mapped[list] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    module: Mapped[Module] = relationship(back_populates="versions")
    lessons: Mapped[list[Lesson]] = relationship(back_populates="module_version", order_by="Lesson.position",
                                                 cascade="all, delete-orphan")

    @property
    def is_frozen(self) -> bool:
        return self.status != VersionStatus.DRAFT.value


class Lesson(db.Model):
    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("module_version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id"), index=True)
    # Stable across versions of the module, so a learner resumes at "the same" lesson.
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    body: Mapped[dict] = mapped_column(JSON, default=dict)  # Markdown per language

    module_version: Mapped[ModuleVersion] = relationship(back_populates="lessons")


class LessonImage(TimestampMixin, db.Model):
    """A re-encoded upload, stored in the database so app servers keep no files of their own."""

    __tablename__ = "lesson_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int]
    height: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    original_name: Mapped[str] = mapped_column(String(200), default="")


class LessonView(db.Model):
    """A learner has studied this lesson (of this exact version). One row, however often."""

    __tablename__ = "lesson_views"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    viewed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Completion(db.Model):
    """A learner completed a module version (lessons viewed and quiz passed).

    `cycle` counts certification cycles: 0 leads to the first certificate, 1 to its renewal, and
    so on, so recertifying records new completions instead of colliding with the old ones.
    """

    __tablename__ = "completions"
    __table_args__ = (
        UniqueConstraint("user_id", "module_version_id", "cycle"),
        Index("ix_completions_module_completed", "module_id", "completed_at"),
        # Reports count, per person, the modules they completed (index only).
        Index("ix_completions_user_module", "user_id", "module_id", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"))
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id"))
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempt_id: Mapped[int | None]  # the passing quiz attempt, when the module has a quiz
    cycle: Mapped[int] = mapped_column(default=0)
    # How the module was done: online | in_person | recognised
    delivery_mode: Mapped[str] = mapped_column(String(12), default="online", server_default="online")


# What satisfies a requirement: a certificate earned online, one earned in person (a session with
# a pass mark on the paper quiz), or either (readiness.rule.certificate_counts).
SATISFIED_BY = ("either", "online", "in_person")


class Requirement(TimestampMixin, db.Model):
    """Course C is required for mission M (or every mission of a kind) for some categories."""

    __tablename__ = "requirements"
    __table_args__ = (
        CheckConstraint("(mission_id IS NULL) <> (mission_kind IS NULL)", name="one_scope"),
        CheckConstraint(f"satisfied_by IN {SATISFIED_BY}", name="satisfied_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    mission_id: Mapped[int | None] = mapped_column(ForeignKey("missions.id"), index=True)
    mission_kind: Mapped[str | None] = mapped_column(String(20))
    categories: Mapped[str] = mapped_column(String(60), default="military,police,civilian")
    # Days after arrival by which the course must be complete; negative means before arrival.
    due_days: Mapped[int] = mapped_column(default=14)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    satisfied_by: Mapped[str] = mapped_column(String(12), default="either", server_default="either")  # SATISFIED_BY

    course: Mapped[Course] = relationship()

    @property
    def category_list(self) -> list[str]:
        return [c for c in self.categories.split(",") if c]


