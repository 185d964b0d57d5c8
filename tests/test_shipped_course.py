"""The shipped course meets the content standard (issue: the shipped course)."""

from __future__ import annotations

import re

import pytest

from coursepack.cli import SHIPPED_COURSE
from coursepack.files import read_package
from quizzes import gift

PACKAGE = read_package(SHIPPED_COURSE)
# Modules that teach a safeguarding rule that must never be broken carry critical questions.
SAFEGUARDING = {"legal-framework", "six-grave-violations", "meeting-children", "sea-and-child-labour",
                "detention-release-reintegration", "schools-and-hospitals"}


def test_eight_modules_in_three_languages():
    assert len(PACKAGE.modules) == 8
    assert PACKAGE.languages == ["en", "fr", "ar"]


@pytest.mark.parametrize("module", PACKAGE.modules, ids=lambda m: m.slug)
def test_module_meets_the_standard(module):
    for lang in ("en", "fr", "ar"):
        assert module.title.get(lang) and module.summary.get(lang)
        assert len(module.objectives.get(lang, [])) >= 2
    # Sources carry a year, except web pages and documents whose edition year the fact sheet leaves unconfirmed.
    dated = [source for source in module.sources if re.search(r"\b(19|20)\d\d\b", source)]
    assert len(dated) >= 2 and 2 * len(dated) >= len(module.sources)
    assert 3 <= len(module.lessons) <= 5
    for lesson in module.lessons:
        for lang in ("en", "fr", "ar"):
            body = lesson.body[lang]
            assert lesson.title[lang]
            assert body.count("\n> **") == 1 or body.startswith("> **"), f"{lesson.stem}.{lang}: one 'what you do' box"
    assert 6 <= module.quiz["draw_count"] <= 8 and module.quiz["pass_mark"] == 80
    assert module.quiz["review_mode"] == "feedback"
    banks = {}
    for lang in ("en", "fr", "ar"):
        questions, errors = gift.parse(module.gift[lang][1])
        assert errors == [], errors
        banks[lang] = questions
    english = banks["en"]
    assert len(english) >= 10
    assert sum(q.meta_type == "scenario" for q in english) >= 4
    for lang, questions in banks.items():
        assert [q.title for q in questions] == [q.title for q in english], f"{lang}: same ids in the same order"
        for question in questions:
            if question.kind == "truefalse":
                assert question.feedback_wrong and question.feedback_right, question.title
            else:
                assert all(answer.feedback for answer in question.answers), f"{lang} {question.title}: feedback"
    if module.slug in SAFEGUARDING:
        assert any(q.critical for q in english)
