"""Taking a quiz through the pages: start, answer, resume, submit, grade, review."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from audit.models import AuditEvent
from extensions import db
from quizzes.models import Answer, Attempt
from tests import quiz_factories as qf


@pytest.fixture
def quiz_setup(app, learner):
    module = qf.make_module()
    questions = [qf.choice_question(module, f"q{i}") for i in range(1, 4)]
    quiz = qf.make_quiz(module, pass_mark=60)
    db.session.commit()
    return module, quiz, questions


def _start(client, module) -> Attempt:
    response = client.post(f"/quiz/module/{module.id}/start")
    assert response.status_code == 302
    attempt_id = int(re.search(r"/quiz/attempts/(\d+)", response.headers["Location"]).group(1))
    return db.session.get(Attempt, attempt_id)


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_start_twice_resumes_the_same_attempt(client, login, learner, quiz_setup):
    module, _quiz, _questions = quiz_setup
    login(client, learner)
    first = _start(client, module)
    second = _start(client, module)
    assert first.id == second.id and _count(Attempt) == 1
    assert client.get(f"/quiz/module/{module.id}").status_code == 200


def test_one_per_page_answer_save_twice_then_submit(client, login, learner, quiz_setup):
    module, _quiz, (q1, q2, _q3) = quiz_setup
    login(client, learner)
    attempt = _start(client, module)
    assert client.get(f"/quiz/attempts/{attempt.id}").headers["Location"].endswith(f"/quiz/attempts/{attempt.id}/q/1")
    page = client.get(f"/quiz/attempts/{attempt.id}/q/1")
    assert page.status_code == 200 and b"q1 question (en)?" in page.data

    # The same answer sent twice (a retry after a dropped connection) is one row.
    for _ in range(2):
        response = client.post(f"/quiz/attempts/{attempt.id}/q/1", data={f"q{q1.id}": qf.right_option(q1), "next": "1"})
        assert response.headers["Location"].endswith("/q/2")
    assert _count(Answer) == 1
    # Changing one's mind updates that row.
    client.post(f"/quiz/attempts/{attempt.id}/q/2", data={f"q{q2.id}": qf.wrong_option(q2), "save": "1"})
    client.post(f"/quiz/attempts/{attempt.id}/q/2", data={f"q{q2.id}": qf.right_option(q2), "next": "1"})
    assert _count(Answer) == 2
    # Resuming goes back to the page the learner was on.
    assert client.get(f"/quiz/attempts/{attempt.id}").headers["Location"].endswith("/q/3")

    finish = client.post(f"/quiz/attempts/{attempt.id}/q/3", data={"finish": "1"})
    assert finish.headers["Location"].endswith(f"/quiz/attempts/{attempt.id}/finish")
    summary = client.get(f"/quiz/attempts/{attempt.id}/finish")
    assert b"1 question has no answer yet" in summary.data
    response = client.post(f"/quiz/attempts/{attempt.id}/finish")
    assert response.headers["Location"].endswith(f"/quiz/attempts/{attempt.id}/result")

    db.session.refresh(attempt)
    assert attempt.submitted_at is not None and round(attempt.score, 2) == 66.67 and attempt.is_passed
    assert _count(Answer) == 3  # the unanswered question gets a row (score 0) for the statistics
    result = client.get(f"/quiz/attempts/{attempt.id}/result")
    assert result.status_code == 200 and b"You passed." in result.data
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attempt_submitted"))
    assert event.details["passed"] is True and "answer" not in str(event.details)
    # A submitted attempt takes no more answers and its pages lead to the result.
    late = client.post(f"/quiz/attempts/{attempt.id}/q/1", data={f"q{q1.id}": qf.wrong_option(q1), "save": "1"})
    assert late.headers["Location"].endswith("/result")
    db.session.refresh(attempt)
    assert attempt.score == pytest.approx(66.6667, abs=0.01)


def test_all_on_one_page(client, login, learner, app):
    module = qf.make_module()
    q1, q2 = qf.choice_question(module, "a"), qf.true_false_question(module, "b", value=False)
    qf.make_quiz(module, layout="all_on_one", pass_mark=100)
    db.session.commit()
    login(client, learner)
    attempt = _start(client, module)
    page = client.get(f"/quiz/attempts/{attempt.id}")
    assert page.status_code == 200 and b"a question (en)?" in page.data and b"b: a statement." in page.data
    client.post(f"/quiz/attempts/{attempt.id}", data={f"q{q1.id}": qf.right_option(q1), f"q{q2.id}": "false",
                                                       "finish": "1"})
    client.post(f"/quiz/attempts/{attempt.id}/finish")
    db.session.refresh(attempt)
    assert attempt.score == 100.0 and attempt.is_passed


def test_posted_score_and_foreign_options_are_ignored(client, login, learner, quiz_setup):
    module, _quiz, (q1, q2, _q3) = quiz_setup
    other = qf.choice_question(qf.make_module(), "other")
    db.session.commit()
    login(client, learner)
    attempt = _start(client, module)
    client.post(f"/quiz/attempts/{attempt.id}", data={})  # one-per-page: main URL only redirects
    client.post(f"/quiz/attempts/{attempt.id}/q/1", data={
        f"q{q1.id}": ["not-an-option", qf.wrong_option(q1)], f"q{q2.id}": qf.right_option(q2),  # q2 is not on page 1
        f"q{other.id}": qf.right_option(other), "score": "100", "correct": "1", "passed": "true", "save": "1"})
    answers = db.session.scalars(select(Answer)).all()
    assert [(a.question_id, a.response) for a in answers] == [(q1.id, [qf.wrong_option(q1)])]
    client.post(f"/quiz/attempts/{attempt.id}/finish", data={"score": "100", "is_passed": "1"})
    db.session.refresh(attempt)
    assert attempt.score == 0.0 and attempt.is_passed is False


def test_someone_elses_attempt_is_refused(client, login, learner, quiz_setup, trainer):
    module, _quiz, (q1, _q2, _q3) = quiz_setup
    login(client, learner)
    attempt = _start(client, module)
    other = client.application.test_client()
    login(other, trainer)
    for url in (f"/quiz/attempts/{attempt.id}", f"/quiz/attempts/{attempt.id}/q/1",
                f"/quiz/attempts/{attempt.id}/finish", f"/quiz/attempts/{attempt.id}/result"):
        assert other.get(url).status_code == 403
    assert other.post(f"/quiz/attempts/{attempt.id}/q/1", data={f"q{q1.id}": qf.right_option(q1)}).status_code == 403
    assert other.post(f"/quiz/attempts/{attempt.id}/finish").status_code == 403
    db.session.refresh(attempt)
    assert attempt.submitted_at is None and _count(Answer) == 0


def test_question_page_checks_the_number_and_closed_attempts(client, login, learner, quiz_setup):
    """The question page (GET, read as plain rows) answers as the answering path does."""
    module, _quiz, (q1, _q2, _q3) = quiz_setup
    login(client, learner)
    attempt = _start(client, module)
    client.post(f"/quiz/attempts/{attempt.id}/q/1", data={f"q{q1.id}": qf.right_option(q1), "save": "1"})
    page = client.get(f"/quiz/attempts/{attempt.id}/q/1").get_data(as_text=True)
    # The saved choice is ticked; the buttons the answering form reads are there (the token: test_csrf.py).
    assert re.search(rf'value="{qf.right_option(q1)}"\s+checked', page)
    assert '<input class="button-secondary" id="save" name="save" type="submit" value="Save">' in page
    assert '<input class="button-primary" id="next" name="next" type="submit" value="Save and go on">' in page
    assert 'id="previous"' not in page  # the first question has no way back
    last = client.get(f"/quiz/attempts/{attempt.id}/q/3").get_data(as_text=True)
    assert 'id="previous" name="previous"' in last and 'id="finish" name="finish"' in last and 'id="next"' not in last
    for number in (0, 4):
        assert client.get(f"/quiz/attempts/{attempt.id}/q/{number}").status_code == 404
    assert client.get("/quiz/attempts/999999/q/1").status_code == 404
    client.post(f"/quiz/attempts/{attempt.id}/finish")
    assert client.get(f"/quiz/attempts/{attempt.id}/q/2").headers["Location"].endswith(
        f"/quiz/attempts/{attempt.id}/result")


def test_critical_question_wrong_fails_and_says_why(client, login, learner, app):
    module = qf.make_module()
    plain = [qf.choice_question(module, f"p{i}") for i in range(4)]
    critical = qf.choice_question(module, "crit", critical=True)
    qf.make_quiz(module, layout="all_on_one", pass_mark=50, review_mode="wrong")
    db.session.commit()
    login(client, learner)
    attempt = _start(client, module)
    data = {f"q{q.id}": qf.right_option(q) for q in plain} | {f"q{critical.id}": qf.wrong_option(critical)}
    client.post(f"/quiz/attempts/{attempt.id}", data={**data, "save": "1"})
    client.post(f"/quiz/attempts/{attempt.id}/finish")
    db.session.refresh(attempt)
    assert attempt.score == 80.0 and not attempt.is_passed and attempt.is_critical_failed
    page = client.get(f"/quiz/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "You answered a critical question wrong" in page
    assert page.count("Critical") >= 1 and "FEEDBACK" not in page  # "wrong" mode: no feedback, no key


@pytest.mark.parametrize(("mode", "when", "shows_feedback", "shows_marks"), [
    ("feedback", "after_each", True, True),
    ("wrong", "after_each", False, True),
    ("none", "after_each", False, False),
    # Feedback held back until a pass (or the last attempt): which were wrong only, never the key.
    ("feedback", "after_pass", False, True),
    ("feedback", "after_last", False, True),
])
def test_review_after_a_failed_attempt_shows_what_the_settings_allow(client, login, learner, app, mode, when,
                                                                     shows_feedback, shows_marks):
    module = qf.make_module()
    question = qf.choice_question(module, "only")
    qf.make_quiz(module, review_mode=mode, review_when=when, attempt_limit=3)
    db.session.commit()
    login(client, learner)
    attempt = _start(client, module)
    client.post(f"/quiz/attempts/{attempt.id}/q/1", data={f"q{question.id}": qf.wrong_option(question), "save": "1"})
    client.post(f"/quiz/attempts/{attempt.id}/finish")
    page = client.get(f"/quiz/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "You did not pass." in page
    assert ("FEEDBACK-only-" in page) is shows_feedback
    assert ("(right answer)" in page) is shows_feedback
    assert ("Wrong</span>" in page) is shows_marks


def test_review_after_last_attempt(client, login, learner, app):
    module = qf.make_module()
    question = qf.choice_question(module, "only")
    qf.make_quiz(module, review_mode="feedback", review_when="after_last", attempt_limit=2)
    db.session.commit()
    login(client, learner)
    for number in (1, 2):
        attempt = _start(client, module)
        client.post(f"/quiz/attempts/{attempt.id}/q/1", data={f"q{question.id}": qf.wrong_option(question)})
        client.post(f"/quiz/attempts/{attempt.id}/finish")
        page = client.get(f"/quiz/attempts/{attempt.id}/result").get_data(as_text=True)
        assert ("FEEDBACK-only-" in page) is (number == 2)
    refused = client.post(f"/quiz/module/{module.id}/start")
    assert refused.status_code == 302 and _count(Attempt) == 2
    assert "used all your attempts" in client.get(f"/quiz/module/{module.id}").get_data(as_text=True)


def test_a_learner_sees_the_text_in_their_language(client, login, learner, app):
    module = qf.make_module()
    qf.choice_question(module, "bi", langs=("en", "fr"))
    qf.make_quiz(module)
    db.session.commit()
    learner.preferred_language = "fr"
    db.session.commit()
    login(client, learner)
    attempt = _start(client, module)
    assert "bi question (fr)?" in client.get(f"/quiz/attempts/{attempt.id}/q/1").get_data(as_text=True)


def test_quiz_pages_404_for_a_module_without_questions(client, login, learner, app):
    module = qf.make_module()
    qf.make_quiz(module)
    db.session.commit()
    login(client, learner)
    assert client.get(f"/quiz/module/{module.id}").status_code == 404
    assert client.post(f"/quiz/module/{module.id}/start").status_code == 404
    assert client.get("/quiz/module/999999").status_code == 404
    draft = qf.make_module(published=False)  # learners never see a draft, nor its quiz
    qf.choice_question(draft, "d1")
    qf.make_quiz(draft)
    db.session.commit()
    assert client.get(f"/quiz/module/{draft.id}").status_code == 404
    assert client.post(f"/quiz/module/{draft.id}/start").status_code == 404
    assert _count(Attempt) == 0
