"""What a learner sees: which courses and module versions, in which language, where to resume.

Reads only; recording progress lives in training.progress.

Which version a learner studies: the module's published version, except that a learner who
started an older version (viewed one of its lessons) and has not completed it keeps that
version until they do. When several such versions exist, the one they started first wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from sqlalchemy import String, bindparam, cast, func, literal, literal_column, or_, select
from sqlalchemy.orm import aliased, selectinload, undefer

from accounts.models import User
from core import languages
from core.reads import objects, plain, read, rows
from extensions import db
from training import frozen, progress
from training.hooks import Standing, hooks
from training.i18n import available, pick
from training.models import Completion, Course, Lesson, LessonView, Module, ModuleVersion, VersionStatus
from training.statuses import RENEWAL_URGENCY, STATUS

FROZEN = (VersionStatus.PUBLISHED.value, VersionStatus.RETIRED.value)


def published_version(module: Module) -> ModuleVersion | None:
    """The module's published version, if any (what an in-person session teaches and completes)."""
    return db.session.scalar(select(ModuleVersion).where(
        ModuleVersion.module_id == module.id, ModuleVersion.status == VersionStatus.PUBLISHED.value))


@dataclass
class StudiedVersions:
    """For a set of modules: the published version of each, the one the person began and has
    not completed (if any), and so the version they study."""

    published: dict[int, ModuleVersion]
    started: dict[int, ModuleVersion]
    # Read with the versions when the statement carried them (_outlines): the lessons the person
    # has read, by version, and the certification cycles they completed, by module.
    viewed: dict[int, set[int]] | None = None
    completed: dict[int, set[int]] | None = None

    @property
    def studied(self) -> dict[int, ModuleVersion]:
        return {**self.published, **self.started}


def _versions(user_id: int, module_ids: list[int], *, with_lessons: bool, bodies: bool = True) -> StudiedVersions:
    """One statement (two with the lessons), whatever the number of modules: each module's published
    version, and every frozen version the person viewed a lesson of and has not completed, with
    the moment of its first view; the first begun is the one they study."""
    if not module_ids:
        return StudiedVersions({}, {})
    rows = db.session.execute(_versions_statement(with_lessons, bodies), {"user_id": user_id, "module_ids": module_ids})
    return StudiedVersions(*_published_and_begun(rows))


def _published_and_begun(rows) -> tuple[dict, dict]:
    """From (version, first view) pairs, where a version is anything with module_id, status and
    number: each module's published version, and the begun one they study (first begun wins)."""
    published: dict = {}
    begun: dict[int, tuple] = {}
    for version, first_view in rows:
        if version.status == VersionStatus.PUBLISHED.value:
            published[version.module_id] = version
        if first_view is not None:
            key = (first_view, version.number)
            if version.module_id not in begun or key < begun[version.module_id][0]:
                begun[version.module_id] = (key, version)
    return published, {module_id: version for module_id, (_, version) in begun.items()}


def studied_version_id(user_id: int, module_id: int) -> int | None:
    """The id of the version learner_version() would give, from plain rows (no ORM objects)."""
    version = _studied_of(read(_studied_ids_statement(one_module=True), {"user_id": user_id, "module_id": module_id}))
    return version.id if version else None


def _studied_of(rows):
    """Of one module's version rows, the one learner_version() would give (the begun, else the published)."""
    published, begun = _published_and_begun((row, row.first_view) for row in rows)
    return next(iter(begun.values()), None) or next(iter(published.values()), None)


@dataclass(frozen=True)
class StudiedVersion:
    id: int
    viewed: frozenset[int]  # the version's lessons the person has read


def studied_from(rows) -> StudiedVersion | None:
    """The version learner_version() would give, with the lessons of it the person has read, from
    the rows of studied_statement_of_lesson() (the lesson page reads them beside its lesson's row:
    player.lesson_and_studied; it needs no ORM objects, which cost it more than the query)."""
    version = _studied_of(rows)
    if version is None:
        return None
    return StudiedVersion(version.id, frozenset(_ids(version.viewed)))


@cache
def studied_statement_of_lesson():
    """The version rows of the module of the lesson bound as "lesson_id" (one to three), each
    with the ids of its lessons the person has read, as "3,5,8"."""
    return _studied_ids_statement(of_lesson=True).add_columns(_viewed_in_version().label("viewed"))


@cache
def _outline_rows_statement():
    # My training and the course page: each version row also carries the certification cycles in
    # which the person completed its module, as "1,2": one statement instead of three.
    completed = (select(_joined(Completion.cycle)).where(Completion.user_id == bindparam("user_id"),
                                                          Completion.module_id == ModuleVersion.module_id)
                 .scalar_subquery())
    return _studied_ids_statement().add_columns(_viewed_in_version().label("viewed"), completed.label("completed"))


def _viewed_in_version():
    return (select(_joined(LessonView.lesson_id)).join(Lesson, Lesson.id == LessonView.lesson_id)
            .where(LessonView.user_id == bindparam("user_id"), Lesson.module_version_id == ModuleVersion.id)
            .scalar_subquery())


def _joined(column):
    # The separator as SQL text: given as a string, it is a parameter written into the SQL anew on
    # every run (SQLAlchemy's "post-compile" step, a few percent of the lesson page).
    return func.aggregate_strings(cast(column, String), literal_column("','"))


def _ids(joined: str | None) -> set[int]:
    return {int(n) for n in (joined or "").split(",") if n}


def _module_of_lesson():
    # Aliases: the statement it goes into selects from these tables too, and must not correlate.
    version, lesson = aliased(ModuleVersion), aliased(Lesson)
    return (select(version.module_id).join(lesson, lesson.module_version_id == version.id)
            .where(lesson.id == bindparam("lesson_id")).scalar_subquery())


@cache
def _studied_ids_statement(one_module: bool = False, of_lesson: bool = False):
    # The same rows as _versions_statement(), only the columns the choice and the outlines read.
    query = _versions_statement(False, True, one_module, of_lesson)
    return query.with_only_columns(ModuleVersion.id, ModuleVersion.module_id, ModuleVersion.status,
                                   ModuleVersion.number, ModuleVersion.title, ModuleVersion.minutes,
                                   ModuleVersion.published_at, query.selected_columns.first_view)


@dataclass(frozen=True)
class LessonRef:
    id: int


@dataclass(frozen=True)
class VersionOutline:
    """A studied version as My training and the course page use it: its title, length and lesson
    ids in order, in place of a ModuleVersion (same attribute names), without its texts."""

    id: int
    module_id: int
    number: int
    status: str
    title: dict
    minutes: int
    lessons: tuple[LessonRef, ...]


def _outlines(user_id: int, module_ids: list[int]) -> StudiedVersions:
    """_versions() in plain rows (core.reads): the versions of 8 modules and their 40 lessons as
    ORM objects took a sixth of the course page; the same two statements as rows a tenth of that.
    Each row also brings the lessons read and the cycles completed, so modules_progress() reads
    nothing more (the lesson ids are remembered per process: one statement in all, mostly)."""
    if not module_ids:
        return StudiedVersions({}, {})
    rows = read(_outline_rows_statement(), {"user_id": user_id, "module_ids": module_ids}).all()
    published, begun = _published_and_begun((row, row.first_view) for row in rows)
    chosen = {row.id: row for row in [*published.values(), *begun.values()]}
    # A published version's lessons never change: read once per process (training.frozen).
    lessons = frozen.remembered("lesson ids", ((row.id, row.published_at) for row in chosen.values()),
                                _lesson_refs)
    outlines = {version_id: VersionOutline(row.id, row.module_id, row.number, row.status, row.title, row.minutes,
                                           lessons[version_id]) for version_id, row in chosen.items()}
    return StudiedVersions({module_id: outlines[row.id] for module_id, row in published.items()},
                           {module_id: outlines[row.id] for module_id, row in begun.items()},
                           viewed={row.id: _ids(row.viewed) for row in rows},
                           completed={row.module_id: _ids(row.completed) for row in rows})


def lesson_ids(version_id: int, published_at: datetime | None) -> list[int]:
    """A version's lesson ids in order, without loading its lessons (their texts in every
    language); read once per process for a published version (training.frozen), hence the
    version's publication instant beside its id."""
    refs = frozen.remembered("lesson ids", [(version_id, published_at)], _lesson_refs)[version_id]
    return [ref.id for ref in refs]


def _lesson_refs(version_ids: list[int]) -> dict[int, tuple[LessonRef, ...]]:
    # Tuples: the same lists serve every request of the process.
    lessons: dict[int, list[LessonRef]] = {version_id: [] for version_id in version_ids}
    for lesson_id, version_id in read(_outline_lessons_statement(), {"version_ids": version_ids}):
        lessons[version_id].append(LessonRef(lesson_id))
    return {version_id: tuple(refs) for version_id, refs in lessons.items()}


@cache
def _outline_lessons_statement():
    return (select(Lesson.id, Lesson.module_version_id)
            .where(Lesson.module_version_id.in_(bindparam("version_ids", expanding=True)))
            .order_by(Lesson.module_version_id, Lesson.position))


@cache
def _versions_statement(with_lessons: bool, bodies: bool, one_module: bool = False, of_lesson: bool = False):
    # Built once per process: every learner page runs it, and building it cost more than running it.
    # For one module (the lesson page) an equality: an expanding IN list is rewritten on every run
    # (so the frozen statuses are bound one by one too: as OR, SQLite ran the statement 7x slower).
    # `of_lesson`: the module is the one of the lesson bound as "lesson_id".
    user_id = bindparam("user_id")
    if one_module or of_lesson:
        module_id = _module_of_lesson() if of_lesson else bindparam("module_id")

        def of_modules(column):
            return column == module_id
    else:
        module_ids = bindparam("module_ids", expanding=True)

        def of_modules(column):
            return column.in_(module_ids)
    completed = select(Completion.module_version_id).where(Completion.user_id == user_id,
                                                           of_modules(Completion.module_id))
    first_views = (
        select(Lesson.module_version_id.label("version_id"), func.min(LessonView.viewed_at).label("first_view"))
        .join(LessonView, LessonView.lesson_id == Lesson.id)
        .join(ModuleVersion, ModuleVersion.id == Lesson.module_version_id)
        .where(LessonView.user_id == user_id, of_modules(ModuleVersion.module_id),
               ModuleVersion.status.in_([literal(status) for status in FROZEN]), ModuleVersion.id.not_in(completed))
        .group_by(Lesson.module_version_id).subquery("first_views"))
    query = (select(ModuleVersion, first_views.c.first_view)
             .outerjoin(first_views, first_views.c.version_id == ModuleVersion.id)
             .where(of_modules(ModuleVersion.module_id),
                    or_(ModuleVersion.status == VersionStatus.PUBLISHED.value, first_views.c.version_id.is_not(None))))
    if with_lessons and bodies:
        query = query.options(selectinload(ModuleVersion.lessons))
    elif with_lessons:  # titles and order only: the course page does not read 30 lessons' text in 3 languages
        query = query.options(selectinload(ModuleVersion.lessons).defer(Lesson.body))
    return query


def studied_versions(user: User, modules: list[Module], *, with_lessons: bool = True,
                     bodies: bool = True) -> StudiedVersions:
    """learner_version() for many modules at once, in a fixed number of statements. `bodies=False`
    leaves the lessons' text unloaded (read it with lesson_bodies())."""
    module_ids = [m.id for m in modules if not m.is_archived and not m.course.is_archived]
    return _versions(user.id, module_ids, with_lessons=with_lessons, bodies=bodies)


def lesson_bodies(version: ModuleVersion) -> None:
    """Load the text of every lesson of `version` in one statement (after studied_versions(bodies=False))."""
    db.session.execute(select(Lesson).where(Lesson.module_version_id == version.id).options(undefer(Lesson.body))
                       .execution_options(populate_existing=True)).all()


def learner_version(user: User, module: Module, *, with_lessons: bool = False) -> ModuleVersion | None:
    """The version `user` studies now: the one they started, else the published one."""
    return studied_versions(user, [module], with_lessons=with_lessons).studied.get(module.id)


def live_modules(course: Course) -> list[Module]:
    """The modules learners see: not archived and published at least once."""
    published = set(db.session.scalars(select(ModuleVersion.module_id).join(Module).where(
        Module.course_id == course.id, ModuleVersion.status == VersionStatus.PUBLISHED.value)))
    return [m for m in course.modules if not m.is_archived and m.id in published]


def visible_courses() -> list[Course]:
    """Courses a learner may open: not archived, with at least one published module."""
    return objects(Course, _visible)  # plain rows made tracked objects (core.reads): My training asks on every visit


def _visible(query):
    return query.where(Course.is_archived.is_(False), Course.id.in_(_has_published())).order_by(Course.code)


def _has_published():
    return (select(Module.course_id).join(ModuleVersion, ModuleVersion.module_id == Module.id)
            .where(Module.is_archived.is_(False), ModuleVersion.status == VersionStatus.PUBLISHED.value))


def is_visible(course: Course) -> bool:
    if course.is_archived:
        return False
    return db.session.scalar(select(_has_published().where(Module.course_id == course.id).exists())) or False


# ---- who is offered an optional course --------------------------------------------------------

def offered_to(course: Course, user: User, on: date | None = None) -> bool:
    """Whether `user` is offered `course` as optional training: their current mission is one its
    authors chose (by name or by kind), and their category and language are among those chosen.
    A course with no audience chosen is offered to nobody; required courses do not need this."""
    audience = course.audience
    deployment = user.current_deployment(on) if audience else None
    if deployment is None:
        return False
    mission = deployment.mission
    return ((mission.id in audience.get("missions", []) or mission.kind in audience.get("kinds", []))
            and user.category in audience.get("categories", [])
            and user.preferred_language in audience.get("languages", []))


# ---- language ---------------------------------------------------------------------------------

def version_languages(version: ModuleVersion) -> list[str]:
    """Languages the whole version is written in: its title and every lesson's title and text."""
    return common_languages(version.title, [set(available(lesson.title)) & set(available(lesson.body))
                                            for lesson in version.lessons])


def common_languages(version_title: dict, lesson_languages: list[set[str]]) -> list[str]:
    """The languages of the version's title that every lesson (title and text) is written in, in display order."""
    langs = set(available(version_title))
    for written in lesson_languages:
        langs &= written
    return sorted(langs, key=languages.configured().order_key)


def content_language(version: ModuleVersion, requested: str | None, preferred: str) -> str:
    """?lang= when the version has it, else the reader's language when it has it, else the module's default."""
    return pick_language(version_languages(version), requested, preferred, version.module.default_language)


def pick_language(langs: list[str], requested: str | None, preferred: str, default: str) -> str:
    for code in (requested, preferred):
        if code and code in langs:
            return code
    return default


# ---- progress as the learner sees it -----------------------------------------------------------

@dataclass
class ModuleProgress:
    module: Module  # or a plain row of its columns (courses_progress with outlines: My training, the course page)
    version: ModuleVersion | VersionOutline | None
    viewed: set[int] = field(default_factory=set)
    completed: bool = False
    published: ModuleVersion | VersionOutline | None = None  # the module's published version (a newer one than `version`, maybe)

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
    if cycle is None:
        cycle = progress.current_cycle(user.id, module.course)
    return modules_progress(user, [module], {module.course_id: cycle})[0]


def modules_progress(user: User, modules: list[Module], cycles: dict[int, int],
                     versions: StudiedVersions | None = None) -> list[ModuleProgress]:
    """Each module's progress in a fixed number of statements (set-based, not module by module).
    `cycles` maps each course to the person's current certification cycle in it."""
    if versions is None:
        versions = studied_versions(user, modules)
    studied = versions.studied
    viewed, completed = versions.viewed, versions.completed
    if viewed is None:
        viewed = {}
        version_ids = [v.id for v in studied.values()]
        if version_ids:
            for lesson_id, version_id in rows(_viewed_statement(), {"user_id": user.id, "version_ids": version_ids}):
                viewed.setdefault(version_id, set()).add(lesson_id)
    if completed is None:
        completed = {}
        if modules:
            for module_id, cycle in rows(_completed_statement(),
                                         {"user_id": user.id, "module_ids": [m.id for m in modules]}):
                completed.setdefault(module_id, set()).add(cycle)
    result = []
    for module in modules:
        version = studied.get(module.id)
        result.append(ModuleProgress(module, version, viewed.get(version.id, set()) if version else set(),
                                     cycles.get(module.course_id, 0) in completed.get(module.id, ()),
                                     versions.published.get(module.id)))
    return result


@cache
def _viewed_statement():
    return (select(LessonView.lesson_id, Lesson.module_version_id).join(Lesson, Lesson.id == LessonView.lesson_id)
            .where(LessonView.user_id == bindparam("user_id"),
                   Lesson.module_version_id.in_(bindparam("version_ids", expanding=True))))


@cache
def _completed_statement():
    return (select(Completion.module_id, Completion.cycle)
            .where(Completion.user_id == bindparam("user_id"),
                   Completion.module_id.in_(bindparam("module_ids", expanding=True))).distinct())


def _live_modules(query):
    return (query.where(Module.course_id.in_(bindparam("course_ids", expanding=True)), Module.is_archived.is_(False))
            .order_by(Module.course_id, Module.position))


def courses_progress(user: User, courses: list[Course], *,
                     outlines: bool = False) -> dict[int, list[ModuleProgress]]:
    """For each course, its live modules with the person's progress in each (empty: not visible).
    A fixed number of statements however many courses and modules. With `outlines`, each
    progress's version is a VersionOutline (title, minutes, lesson ids), not a ModuleVersion, and
    its module a plain row of the module's columns (core.reads.plain), not a Module."""
    courses = [c for c in courses if not c.is_archived]
    if not courses:
        return {}
    cycles = progress.current_cycles(user.id, courses)
    if outlines:
        modules = plain(Module, _live_modules, {"course_ids": [c.id for c in courses]})
        versions = _outlines(user.id, [m.id for m in modules])  # archived modules and courses are left out above
    else:
        modules = objects(Module, _live_modules, {"course_ids": [c.id for c in courses]})
        versions = studied_versions(user, modules, bodies=False)
    live = [m for m in modules if m.id in versions.published]
    by_course: dict[int, list[ModuleProgress]] = {c.id: [] for c in courses}
    for item in modules_progress(user, live, cycles, versions):
        by_course[item.module.course_id].append(item)
    return by_course


def course_progress(user: User, course: Course, *, outlines: bool = False) -> list[ModuleProgress]:
    """The live modules of the course with the person's progress in each (empty: the course is not visible)."""
    return courses_progress(user, [course], outlines=outlines).get(course.id, [])


def resume_lesson(version: ModuleVersion, viewed: set[int]) -> Lesson | None:
    """The first lesson not yet viewed, else the last one."""
    for lesson in version.lessons:
        if lesson.id not in viewed:
            return lesson
    return version.lessons[-1] if version.lessons else None


def next_step(user: User, course: Course | None,
              modules: list[ModuleProgress] | None = None) -> tuple[ModuleProgress, Lesson | None] | None:
    """Where to continue a course: the first module not complete, and its lesson to resume.
    Pass the course_progress() already computed for this request to avoid computing it again."""
    for item in modules if modules is not None else course_progress(user, course):
        if not item.completed and item.version is not None:
            return item, resume_lesson(item.version, item.viewed)
    return None


def lesson_in(version: ModuleVersion, key: str) -> Lesson | None:
    return next((lesson for lesson in version.lessons if lesson.key == key), None)


# ---- My training ------------------------------------------------------------------------------

@dataclass
class RequiredCourse:
    course: Course
    readiness: Standing


def required_courses(user: User, on: date | None = None) -> list[RequiredCourse]:
    """Courses required of `user` by their current deployment; for a course required twice, the earliest due date.
    The requirements hook (readiness) says which apply and their status."""
    by_course: dict[int, RequiredCourse] = {}
    for requirement, readiness in hooks().requirements(user, on):
        course = requirement.course
        if course.is_archived:
            continue
        known = by_course.get(course.id)
        if known is None or readiness.due_on < known.readiness.due_on:
            by_course[course.id] = RequiredCourse(course, readiness)
    # Renewal due comes before the plainly cleared: it is the one that needs doing.
    return sorted(by_course.values(), key=lambda item: (
        RENEWAL_URGENCY if item.readiness.renewal_due else STATUS[item.readiness.status].urgency, item.readiness.due_on))


def course_title(course: Course, lang: str) -> str:
    return pick(course.title, lang, course.default_language) or course.code
