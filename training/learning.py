"""What a learner sees: which courses and module versions, in which language, where to resume.

Reads only; recording progress lives in training.progress.

Which version a learner studies: the module's published version, except that a learner who
started an older version (viewed one of its lessons) and has not completed it keeps that
version until they do. When several such versions exist, the one they started first wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from accounts.models import User
from extensions import db
from training import progress
from training.i18n import available, pick
from training.models import Completion, Course, Lesson, LessonView, Module, ModuleVersion, VersionStatus
from training.readiness import Readiness, requirements_for

FROZEN = (VersionStatus.PUBLISHED.value, VersionStatus.RETIRED.value)


def published_version(module: Module) -> ModuleVersion | None:
    return db.session.scalar(select(ModuleVersion).where(
        ModuleVersion.module_id == module.id, ModuleVersion.status == VersionStatus.PUBLISHED.value))


def started_version(user_id: int, module: Module) -> ModuleVersion | None:
    """The frozen version the person began and has not completed (first begun wins), if any."""
    completed = select(Completion.module_version_id).where(Completion.user_id == user_id,
                                                           Completion.module_id == module.id)
    first_view = func.min(LessonView.viewed_at)
    return db.session.scalar(
        select(ModuleVersion)
        .join(Lesson, Lesson.module_version_id == ModuleVersion.id)
        .join(LessonView, LessonView.lesson_id == Lesson.id)
        .where(ModuleVersion.module_id == module.id, ModuleVersion.status.in_(FROZEN),
               LessonView.user_id == user_id, ModuleVersion.id.not_in(completed))
        .group_by(ModuleVersion.id).order_by(first_view, ModuleVersion.number).limit(1))


def learner_version(user: User, module: Module) -> ModuleVersion | None:
    """The version `user` studies now: the one they started, else the published one."""
    if module.is_archived or module.course.is_archived:
        return None
    return started_version(user.id, module) or published_version(module)


def live_modules(course: Course) -> list[Module]:
    """The modules learners see: not archived and published at least once."""
    return [m for m in course.modules if not m.is_archived and published_version(m) is not None]


def visible_courses() -> list[Course]:
    """Courses a learner may open: not archived, with at least one published module."""
    has_published = (select(Module.course_id).join(ModuleVersion, ModuleVersion.module_id == Module.id)
                     .where(Module.is_archived.is_(False), ModuleVersion.status == VersionStatus.PUBLISHED.value))
    return list(db.session.scalars(select(Course).where(Course.is_archived.is_(False), Course.id.in_(has_published))
                                   .order_by(Course.code)))


def is_visible(course: Course) -> bool:
    return not course.is_archived and bool(live_modules(course))


# ---- language ---------------------------------------------------------------------------------

def version_languages(version: ModuleVersion) -> list[str]:
    """Languages the whole version is written in: its title and every lesson's title and text."""
    langs = set(available(version.title))
    for lesson in version.lessons:
        langs &= set(available(lesson.title)) & set(available(lesson.body))
    order = ["en", "fr", "ar"]
    return sorted(langs, key=lambda code: (order.index(code) if code in order else len(order), code))


def content_language(version: ModuleVersion, requested: str | None, preferred: str) -> str:
    """?lang= when the version has it, else the reader's language when it has it, else the module's default."""
    langs = version_languages(version)
    for code in (requested, preferred):
        if code and code in langs:
            return code
    return version.module.default_language


# ---- progress as the learner sees it -----------------------------------------------------------

@dataclass
class ModuleProgress:
    module: Module
    version: ModuleVersion | None
    viewed: set[int] = field(default_factory=set)
    completed: bool = False

    @property
    def total(self) -> int:
        return len(self.version.lessons) if self.version else 0

    @property
    def done_count(self) -> int:
        return len(self.viewed)

    @property
    def lessons_done(self) -> bool:
        return self.total > 0 and self.done_count >= self.total

    @property
    def started(self) -> bool:
        return bool(self.viewed)


def module_progress(user: User, module: Module, cycle: int | None = None) -> ModuleProgress:
    version = learner_version(user, module)
    viewed = progress.viewed_lesson_ids(user.id, version.id) if version else set()
    if cycle is None:
        cycle = progress.current_cycle(user.id, module.course)
    completed = db.session.scalar(select(Completion.id).where(
        Completion.user_id == user.id, Completion.module_id == module.id, Completion.cycle == cycle).limit(1))
    return ModuleProgress(module, version, viewed, completed is not None)


def course_progress(user: User, course: Course) -> list[ModuleProgress]:
    cycle = progress.current_cycle(user.id, course)
    return [module_progress(user, module, cycle) for module in live_modules(course)]


def resume_lesson(version: ModuleVersion, viewed: set[int]) -> Lesson | None:
    """The first lesson not yet viewed, else the last one."""
    for lesson in version.lessons:
        if lesson.id not in viewed:
            return lesson
    return version.lessons[-1] if version.lessons else None


def next_step(user: User, course: Course) -> tuple[ModuleProgress, Lesson | None] | None:
    """Where to continue a course: the first module not complete, and its lesson to resume."""
    for item in course_progress(user, course):
        if not item.completed and item.version is not None:
            return item, resume_lesson(item.version, item.viewed)
    return None


def lesson_in(version: ModuleVersion, key: str) -> Lesson | None:
    return next((lesson for lesson in version.lessons if lesson.key == key), None)


# ---- My training ------------------------------------------------------------------------------

@dataclass
class RequiredCourse:
    course: Course
    readiness: Readiness


def required_courses(user: User, on: date | None = None) -> list[RequiredCourse]:
    """Courses required of `user` by their current deployment; for a course required twice, the earliest due date."""
    by_course: dict[int, RequiredCourse] = {}
    for requirement, readiness in requirements_for(user, on):
        course = requirement.course
        if course.is_archived:
            continue
        known = by_course.get(course.id)
        if known is None or readiness.due_on < known.readiness.due_on:
            by_course[course.id] = RequiredCourse(course, readiness)
    # Renewal due comes before the plainly cleared: it is the one that needs doing.
    order = {"overdue": 0, "expired": 1, "due": 2, "renewal": 3, "cleared": 4}
    return sorted(by_course.values(), key=lambda item: (
        order.get("renewal" if item.readiness.renewal_due else item.readiness.status, 9), item.readiness.due_on))


def course_title(course: Course, lang: str) -> str:
    return pick(course.title, lang, course.default_language) or course.code
