"""What the lesson template needs, shared by the learner's player and the author's preview,
so that the preview is exactly the page learners get.

The learner's page is read in plain rows (`lesson_and_studied()`), not ORM objects: the page shows a
handful of columns, and loading the version's lessons as objects (with every lesson's text in
every language, to learn which languages the whole version is written in) took a fifth of the
request. Here the languages each lesson's text is written in come from the database as flags,
and only the shown lesson's text is read. The preview keeps the ORM objects (a draft changes
under the author's hands) and goes through the same `_context()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import NamedTuple

from flask import current_app
from markupsafe import Markup
from sqlalchemy import bindparam, case, func, select, true

from core import languages
from core.layout import Deferred
from core.reads import read
from training import frozen, learning, markdown
from training.i18n import available, pick
from training.markdown import render as render_markdown
from training.markdown import render_frozen
from training.models import Course, Lesson, Module, ModuleVersion


def interface_language() -> str:
    return languages.current_code()


@dataclass(frozen=True)
class CourseRow:
    id: int
    code: str
    title: dict
    default_language: str
    renewal_window_days: int  # with id, what the certification cycle reads (training.hooks.CycleCourse)


@dataclass(frozen=True)
class ModuleRow:
    id: int
    default_language: str


@dataclass(frozen=True)
class LessonRow:
    """A lesson as the player lists it: the languages its title and text are both written in."""

    id: int
    key: str
    title: dict
    languages: frozenset[str]
    # (version id, published at) of the published version it belongs to, which never changes:
    # core.layout.kept_fragment keys the row by it instead of walking its title in every language.
    version: tuple[int, datetime] | None = field(default=None, compare=False, repr=False)

    @property
    def kept_key(self) -> tuple | None:
        return (self.version, self.id) if self.version else None


class Outline(tuple):
    """A published version's lessons in order; `kept_key` as for its rows (None for a draft)."""

    kept_key: tuple | None = None


@dataclass(frozen=True)
class LessonPage:
    """A frozen lesson with its version, module and course, as one row (before the outline is read)."""

    lesson_id: int
    key: str
    title: dict
    version_id: int
    version_title: dict
    version_published_at: datetime | None
    course: CourseRow
    module: ModuleRow


def lesson_and_studied(user_id: int, lesson_id: int) -> tuple[LessonPage | None, learning.StudiedVersion | None]:
    """The lesson a learner may open (of a frozen version, module and course not archived; else
    None) and the version of its module the person studies (learning.studied_from), in one
    statement: the lesson's row beside each of its module's version rows (one to three; one with
    no version when there is none). The lesson page and marking it read ask both on every request."""
    rows = read(_page_and_studied_statement(), {"lesson_id": lesson_id, "user_id": user_id}).all()
    page = _page_from(rows[0] if rows else None)
    if page is None:
        return None, None
    studied = len(_StudiedRow._fields)  # the statement's last columns
    return page, learning.studied_from(_StudiedRow(*row[-studied:]) for row in rows if row.studied_id is not None)


class _StudiedRow(NamedTuple):
    id: int
    module_id: int
    status: str
    number: int
    first_view: datetime | None
    viewed: str | None


def _page_from(row) -> LessonPage | None:
    if row is None or row.status not in learning.FROZEN or row.module_archived or row.course_archived:
        return None
    course = CourseRow(row.course_id, row.code, row.course_title, row.course_language, row.renewal_window_days)
    return LessonPage(row.id, row.key, row.title, row.module_version_id, row.version_title, row.published_at,
                      course, ModuleRow(row.module_id, row.module_language))


@cache
def _page_and_studied_statement():
    page = _page_statement().subquery("page")
    studied = learning.studied_statement_of_lesson().subquery("studied")
    # The studied version's columns last, in _StudiedRow's order: lesson_and_studied reads them so.
    return (select(*page.c, *(studied.c[name].label(f"studied_{name}") for name in _StudiedRow._fields))
            .select_from(page).outerjoin(studied, true()))


@cache
def _page_statement():
    # Built once per process: building a statement costs about as much as running this one.
    # Not the text (every language of it, tens of kilobytes of JSON to parse): once rendered, the
    # page keeps it (learner_context), and it is read only when it has to be rendered.
    return (select(Lesson.id, Lesson.key, Lesson.title, Lesson.module_version_id,
                   ModuleVersion.status, ModuleVersion.title.label("version_title"), ModuleVersion.published_at,
                   Module.id.label("module_id"), Module.is_archived.label("module_archived"),
                   Module.default_language.label("module_language"),
                   Course.id.label("course_id"), Course.code, Course.title.label("course_title"),
                   Course.default_language.label("course_language"), Course.is_archived.label("course_archived"),
                   Course.renewal_window_days)
            .join(ModuleVersion, ModuleVersion.id == Lesson.module_version_id)
            .join(Module, Module.id == ModuleVersion.module_id)
            .join(Course, Course.id == Module.course_id)
            .where(Lesson.id == bindparam("lesson_id")))


def outline(page: LessonPage) -> tuple[LessonRow, ...]:
    """The page's version's lessons in order, each with the languages its title and text are
    written in; read once per process for a published version (training.frozen)."""
    stamp = (page.version_id, page.version_published_at)
    return frozen.remembered("outline", [stamp], lambda ids: {page.version_id: _outline(stamp)})[page.version_id]


def _outline(stamp: tuple[int, datetime | None]) -> Outline:
    # A tuple of frozen rows: the same outline serves every request of the process.
    version_id, published_at = stamp
    kept = stamp if published_at is not None else None
    languages = current_app.config["LANGUAGES"]
    rows = read(_outline_statement(tuple(languages)), {"version_id": version_id})
    outline = Outline(
        LessonRow(row.id, row.key, row.title,
                  frozenset(available(row.title)) & {code for code in languages if row._mapping[f"has_{code}"]},
                  version=kept)
        for row in rows)
    outline.kept_key = kept
    return outline


@cache
def _outline_statement(languages: tuple[str, ...]):
    # Whether each lesson's text exists in a language is asked of the database (JSON_EXTRACT on
    # SQLite, ->> on PostgreSQL): the texts themselves, tens of kilobytes a module, stay there.
    has_text = [case((func.coalesce(Lesson.body[code].as_string(), "") != "", 1), else_=0).label(f"has_{code}")
                for code in languages]
    return (select(Lesson.id, Lesson.key, Lesson.title, *has_text)
            .where(Lesson.module_version_id == bindparam("version_id")).order_by(Lesson.position))


def version_languages(page: LessonPage, lessons: Outline) -> list[str]:
    """learning.version_languages() for the learner's page, from the outline's flags."""
    return learning.common_languages(page.version_title, [lesson.languages for lesson in lessons])


def learner_context(page: LessonPage, lessons: Outline, langs: list[str], lang: str,
                    viewed: frozenset[int]) -> dict:
    current = next(item for item in lessons if item.id == page.lesson_id)
    # A frozen version's text never changes: rendered once per process (markdown.render_frozen),
    # and, for a published version, read only when the page's text is not kept already.
    default = page.module.default_language

    def text() -> Markup:
        return render_frozen(pick(read(_body_statement(), {"lesson_id": page.lesson_id}).scalar(), lang, default))

    stamp = (page.version_id, page.version_published_at) if page.version_published_at else None
    policy = markdown.POLICY_VERSION  # a new sanitiser policy renders every text again
    body = Deferred(("lesson text", stamp, page.lesson_id, lang, default, policy), text) if stamp else text()
    return _context(page.course, page.module, current, lessons, page.version_title, body, langs, lang, viewed)


@cache
def _body_statement():
    return select(Lesson.body).where(Lesson.id == bindparam("lesson_id"))


def lesson_context(lesson: Lesson, lang: str, viewed: set[int]) -> dict:
    """The author's preview, from the ORM objects (a draft renders afresh)."""
    version = lesson.module_version
    module = version.module
    render = render_frozen if version.is_frozen else render_markdown
    return _context(module.course, module, lesson, list(version.lessons), version.title,
                    render(pick(lesson.body, lang, module.default_language)),
                    learning.version_languages(version), lang, viewed)


def _context(course, module, lesson, lessons: list, version_title: dict, body, langs: list[str], lang: str,
             viewed: set[int]) -> dict:
    index = next(number for number, item in enumerate(lessons) if item.id == lesson.id)
    return {
        "course": course, "module": module, "lesson": lesson,
        "lessons": lessons, "index": index, "lang": lang, "langs": langs,
        "viewed": viewed, "body": body,
        "title": pick(lesson.title, lang, module.default_language),
        "module_title": pick(version_title, lang, module.default_language),
        "previous": lessons[index - 1] if index > 0 else None,
        "following": lessons[index + 1] if index + 1 < len(lessons) else None,
        "pick": pick,
    }
