"""What trainers do to courses, modules and draft lessons. Adds and flushes; the view commits.

Content is only ever written into a module's draft (training.versions.start_draft makes one,
copying the last published version with its lesson keys). Published versions are frozen here
and, whatever the code path, by training.guards.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from accounts.models import User
from audit.services import record
from extensions import db
from training import versions
from training.hooks import hooks
from training.models import Completion, Course, CourseAuthor, Lesson, LessonView, Module, ModuleVersion, VersionStatus
from training.versions import VersionError

SLUG_MAX = 60


class AuthoringError(VersionError):
    """A request that breaks an authoring rule; the message is safe to show."""


def slugify(text: str, fallback: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:SLUG_MAX].strip("-")
    return slug or fallback


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base[:SLUG_MAX - 4]}-{n}"
        n += 1
    return candidate


def _with(texts: dict | None, lang: str, value) -> dict:
    """A new per-language dict (a new object, so the JSON column sees the change)."""
    updated = dict(texts or {})
    if value in ("", None, []):
        updated.pop(lang, None)
    else:
        updated[lang] = value
    return updated


# ---- courses ---------------------------------------------------------------------------------

def create_course(*, owner: User, code: str, title: dict, description: dict, validity_months: int,
                  renewal_window_days: int, languages: list[str], default_language: str) -> Course:
    code = code.strip().lower()
    if db.session.scalar(select(Course.id).filter_by(code=code)):
        raise AuthoringError("Another course already uses this code.")
    course = Course(code=code, owner_id=owner.id, version=0)
    _apply_course_fields(course, title, description, validity_months, renewal_window_days, languages, default_language)
    db.session.add(course)
    db.session.flush()
    record("course_created", actor=owner, target=f"course:{course.code}")
    return course


def copy_course(source: Course, *, owner: User, code: str) -> Course:
    """A new course owned by `owner`: the source's details, and each live module as a draft
    (version 1) holding the source's latest published content (its draft if it never published),
    and whatever the module_copied hooks copy with it (quizzes: its settings and question bank).
    Nothing is published: the copy is the owner's to change; learners, certificates and progress
    stay with the source."""
    course = create_course(owner=owner, code=code, title=dict(source.title), description=dict(source.description),
                           validity_months=source.validity_months,
                           renewal_window_days=source.renewal_window_days, languages=source.language_list,
                           default_language=source.default_language)
    live = [m for m in source.modules if not m.is_archived]
    for position, module in enumerate(live, 1):
        content = versions.latest_published(module) or versions.draft_of(module)
        copy = Module(course=course, slug=module.slug, position=position, default_language=module.default_language)
        db.session.add(copy)
        db.session.flush()
        draft = versions.start_draft(copy, actor=owner)
        if content is not None:
            versions.write_content(draft, versions.content_of(content))
        for announce in hooks().module_copied:
            announce(module, copy)
    db.session.flush()
    record("course_copied", actor=owner, target=f"course:{course.code}", source=source.code, modules=len(live))
    return course


def set_audience(course: Course, *, actor: User, missions: list[int], kinds: list[str], categories: list[str],
                 languages: list[str]) -> None:
    """Who is offered the course as optional training; all empty offers it to nobody."""
    if not any((missions, kinds, categories, languages)):
        course.audience = None
    else:
        if not (missions or kinds) or not categories or not languages:
            raise AuthoringError("Choose missions or kinds, categories and languages, or nothing at all.")
        if set(languages) - set(course.language_list):
            raise AuthoringError("Offer the course only in languages it is written in.")
        course.audience = {"missions": sorted(set(missions)), "kinds": sorted(set(kinds)),
                           "categories": sorted(set(categories)), "languages": sorted(set(languages))}
    db.session.flush()
    record("course_audience_set", actor=actor, target=f"course:{course.code}", audience=course.audience)


def update_course(course: Course, *, actor: User, title: dict, description: dict, validity_months: int,
                  renewal_window_days: int, languages: list[str], default_language: str) -> None:
    _apply_course_fields(course, title, description, validity_months, renewal_window_days, languages, default_language)
    db.session.flush()
    record("course_changed", actor=actor, target=f"course:{course.code}", validity_months=validity_months,
           renewal_window_days=renewal_window_days, languages=",".join(languages))


def _apply_course_fields(course, title, description, validity_months, renewal_window_days, languages,
                         default_language) -> None:
    if default_language not in languages:
        raise AuthoringError("The default language must be one of the course's languages.")
    if not (title or {}).get(default_language):
        raise AuthoringError("Give the course a title in its default language.")
    course.title = {k: v for k, v in title.items() if v}
    course.description = {k: v for k, v in description.items() if v}
    course.validity_months, course.renewal_window_days = validity_months, renewal_window_days
    course.languages, course.default_language = ",".join(languages), default_language


def add_co_author(course: Course, person: User, *, actor: User) -> None:
    if not person.has_role("trainer", "admin"):
        raise AuthoringError("Only people with the trainer role can co-author a course.")
    if person.id == course.owner_id or any(a.user_id == person.id for a in course.authors):
        raise AuthoringError("This person already writes this course.")
    course.authors.append(CourseAuthor(user_id=person.id))
    db.session.flush()
    record("course_author_added", actor=actor, target=f"course:{course.code}", user=person.id)


def remove_co_author(course: Course, person: User, *, actor: User) -> None:
    link = next((a for a in course.authors if a.user_id == person.id), None)
    if link is None:
        raise AuthoringError("This person is not a co-author of this course.")
    course.authors.remove(link)
    db.session.flush()
    record("course_author_removed", actor=actor, target=f"course:{course.code}", user=person.id)


# ---- modules ---------------------------------------------------------------------------------

def add_module(course: Course, *, actor: User, title: str, slug: str = "") -> Module:
    title = title.strip()
    if not title:
        raise AuthoringError("Give the module a title.")
    taken = set(db.session.scalars(select(Module.slug).where(Module.course_id == course.id)))
    wanted = slugify(slug or title, "module")
    if slug and wanted in taken:
        raise AuthoringError("Another module of this course already uses this short name.")
    position = (db.session.scalar(select(func.max(Module.position)).where(Module.course_id == course.id)) or 0) + 1
    module = Module(course=course, slug=_unique(wanted, taken), position=position,
                    default_language=course.default_language)
    db.session.add(module)
    db.session.flush()
    draft = versions.start_draft(module, actor=actor)
    draft.title = {course.default_language: title}
    db.session.flush()
    record("module_created", actor=actor, target=f"module:{module.id}", course=course.code, slug=module.slug)
    return module


def move_module(module: Module, direction: str, *, actor: User) -> None:
    siblings = list(module.course.modules)
    _swap(siblings, siblings.index(module), direction)
    for position, sibling in enumerate(siblings, start=1):
        sibling.position = position
    db.session.flush()
    db.session.expire(module.course, ["modules"])
    record("module_moved", actor=actor, target=f"module:{module.id}", direction=direction)


def _swap(items: list, index: int, direction: str) -> None:
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(items):
        return
    items[index], items[other] = items[other], items[index]


def has_been_studied(module: Module) -> bool:
    """Has anyone viewed a lesson of any version of this module, or completed it?"""
    viewed = exists().where(LessonView.lesson_id == Lesson.id, Lesson.module_version_id == ModuleVersion.id,
                            ModuleVersion.module_id == module.id)
    completed = exists().where(Completion.module_id == module.id)
    return bool(db.session.scalar(select(or_(viewed, completed))))


def was_published(module: Module) -> bool:
    return db.session.scalar(select(func.count(ModuleVersion.id)).where(
        ModuleVersion.module_id == module.id, ModuleVersion.status != VersionStatus.DRAFT.value)) > 0


def set_archived(module: Module, archived: bool, *, actor: User) -> None:
    module.is_archived = archived
    db.session.flush()
    record("module_archived" if archived else "module_restored", actor=actor, target=f"module:{module.id}")


def delete_module(module: Module, *, actor: User) -> None:
    """Only a module that was never published (so never studied) may go; others are archived."""
    if has_been_studied(module):
        raise AuthoringError("People have studied this module: archive it instead of deleting it.")
    if was_published(module):
        raise AuthoringError("This module has been published: archive it instead of deleting it.")
    module_id, slug, course = module.id, module.slug, module.course
    try:
        with db.session.begin_nested():
            for version in list(module.versions):
                db.session.delete(version)  # its lessons go with it (delete-orphan)
            db.session.flush()
            db.session.expire(module, ["versions"])
            db.session.delete(module)
            db.session.flush()
    except IntegrityError as error:  # something else (a question bank) still points at it
        raise AuthoringError("Other content (such as a question bank) belongs to this module: "
                             "archive it instead of deleting it.") from error
    db.session.expire(course, ["modules"])
    record("module_deleted", actor=actor, target=f"module:{module_id}", course=course.code, slug=slug)


def discard_draft(module: Module, *, actor: User) -> None:
    """Throw away the unpublished changes; learners never saw them."""
    draft = versions.draft_of(module)
    if draft is None:
        raise AuthoringError("There is no draft to discard.")
    if not was_published(module):
        raise AuthoringError("This module has never been published: delete the module instead.")
    number = draft.number
    db.session.delete(draft)
    db.session.flush()
    db.session.expire(module, ["versions"])
    record("module_draft_discarded", actor=actor, target=f"module:{module.id}", version=number)


def update_details(draft: ModuleVersion, lang: str, *, actor: User, title: str, summary: str,
                   objectives: list[str], minutes: int, sources: list[str]) -> None:
    _require_draft(draft)
    draft.title = _with(draft.title, lang, title.strip())
    draft.summary = _with(draft.summary, lang, summary.strip())
    draft.objectives = _with(draft.objectives, lang, [o.strip() for o in objectives if o.strip()])
    draft.minutes = minutes
    draft.sources = [s.strip() for s in sources if s.strip()]
    db.session.flush()
    record("module_draft_edited", actor=actor, target=f"module:{draft.module_id}", version=draft.number, lang=lang)


def publish_module(module: Module, *, actor: User) -> ModuleVersion:
    draft = versions.draft_of(module)
    if draft is None:
        raise AuthoringError("There is no draft to publish.")
    lang = module.default_language
    if not draft.title.get(lang):
        raise AuthoringError("Give the module a title in its default language before publishing.")
    missing = [lesson for lesson in draft.lessons if not lesson.title.get(lang) or not lesson.body.get(lang)]
    if missing:
        raise AuthoringError("Every lesson needs a title and a text in the module's default language before "
                             "publishing.")
    return versions.publish(draft, actor=actor)


def _require_draft(version: ModuleVersion) -> None:
    if version.status != VersionStatus.DRAFT.value:
        raise AuthoringError("A published version cannot change; start a new draft to edit the module.")


# ---- lessons (always in a draft) ---------------------------------------------------------------

def add_lesson(draft: ModuleVersion, lang: str, *, actor: User, title: str) -> Lesson:
    _require_draft(draft)
    title = title.strip()
    if not title:
        raise AuthoringError("Give the lesson a title.")
    taken = {lesson.key for lesson in draft.lessons}
    lesson = Lesson(key=_unique(slugify(title, "lesson"), taken), position=len(draft.lessons),
                    title={lang: title}, body={})
    draft.lessons.append(lesson)
    db.session.flush()
    record("lesson_added", actor=actor, target=f"module:{draft.module_id}", version=draft.number, key=lesson.key)
    return lesson


def update_lesson(lesson: Lesson, lang: str, *, actor: User, title: str, body: str) -> None:
    _require_draft(lesson.module_version)
    if not title.strip():
        raise AuthoringError("Give the lesson a title.")
    lesson.title = _with(lesson.title, lang, title.strip())
    lesson.body = _with(lesson.body, lang, body.replace("\r\n", "\n").strip("\n"))
    db.session.flush()
    record("lesson_edited", actor=actor, target=f"module:{lesson.module_version.module_id}", key=lesson.key, lang=lang)


def append_to_lesson(lesson: Lesson, lang: str, snippet: str) -> None:
    _require_draft(lesson.module_version)
    current = (lesson.body or {}).get(lang, "").rstrip("\n")
    lesson.body = _with(lesson.body, lang, f"{current}\n\n{snippet}\n" if current else f"{snippet}\n")
    db.session.flush()


def move_lesson(lesson: Lesson, direction: str, *, actor: User) -> None:
    draft = lesson.module_version
    _require_draft(draft)
    lessons = list(draft.lessons)
    _swap(lessons, lessons.index(lesson), direction)
    for position, item in enumerate(lessons):
        item.position = position
    db.session.flush()
    db.session.expire(draft, ["lessons"])
    record("lesson_moved", actor=actor, target=f"module:{draft.module_id}", key=lesson.key, direction=direction)


def delete_lesson(lesson: Lesson, *, actor: User) -> None:
    draft = lesson.module_version
    _require_draft(draft)
    key = lesson.key
    draft.lessons.remove(lesson)
    for position, item in enumerate(draft.lessons):
        item.position = position
    db.session.flush()
    record("lesson_deleted", actor=actor, target=f"module:{draft.module_id}", key=key)
