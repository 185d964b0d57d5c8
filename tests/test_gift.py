"""GIFT parsing and writing (pure): Moodle-style files, our metadata, errors, round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from quizzes import gift
from quizzes.registry import type_for_gift

CONTENT = Path(__file__).resolve().parent.parent / "content"

MOODLE_STYLE = r"""
// A file the way Moodle users write it: comments, categories, no blank line at the end.
$CATEGORY: $course$/top/Safeguarding/Conduct

::Q1 age of consent:: Sexual activity with a person under 18 is prohibited
for UN personnel, whatever the local age of consent.{T}

::Q2::What does \{MRM\} stand for \= what\: exactly?
{
  =Monitoring and Reporting Mechanism#Right\: it was set up in 2005.
  ~Mission Reporting Manual#No\: there is no such manual.
  ~Military \~ Rules Memo#No.
}

// a plain comment that is not metadata
::Q3::[markdown]Which are grave violations? **Choose all that apply.**{
~%50%Abduction#Yes.
~%50%Attacks on schools#Yes.
~%-100%Displacement#No.
####The six are listed in resolution 1612.
}

$CATEGORY: law
::Q4::A child is anyone under {FALSE#Wrong\: the age is 18 in the Convention.#Right.} 15 years old.

Who wrote this question with no title?{=Me ~You}
"""


def _parse_ok(text: str) -> list[gift.GiftQuestion]:
    questions, errors = gift.parse(text)
    assert errors == []
    return questions


def test_moodle_style_file():
    q1, q2, q3, q4, q5 = _parse_ok(MOODLE_STYLE)

    assert q1.title == "Q1 age of consent" and q1.kind == "truefalse" and q1.truth is True
    assert q1.text == "Sexual activity with a person under 18 is prohibited\nfor UN personnel, whatever the local age of consent."
    assert q1.category == "Safeguarding/Conduct"  # the whole path below $course$/top is the tag

    assert q2.text == "What does {MRM} stand for = what: exactly?"
    assert [(a.text, a.weight, a.marker) for a in q2.answers] == [
        ("Monitoring and Reporting Mechanism", 1.0, "="), ("Mission Reporting Manual", 0.0, "~"),
        ("Military ~ Rules Memo", 0.0, "~")]
    assert q2.answers[0].feedback == "Right: it was set up in 2005."
    assert type_for_gift(q2).name == "single_choice"

    assert q3.format == "markdown" and q3.text.endswith("**Choose all that apply.**")
    assert [a.weight for a in q3.answers] == [0.5, 0.5, -1.0]
    assert q3.general_feedback == "The six are listed in resolution 1612."
    assert q3.meta_type is None and type_for_gift(q3).name == "multiple_response"

    assert q4.category == "law" and q4.kind == "truefalse" and q4.truth is False
    assert q4.text == f"A child is anyone under {gift.BLANK} 15 years old."  # Moodle's missing-word form
    assert (q4.feedback_wrong, q4.feedback_right) == ("Wrong: the age is 18 in the Convention.", "Right.")

    assert q5.title is None and q5.category == "law" and len(q5.answers) == 2


def test_metadata_comments_directly_above_a_question():
    text = "// type: scenario\n// critical\n// tags: conduct, sea\n::m9-q1::A case.\\n\\nWhat now?{=Act ~Wait}\n"
    (question,) = _parse_ok(text)
    assert question.meta_type == "scenario" and question.critical and question.tags == ["conduct", "sea"]
    assert question.text == "A case.\n\nWhat now?"


def test_metadata_does_not_leak_to_the_next_question():
    questions = _parse_ok("// critical\n::a::One?{=x ~y}\n\n::b::Two?{=x ~y}\n")
    assert [q.critical for q in questions] == [True, False]


@pytest.mark.parametrize(("text", "message"), [
    ("::q::Essay?{}", "essay"),
    ("::q::How many?{#5}", "numerical"),
    ("::q::Match{=a -> 1 =b -> 2}", "matching"),
    ("::q::Capital of France?{=Paris =paris}", "short-answer"),
    ("::q::No block here", "no answer block"),
    ("::q::Open {=a ~b", "not closed"),
    ("::q::{=a ~b}", "no text"),
    ("::q::Weights?{~%150%a ~b}", "outside"),
    ("::q::Only one?{=a}", "short-answer"),
    ("::broken title Open?{=a ~b}", "title"),
    ("::q::Two {=a ~b} blocks {=c ~d}", "more than one"),
])
def test_bad_questions_are_refused_with_their_line(text, message):
    questions, errors = gift.parse("::ok::Fine?{=a ~b}\n\n\n" + text + "\n")
    assert len(questions) == 1
    assert len(errors) == 1 and errors[0].line == 4 and message in errors[0].message
    assert str(errors[0]).startswith("line 4")


def test_escapes_round_trip():
    nasty = "Braces {x} = tilde ~ hash # colon : backslash \\ and\ntwo lines"
    question = gift.GiftQuestion(text=nasty, title="a:b", answers=[
        gift.GiftAnswer("=~#{}:", 1.0, "fb # with = signs", "="), gift.GiftAnswer("other", 0.0, "", "~")])
    (back,) = _parse_ok(gift.dump([question]))
    assert back.text == nasty and back.title == "a:b"
    assert [(a.text, a.weight, a.feedback) for a in back.answers] == [("=~#{}:", 1.0, "fb # with = signs"), ("other", 0.0, "")]


def test_dump_then_parse_is_identity_for_the_moodle_file():
    first = _parse_ok(MOODLE_STYLE)
    second = _parse_ok(gift.dump(first))
    fields = ("title", "text", "format", "kind", "answers", "truth", "feedback_wrong", "feedback_right",
              "general_feedback", "category", "critical", "meta_type", "tags")
    assert [[getattr(q, f) for f in fields] for q in first] == [[getattr(q, f) for f in fields] for q in second]


def test_an_untagged_question_after_a_category_stays_untagged():
    questions = [gift.GiftQuestion(text="A?", title="a", category="law", answers=[gift.GiftAnswer("x", 1.0, "", "="),
                                                                                  gift.GiftAnswer("y", 0.0)]),
                 gift.GiftQuestion(text="B?", title="b", kind="truefalse", truth=True)]
    back = _parse_ok(gift.dump(questions))
    assert [q.category for q in back] == ["law", None]


def test_windows_line_endings_and_bom():
    (question,) = _parse_ok("\ufeff::q::Line one\r\nline two{T}\r\n")
    assert question.text == "Line one\nline two"


@pytest.mark.parametrize("path", sorted(CONTENT.glob("*/*/questions.*.gift")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shipped_banks_parse_and_fit_a_type(path):
    questions, errors = gift.parse(path.read_text(encoding="utf-8"))
    assert errors == [] and len(questions) >= 10
    for question in questions:
        qtype = type_for_gift(question)
        content, answer = qtype.from_gift(question, None)
        assert qtype.validate({"en": content}, answer) == [], question.title
        assert question.title and question.category


def test_shipped_languages_share_ids_and_keys():
    for english in sorted(CONTENT.glob("*/*/questions.en.gift")):
        reference = _parse_ok(english.read_text(encoding="utf-8"))
        for lang in ("fr", "ar"):
            other = english.with_name(f"questions.{lang}.gift")
            if not other.exists():
                continue
            translated = _parse_ok(other.read_text(encoding="utf-8"))
            assert [q.title for q in translated] == [q.title for q in reference], other
            assert [[a.weight for a in q.answers] for q in translated] == [[a.weight for a in q.answers] for q in reference]
            assert [(q.critical, q.meta_type, q.truth) for q in translated] == [(q.critical, q.meta_type, q.truth)
                                                                                 for q in reference]


MOODLE_NAMES = (Path(__file__).parent / "fixtures" / "gift" / "moodle-names.gift").read_text(encoding="utf-8")


def test_moodle_names_formats_and_category_paths():
    questions, errors = gift.parse(MOODLE_NAMES)
    assert errors == []
    by_name = {q.title: q for q in questions}
    assert list(by_name) == ["CP-01 Checkpoint", "Grant's Tomb", "L'enfant d'abord — règle 1", "سؤال الحماية الأول",
                             "Same stem, version A", "Same stem, version B"]
    checkpoint = by_name["CP-01 Checkpoint"]
    assert checkpoint.format == "html" and checkpoint.text.startswith("<p>A child is alone")
    assert checkpoint.category == "Default for CP/Checkpoints/Night duty"
    # Format markers on answers and feedback are never kept as text; HTML there becomes its text.
    assert [a.text for a in checkpoint.answers] == [
        "Keep the child safe and call the child protection focal point", "Send the child home",
        "Ask the child to wait outside"]
    assert [a.feedback for a in checkpoint.answers] == ["Right: safety first.",
                                                        "No: the child may not be safe there.", ""]
    assert checkpoint.general_feedback == "See lesson 2."
    tomb = by_name["Grant's Tomb"]
    assert tomb.format == "plain" and [a.text for a in tomb.answers] == ["Grant", "Nobody"]
    assert tomb.answers[1].feedback == "Think again."
    assert by_name["L'enfant d'abord — règle 1"].format == "markdown"
    arabic = by_name["سؤال الحماية الأول"]
    assert arabic.kind == "truefalse" and arabic.truth is False and arabic.feedback_wrong == "لا يجوز ذلك."
    assert arabic.feedback_right == "صحيح." and arabic.category == "Default for CP/Checkpoints/Day duty"
    for question in questions:
        assert "[html]" not in repr(question) and "[plain]" not in repr(question) and "[moodle]" not in repr(question)


def test_question_keys_come_from_names_stable_and_distinct():
    keys = {name: gift.question_key(name, "text") for name in (
        "m3-q04", "CP-01 Checkpoint", "Grant's Tomb", "Grants Tomb", "L'enfant d'abord — règle 1",
        "سؤال الحماية الأول", "سؤال الحماية الثاني")}
    assert keys["m3-q04"] == "m3-q04"  # a name that is already an id stays the id
    assert keys["CP-01 Checkpoint"].startswith("cp-01-checkpoint-")
    assert keys["Grant's Tomb"].startswith("grant-s-tomb-") and keys["Grant's Tomb"] != keys["Grants Tomb"]
    assert keys["L'enfant d'abord — règle 1"].startswith("l-enfant-d-abord-regle-1-")
    assert keys["سؤال الحماية الأول"] != keys["سؤال الحماية الثاني"]
    assert len(set(keys.values())) == len(keys)
    assert all(gift.KEY_RE.match(key) for key in keys.values())
    assert keys == {name: gift.question_key(name, "other text") for name in keys}  # the name decides, not the text
    assert gift.question_key(None, "Same?") == gift.question_key(None, "Same?") != gift.question_key(None, "Other?")


def test_a_name_longer_than_moodle_allows_is_refused_with_its_line():
    _questions, errors = gift.parse("\n\n::" + "x" * 256 + "::Q?{=a ~b}\n")
    assert [(e.line, e.message) for e in errors] == [(3, "the name is longer than 255 characters")]
