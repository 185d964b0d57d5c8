"""What the lesson template needs, shared by the learner's player and the author's preview,
so that the preview is exactly the page learners get."""

from __future__ import annotations

from flask_babel import get_locale

from training import learning
from training.i18n import pick
from training.markdown import render as render_markdown
from training.markdown import render_frozen
from training.models import Lesson


def interface_language() -> str:
    return str(get_locale() or "en")


def lesson_context(lesson: Lesson, lang: str, viewed: set[int]) -> dict:
    version = lesson.module_version
    module = version.module
    lessons = list(version.lessons)
    index = lessons.index(lesson)
    # A frozen version's text never changes: render it once (the author's draft preview renders afresh).
    render = render_frozen if version.is_frozen else render_markdown
    return {
        "course": module.course, "module": module, "version": version, "lesson": lesson,
        "lessons": lessons, "index": index, "lang": lang, "langs": learning.version_languages(version),
        "viewed": viewed, "body": render(pick(lesson.body, lang, module.default_language)),
        "title": pick(lesson.title, lang, module.default_language),
        "module_title": pick(version.title, lang, module.default_language),
        "previous": lessons[index - 1] if index > 0 else None,
        "following": lessons[index + 1] if index + 1 < len(lessons) else None,
        "pick": pick,
    }
