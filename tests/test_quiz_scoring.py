"""Scoring rules and the question-type registry (pure functions, no app)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes import scoring
from quizzes.registry import TYPES, get_type

SINGLE = {"weights": {"a1": 1.0, "b2": 0.0, "c3": 0.5}}
MULTI = {"weights": {"a1": 0.5, "b2": 0.5, "c3": -1.0, "d4": 0.0}}


@pytest.mark.parametrize(("response", "expected"), [
    (["a1"], 1.0), (["b2"], 0.0), (["c3"], 0.5), ([], 0.0), (["a1", "b2"], 0.0), (["zz"], 0.0)])
def test_single_choice(response, expected):
    assert get_type("single_choice").score(SINGLE, response) == expected
    assert get_type("scenario").score(SINGLE, response) == expected


@pytest.mark.parametrize(("response", "expected"), [
    (["a1", "b2"], 1.0), (["a1"], 0.5), (["a1", "b2", "c3"], 0.0), (["a1", "b2", "c3", "d4"], 0.0),
    (["d4"], 0.0), (["c3"], 0.0), ([], 0.0), (["a1", "a1"], 0.5), (["a1", "d4"], 0.5)])
def test_multiple_response_partial_credit(response, expected):
    assert get_type("multiple_response").score(MULTI, response) == expected


def test_true_false():
    qtype = get_type("true_false")
    assert qtype.score({"value": True}, ["true"]) == 1.0
    assert qtype.score({"value": True}, ["false"]) == 0.0
    assert qtype.score({"value": False}, ["false"]) == 1.0
    assert qtype.score({"value": False}, []) == 0.0


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)  # a busy CI machine is not a bug
@given(st.lists(st.sampled_from(["a1", "b2", "c3", "d4", "x"]), max_size=6))
def test_every_score_is_a_fraction(response):
    for answer, name in ((SINGLE, "single_choice"), (MULTI, "multiple_response")):
        assert 0.0 <= get_type(name).score(answer, response) <= 1.0


def test_critical_question_wrong_fails_whatever_the_total():
    items = [scoring.ItemScore(i, 1.0, False) for i in range(9)] + [scoring.ItemScore(99, 0.0, True)]
    result = scoring.grade(items, pass_mark=80)
    assert result.percent == 90.0 and not result.passed
    assert result.critical_failed and result.critical_missed == (99,)


def test_partly_right_critical_question_is_wrong():
    result = scoring.grade([scoring.ItemScore(1, 0.5, True), scoring.ItemScore(2, 1.0, False)], pass_mark=0)
    assert not result.passed and result.critical_failed


def test_pass_mark_is_inclusive():
    items = [scoring.ItemScore(i, 1.0 if i < 4 else 0.0, False) for i in range(5)]
    assert scoring.grade(items, pass_mark=80).passed
    assert not scoring.grade(items, pass_mark=81).passed
    assert not scoring.grade([], pass_mark=0).passed


def test_validation_of_keys():
    single = get_type("single_choice")
    content = {"en": {"text": "Q?", "options": [{"id": "a1", "text": "A"}, {"id": "b2", "text": "B"}]}}
    assert single.validate(content, {"weights": {"a1": 1.0, "b2": 0.0}}) == []
    assert single.validate(content, {"weights": {"a1": 0.5, "b2": 0.0}}) == ["One option must give 100%."]
    assert "Every option needs a credit." in single.validate(content, {"weights": {"a1": 1.0}})
    multi = get_type("multiple_response")
    assert multi.validate(content, {"weights": {"a1": 0.5, "b2": 0.4}}) == [
        "The credits of the right options must add up to 100%."]
    french = {**content, "fr": {"text": "Q ?", "options": [{"id": "b2", "text": "B"}, {"id": "a1", "text": "A"}]}}
    assert "The options in fr do not match the other languages." in single.validate(french, {"weights": {"a1": 1.0, "b2": 0}})
    scenario = get_type("scenario")
    assert "A scenario needs a case." in scenario.validate(content, {"weights": {"a1": 1.0, "b2": 0.0}})
    assert get_type("true_false").validate({"en": {"text": "S."}}, {"value": "yes"}) == [
        "Say whether the statement is true or false."]


def test_learner_view_carries_no_key_or_feedback():
    content = {"text": "Q?", "case": "C", "options": [{"id": "a1", "text": "A", "feedback": "SECRET-FB"}],
               "general_feedback": "SECRET-GENERAL"}
    for name in TYPES:
        view = get_type(name).view(content)
        assert "SECRET" not in repr(view), name


def test_read_response_keeps_only_this_attempts_options():
    single, multi = get_type("single_choice"), get_type("multiple_response")
    assert single.read_response(["zz", "b2", "a1"], ["a1", "b2"]) == ["b2"]
    assert multi.read_response(["a1", "zz", "a1", "b2"], ["a1", "b2"]) == ["a1", "b2"]
    assert get_type("true_false").read_response(["maybe", "false"], ["true", "false"]) == ["false"]
