"""Item analysis: facility, discrimination and option counts from SQL, and who may see them."""

from __future__ import annotations

import statistics

import pytest

from extensions import db
from quizzes import analysis, attempts
from tests import factories
from tests import quiz_factories as qf

# Who gets which question right (1) or wrong (0): q1 is too easy, q3 favours weaker learners.
PATTERNS = [(1, 1, 1), (1, 1, 1), (1, 1, 0), (1, 0, 0), (1, 0, 1), (1, 1, 0)]


@pytest.fixture
def answered(app, mission_a):
    module = qf.make_module(published=False)
    questions = [qf.choice_question(module, f"q{i}") for i in (1, 2, 3)]
    quiz = qf.make_quiz(module, pass_mark=60)
    for pattern in PATTERNS:
        person = factories.make_user(mission=mission_a)
        attempt = attempts.start_attempt(person, quiz, language="en")
        attempts.save_answers(attempt, {q.id: [qf.right_option(q) if right else qf.wrong_option(q)]
                                        for q, right in zip(questions, pattern, strict=True)})
        attempts.submit(attempt)
    unfinished = attempts.start_attempt(factories.make_user(mission=mission_a), quiz, language="en")
    attempts.save_answers(unfinished, {questions[0].id: [qf.wrong_option(questions[0])]})  # open: not counted
    db.session.commit()
    return module, quiz, questions


def test_item_statistics(answered):
    _module, quiz, questions = answered
    report = analysis.analyse(quiz.versions[0])
    assert report["attempts"] == 6 and report["passed"] == 5  # pass mark 60: one learner has 1 of 3
    assert report["mean_score"] == pytest.approx(100 * 13 / 18, abs=0.01)
    items = {item["key"]: item for item in report["items"]}
    totals = [sum(p) for p in PATTERNS]
    for index, key in enumerate(("q1", "q2", "q3")):
        item = items[key]
        scores = [p[index] for p in PATTERNS]
        assert item["answers"] == 6 and item["facility"] == pytest.approx(sum(scores) / 6)
        rest = [t - s for t, s in zip(totals, scores, strict=True)]
        expected = statistics.correlation(scores, rest) if len(set(scores)) > 1 and len(set(rest)) > 1 else None
        assert item["discrimination"] == (pytest.approx(expected, abs=1e-9) if expected is not None else None)
        assert ("negative" in item["flags"]) is (expected is not None and expected < -1e-9)
    assert items["q1"]["flags"] == ["easy"] and items["q1"]["discrimination"] is None
    right = qf.right_option(questions[1])
    counts = {o["id"]: o["count"] for o in items["q2"]["options"]}
    assert counts[right] == 4 and sum(counts.values()) == 6
    assert next(o for o in items["q2"]["options"] if o["id"] == right)["is_right"]


def test_negative_discrimination_is_flagged(app, mission_a):
    module = qf.make_module(published=False)
    questions = [qf.choice_question(module, f"n{i}") for i in range(4)]
    quiz = qf.make_quiz(module)
    # The strongest learners miss n0; the weakest get it right.
    patterns = [(0, 1, 1, 1), (0, 1, 1, 1), (0, 1, 1, 0), (1, 0, 0, 0), (1, 0, 0, 0), (1, 1, 0, 0)]
    for pattern in patterns:
        attempt = attempts.start_attempt(factories.make_user(mission=mission_a), quiz, language="en")
        attempts.save_answers(attempt, {q.id: [qf.right_option(q) if right else qf.wrong_option(q)]
                                        for q, right in zip(questions, pattern, strict=True)})
        attempts.submit(attempt)
    db.session.commit()
    items = {i["key"]: i for i in analysis.analyse(quiz.versions[0])["items"]}
    assert items["n0"]["discrimination"] < 0 and "negative" in items["n0"]["flags"]
    assert items["n1"]["discrimination"] > 0 and items["n1"]["flags"] == []


def test_analysis_page_for_owner_not_for_lead(client, login, answered, lead, trainer):
    module, _quiz, _questions = answered
    module.course.owner_id = trainer.id
    db.session.commit()
    login(client, trainer)
    page = client.get(f"/quiz/author/module/{module.id}/analysis")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # Every row's "Look at it" cell says something: what a flag means and what to check, or that all is well.
    items_table = html[html.index(">Look at it<"):]  # the per-question table (the guessers' table comes first)
    cells = [row.split("<td>")[-1] for row in items_table.split("<tr")[1:]]
    assert len(cells) == 3 and all(cell.split("</td>")[0].strip() for cell in cells)
    assert "Very easy: more than 19 in 20 get it right" in cells[0]  # q1: everyone right
    assert any("Nothing to look at" in cell for cell in cells[1:])  # a question without a flag says so
    assert client.get(f"/quiz/author/module/{module.id}/analysis?version=9").status_code == 404
    other = client.application.test_client()
    login(other, lead)
    assert other.get(f"/quiz/author/module/{module.id}/analysis").status_code == 403


def test_pearson_edge_cases():
    assert analysis.pearson(1, 1, 1, 1, 1, 1) is None
    assert analysis.pearson(3, 3, 3, 3, 5, 3) is None  # x never varies
