"""The quiz as a learner meets it: the module's name as the heading, "Question N of M" once, the
question numbers save the answer on the page before moving (no JavaScript needed), and a failed
attempt's review marks what was wrong without naming the right answers while retries remain."""

from __future__ import annotations

import re

from extensions import db
from quizzes.models import Answer, Attempt, Quiz
from quizzes.services import get_or_create_quiz
from tests import quiz_factories as qf


def _start(client, module) -> Attempt:
    response = client.post(f"/quiz/module/{module.id}/start")
    attempt_id = int(re.search(r"/quiz/attempts/(\d+)", response.headers["Location"]).group(1))
    return db.session.get(Attempt, attempt_id)


def test_heading_is_the_module_and_the_count_is_said_once(client, login, learner, app):
    module = qf.make_module()
    for key in ("a", "b", "c"):
        qf.choice_question(module, key)
    qf.make_quiz(module)
    db.session.commit()
    login(client, learner)
    attempt = _start(client, module)
    page = client.get(f"/quiz/attempts/{attempt.id}/q/2").get_data(as_text=True)
    title = module.versions[0].title["en"]
    assert f"<h1>{title}</h1>" in page and "<h1>Quiz</h1>" not in page
    main = page.split("<main", 1)[1]
    assert main.count("Question 2 of 3") == 1


def test_question_numbers_save_the_answer_before_moving(client, login, learner, app):
    module = qf.make_module()
    first, _second, third = (qf.choice_question(module, key) for key in ("a", "b", "c"))
    qf.make_quiz(module)
    db.session.commit()
    login(client, learner)
    attempt = _start(client, module)
    page = client.get(f"/quiz/attempts/{attempt.id}/q/1").get_data(as_text=True)
    # The numbers are submit buttons of the answer form (it works without JavaScript).
    assert re.search(r'<button type="submit" form="attempt-form" name="go" value="3"', page)
    assert 'id="attempt-form"' in page
    response = client.post(f"/quiz/attempts/{attempt.id}/q/1", data={f"q{first.id}": qf.right_option(first), "go": "3"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/quiz/attempts/{attempt.id}/q/3")
    saved = db.session.scalar(db.select(Answer).where(Answer.attempt_id == attempt.id, Answer.question_id == first.id))
    assert saved is not None and saved.response == [qf.right_option(first)]
    db.session.refresh(attempt)
    assert attempt.position == 2
    # A number out of range moves nowhere: the answer is saved and the page stays.
    stay = client.post(f"/quiz/attempts/{attempt.id}/q/3", data={f"q{third.id}": qf.wrong_option(third), "go": "9"})
    assert stay.headers["Location"].endswith(f"/quiz/attempts/{attempt.id}/q/3")


def test_new_quizzes_hold_the_right_answers_back_until_a_pass(client, login, learner, app):
    module = qf.make_module()
    question = qf.choice_question(module, "only")
    quiz = get_or_create_quiz(module)
    quiz.shuffle_options = False
    db.session.commit()
    assert db.session.get(Quiz, quiz.id).review_when == "after_pass" and quiz.review_mode == "feedback"
    login(client, learner)
    failed = _start(client, module)
    client.post(f"/quiz/attempts/{failed.id}/q/1", data={f"q{question.id}": qf.wrong_option(question)})
    client.post(f"/quiz/attempts/{failed.id}/finish")
    page = client.get(f"/quiz/attempts/{failed.id}/result").get_data(as_text=True)
    assert "Wrong</span>" in page and "(right answer)" not in page and "FEEDBACK" not in page
    assert "shown once you pass" in page and f"/training/modules/{module.id}" in page
    passed = _start(client, module)
    client.post(f"/quiz/attempts/{passed.id}/q/1", data={f"q{question.id}": qf.right_option(question)})
    client.post(f"/quiz/attempts/{passed.id}/finish")
    page = client.get(f"/quiz/attempts/{passed.id}/result").get_data(as_text=True)
    assert "You passed." in page and "(right answer)" in page
    # Once passed, the earlier failed attempt's review shows everything too.
    assert "(right answer)" in client.get(f"/quiz/attempts/{failed.id}/result").get_data(as_text=True)


def test_a_kept_question_shows_each_persons_own_choice_and_language(client, login, learner, app):
    """The questions of an open attempt's page are rendered once per distinct question, order,
    choice and language (core.layout.kept_fragment): nobody gets another's ticks."""
    from tests import factories

    module = qf.make_module()
    question = qf.choice_question(module, "a", n_options=4)
    qf.make_quiz(module)
    colleague = factories.make_user(mission=learner.deployments[0].mission if learner.deployments else None)
    db.session.commit()
    login(client, learner)
    attempt = _start(client, module)
    url = f"/quiz/attempts/{attempt.id}/q/1"

    def ticked(html):
        return re.findall(rf'name="q{question.id}" value="([^"]+)"\s*checked', html)

    assert ticked(client.get(url).get_data(as_text=True)) == []
    chosen = qf.wrong_option(question)
    client.post(url, data={f"q{question.id}": chosen, "save": "y"})
    assert ticked(client.get(url).get_data(as_text=True)) == [chosen]
    assert ticked(client.get(url).get_data(as_text=True)) == [chosen]  # kept, still theirs

    other = app.test_client()
    login(other, colleague)
    theirs = _start(other, module)
    page = other.get(f"/quiz/attempts/{theirs.id}/q/1").get_data(as_text=True)
    assert ticked(page) == []  # the same question, not the first learner's choice
    assert len([key for key in app.extensions["kept_fragments"] if key[0] == "quizzes/_questions.html"]) >= 2
    # Their own choice, on the page kept for nobody yet or for the first learner alike.
    client.post(url, data={f"q{question.id}": qf.right_option(question), "save": "y"})
    other.post(f"/quiz/attempts/{theirs.id}/q/1", data={f"q{question.id}": chosen, "save": "y"})
    assert ticked(client.get(url).get_data(as_text=True)) == [qf.right_option(question)]
    assert ticked(other.get(f"/quiz/attempts/{theirs.id}/q/1").get_data(as_text=True)) == [chosen]


def test_the_saved_answers_come_with_the_attempt_whatever_they_hold(client, login, learner, app):
    """The question page reads the saved answers inside the attempt's statement, as JSON pairs
    (quizzes.views._saved_responses): any text survives, and an attempt with none gives none."""
    from core.reads import read
    from quizzes.views import _attempt_statement, _responses

    module = qf.make_module()
    first, second = qf.choice_question(module, "a", n_options=4), qf.choice_question(module, "b", n_options=4)
    qf.make_quiz(module)
    db.session.commit()
    login(client, learner)
    attempt = _start(client, module)
    assert _responses(read(_attempt_statement(), {"attempt_id": attempt.id}).one().saved) == {}
    odd = ['a,b]"c', "[", "\\", "عربي"]
    db.session.add_all([Answer(attempt_id=attempt.id, question_id=first.id, response=odd),
                        Answer(attempt_id=attempt.id, question_id=second.id, response=[])])
    db.session.commit()
    saved = read(_attempt_statement(), {"attempt_id": attempt.id}).one().saved
    assert _responses(saved) == {first.id: odd, second.id: []}
