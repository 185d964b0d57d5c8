"""The shipped course meets the content standard (issue: the shipped course)."""

from __future__ import annotations

import re

import pytest

from coursepack.cli import SHIPPED_COURSE
from coursepack.files import read_package
from quizzes import gift

PACKAGE = read_package(SHIPPED_COURSE)
# Modules that teach a safeguarding rule that must never be broken carry critical questions.
# Every module does: modules 1 and 4 teach the rule to report what you see through the mission's channels.
SAFEGUARDING = {"why-child-protection", "legal-framework", "six-grave-violations", "roles-and-responsibilities",
                "meeting-children", "sea-and-child-labour", "detention-release-reintegration", "schools-and-hospitals"}
# Each lesson ends with the sources it draws on.
SOURCE_LINE = {"en": re.compile(r"^Source: .+", re.M), "fr": re.compile(r"^Source\s: .+", re.M),
               "ar": re.compile(r"^المصدر: .+", re.M)}
# Items FACTS.md marks UNCONFIRMED that must not be taught: the attribution of the source passage to A/64/254,
# a fixed handover deadline (e.g. 48 hours), the 2012 Infantry Battalion Manual, the bulletin's s.3.2(e), the
# CTFMR co-chair arrangement.
UNCONFIRMED = re.compile(r"64/254|\b48\b|\b2012\b|3\.2\s*\(e\)|co-?chair|coprésid|بالاشتراك مع", re.I)


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
            assert lesson.title[lang] and body.strip(), f"{lesson.stem}.{lang}: title and text"
            assert body.count("\n> **") == 1 or body.startswith("> **"), f"{lesson.stem}.{lang}: one 'what you do' box"
            assert SOURCE_LINE[lang].search(body), f"{lesson.stem}.{lang}: a source line"
    assert 6 <= module.quiz["draw_count"] <= 8 and module.quiz["pass_mark"] == 80
    # Feedback (the right answers) only once passed; before that, which were wrong (quizzes.review).
    assert module.quiz["review_mode"] == "feedback" and module.quiz["review_when"] == "after_pass"
    banks = {}
    for lang in ("en", "fr", "ar"):
        questions, errors = gift.parse(module.gift[lang][1])
        assert errors == [], errors
        banks[lang] = questions
    english = banks["en"]
    assert len(english) >= 10
    assert module.quiz["draw_count"] <= len(english)
    assert sum(q.meta_type == "scenario" for q in english) >= 4
    for lang, questions in banks.items():
        assert [q.title for q in questions] == [q.title for q in english], f"{lang}: same ids in the same order"
        # Same kind, scenario marking, critical marking and answer key in every language.
        assert [(q.kind, q.meta_type, q.critical, q.truth, [(a.marker, a.weight) for a in q.answers])
                for q in questions] == [(q.kind, q.meta_type, q.critical, q.truth, [(a.marker, a.weight) for a in q.answers])
                                        for q in english], f"{lang}: same question structure as English"
        for question in questions:
            if question.kind == "truefalse":
                assert question.feedback_wrong and question.feedback_right, question.title
            else:
                assert all(answer.feedback for answer in question.answers), f"{lang} {question.title}: feedback"
    if module.slug in SAFEGUARDING:
        assert any(q.critical for q in english)


@pytest.mark.parametrize("module", PACKAGE.modules, ids=lambda m: m.slug)
def test_nothing_unconfirmed_is_taught(module):
    texts = [(f"{lesson.stem}.{lang}", lesson.body[lang]) for lesson in module.lessons for lang in ("en", "fr", "ar")]
    texts += [(path, text) for path, text in module.gift.values()]
    for where, text in texts:
        match = UNCONFIRMED.search(text)
        assert match is None, f"{module.folder}/{where}: teaches an UNCONFIRMED item ({match.group(0)!r})"


def _shape(body: str) -> tuple:
    """What a translation must keep: headings, bold lead-ins, list items and the box's items."""
    lines = [line.strip() for line in body.splitlines()]
    return (sum(line.startswith("#") for line in lines), sum(line.startswith("**") for line in lines),
            sum(line.startswith(("- ", "* ")) for line in lines), sum(line.startswith("> -") for line in lines),
            sum(line.startswith("> **") for line in lines))


@pytest.mark.parametrize("module", PACKAGE.modules, ids=lambda m: m.slug)
def test_every_lesson_has_the_same_structure_in_each_language(module):
    for lesson in module.lessons:
        shapes = {lang: _shape(lesson.body[lang]) for lang in ("en", "fr", "ar")}
        assert shapes["fr"] == shapes["en"] and shapes["ar"] == shapes["en"], f"{lesson.stem}: {shapes}"


@pytest.mark.parametrize("module", PACKAGE.modules, ids=lambda m: m.slug)
def test_french_says_mrm_never_msci(module):
    # UN French texts keep the English acronym MRM for the monitoring and reporting mechanism.
    texts = [lesson.body["fr"] for lesson in module.lessons] + [module.gift["fr"][1], str(module.summary), str(module.objectives)]
    assert not any("MSCI" in text for text in texts)
