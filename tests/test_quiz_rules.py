"""The rules that make attempts fair: no key in the page, time limits, cooldown, frozen versions."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from audit.models import AuditEvent
from extensions import db
from quizzes import services
from quizzes.attempts import GRACE
from quizzes.models import Answer, Attempt, QuizVersion
from tests import quiz_factories as qf
from training.models import Completion

START = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)


def _start(client, module) -> Attempt:
    response = client.post(f"/quiz/module/{module.id}/start")
    assert response.status_code == 302, response.data
    attempt_id = int(re.search(r"/quiz/attempts/(\d+)", response.headers["Location"]).group(1))
    return db.session.get(Attempt, attempt_id)


def _every_page(client, attempt: Attempt, module) -> dict[str, str]:
    urls = [f"/quiz/module/{module.id}", f"/quiz/attempts/{attempt.id}/finish"]
    if attempt.quiz_version.settings["layout"] == "all_on_one":
        urls.append(f"/quiz/attempts/{attempt.id}")
    else:
        urls += [f"/quiz/attempts/{attempt.id}/q/{n}" for n in range(1, len(attempt.drawn) + 1)]
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        # CSRF tokens carry a timestamp; nothing else may differ between two fetches.
        pages[url] = re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))
    return pages


def _leaky_quiz(layout: str):
    module = qf.make_module()
    questions = [qf.choice_question(module, "single", feedback="LEAK"), qf.multi_question(module, "multi", feedback="LEAK"),
                 qf.true_false_question(module, "truth", feedback="LEAK"),
                 qf.scenario_question(module, "case", critical=True, feedback="LEAK")]
    qf.make_quiz(module, layout=layout, shuffle_options=True, shuffle_questions=True)
    db.session.commit()
    return module, questions


def _flip_keys(version: QuizVersion) -> None:
    """Make every wrong option right and the other way round, in the frozen snapshot itself."""
    snapshot = copy.deepcopy(version.questions)
    for question in snapshot:
        answer = question["answer"]
        if "value" in answer:
            answer["value"] = not answer["value"]
        else:
            ids = list(answer["weights"])
            answer["weights"] = dict(zip(ids, reversed(list(answer["weights"].values())), strict=True))
    version.questions = snapshot
    db.session.commit()


def test_open_attempt_pages_hold_no_trace_of_the_key(client, login, learner, app):
    for layout in ("one_per_page", "all_on_one"):
        module, questions = _leaky_quiz(layout)
        login(client, learner)
        attempt = _start(client, module)
        # Answer one question so a page with a chosen option is fetched too.
        first = db.session.get(type(questions[0]), attempt.drawn[0]["id"])
        chosen = attempt.drawn[0]["options"][0]
        page_url = f"/quiz/attempts/{attempt.id}" + ("/q/1" if layout == "one_per_page" else "")
        client.post(page_url, data={f"q{first.id}": chosen, "save": "1"})
        client.get(page_url)  # shows (and so clears) the "saved" message

        before = _every_page(client, attempt, module)
        for url, html in before.items():
            assert "LEAK" not in html, url  # no option feedback, no general feedback
            for word in ("correct", "weight", "is_right", "right answer", "critical=", "data-key"):
                assert word not in html.lower(), (url, word)
        # The pages are the same whatever the key says: nothing in them depends on it.
        _flip_keys(attempt.quiz_version)
        assert _every_page(client, attempt, module) == before
        client.post(f"/quiz/attempts/{attempt.id}/finish")


def test_option_ids_are_random_tokens_shared_across_languages(app):
    module = qf.make_module()
    question = qf.choice_question(module, "bi", langs=("en", "fr"), n_options=4)
    english = [o["id"] for o in question.content["en"]["options"]]
    assert english == [o["id"] for o in question.content["fr"]["options"]]
    assert all(re.fullmatch(r"[0-9a-f]{8}", i) for i in english) and len(set(english)) == 4


def test_time_limit_is_enforced_on_every_write(client, login, learner, app):
    module = qf.make_module()
    q1, q2 = qf.choice_question(module, "t1"), qf.choice_question(module, "t2")
    qf.make_quiz(module, time_limit_minutes=10, layout="one_per_page")
    db.session.commit()
    with freeze_time(START) as clock:
        login(client, learner)
        attempt = _start(client, module)
        deadline = START + timedelta(minutes=10)
        page = client.get(f"/quiz/attempts/{attempt.id}/q/1").get_data(as_text=True)
        assert "Time left: 10 min 0 s" in page

        clock.move_to(deadline - timedelta(seconds=1))
        response = client.post(f"/quiz/attempts/{attempt.id}/q/1", data={f"q{q1.id}": qf.right_option(q1), "save": "1"})
        assert response.headers["Location"].endswith("/q/1")
        assert "Time left: 0 min 1 s" in client.get(f"/quiz/attempts/{attempt.id}/q/1").get_data(as_text=True)

        clock.move_to(deadline + GRACE - timedelta(seconds=1))  # inside the grace: a slow link still counts
        response = client.post(f"/quiz/attempts/{attempt.id}/q/2", data={f"q{q2.id}": qf.wrong_option(q2), "save": "1"})
        assert response.headers["Location"].endswith("/q/2")
        assert db.session.scalar(select(func.count(Answer.id))) == 2

        clock.move_to(deadline + GRACE + timedelta(seconds=1))  # too late: nothing more is saved
        response = client.post(f"/quiz/attempts/{attempt.id}/q/2", data={f"q{q2.id}": qf.right_option(q2), "save": "1"})
        assert response.headers["Location"].endswith(f"/quiz/attempts/{attempt.id}/result")
        db.session.refresh(attempt)
        answers = {a.question_id: a.response for a in db.session.scalars(select(Answer))}
        assert answers[q2.id] == [qf.wrong_option(q2)]
        assert attempt.submitted_at is not None and attempt.score == 50.0  # graded on what was saved in time


@pytest.mark.parametrize("right", [False, True], ids=["failed", "passed"])
def test_opening_a_question_after_the_time_limit_grades_the_attempt(client, login, learner, app, right):
    """A GET grades it; a pass also completes the module (in a savepoint) and is not rolled back
    when the request then takes the write lock for the audit event (database.start_writing)."""
    module = qf.make_module()
    question = qf.choice_question(module, "open-late")
    qf.make_quiz(module, time_limit_minutes=5, layout="one_per_page")
    db.session.commit()
    option = qf.right_option(question) if right else qf.wrong_option(question)
    with freeze_time(START) as clock:
        login(client, learner)
        attempt = _start(client, module)
        client.post(f"/quiz/attempts/{attempt.id}/q/1", data={f"q{question.id}": option, "save": "1"})
        clock.move_to(START + timedelta(minutes=5) + GRACE + timedelta(seconds=1))
        response = client.get(f"/quiz/attempts/{attempt.id}/q/1")
        assert response.headers["Location"].endswith(f"/quiz/attempts/{attempt.id}/result")
        assert "Time is up" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.submitted_at is not None and attempt.score == (100.0 if right else 0.0)
    completions = db.session.scalar(select(func.count(Completion.id)).where(Completion.user_id == learner.id))
    assert completions == (1 if right else 0)


def test_a_late_submit_is_graded_on_what_was_saved_in_time(client, login, learner, app):
    module = qf.make_module()
    question = qf.choice_question(module, "late")
    qf.make_quiz(module, time_limit_minutes=5, layout="all_on_one")
    db.session.commit()
    with freeze_time(START) as clock:
        login(client, learner)
        attempt = _start(client, module)
        clock.move_to(START + timedelta(minutes=5) + GRACE + timedelta(seconds=1))
        client.post(f"/quiz/attempts/{attempt.id}", data={f"q{question.id}": qf.right_option(question), "finish": "1"})
        client.post(f"/quiz/attempts/{attempt.id}/finish")
        db.session.refresh(attempt)
        assert attempt.score == 0.0 and attempt.submitted_at is not None
        assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_an_expired_attempt_is_closed_when_the_learner_comes_back(client, login, learner, app):
    module = qf.make_module()
    qf.choice_question(module, "gone")
    qf.make_quiz(module, time_limit_minutes=5)
    db.session.commit()
    with freeze_time(START) as clock:
        login(client, learner)
        attempt = _start(client, module)
        clock.move_to(START + timedelta(hours=2))
        intro = client.get(f"/quiz/module/{module.id}").get_data(as_text=True)
        assert "Continue your attempt" not in intro and "Try again" in intro
        db.session.refresh(attempt)
        assert attempt.submitted_at is not None and attempt.is_passed is False


def test_cooldown_between_attempts(client, login, learner, app):
    module = qf.make_module()
    question = qf.choice_question(module, "cool")
    qf.make_quiz(module, cooldown_minutes=30)
    db.session.commit()
    with freeze_time(START) as clock:
        login(client, learner)
        attempt = _start(client, module)
        client.post(f"/quiz/attempts/{attempt.id}/q/1", data={f"q{question.id}": qf.wrong_option(question)})
        client.post(f"/quiz/attempts/{attempt.id}/finish")

        clock.move_to(START + timedelta(minutes=30) - timedelta(seconds=1))
        refused = client.post(f"/quiz/module/{module.id}/start")
        assert refused.headers["Location"].endswith(f"/quiz/module/{module.id}")
        assert db.session.scalar(select(func.count(Attempt.id))) == 1
        assert "You can try again from" in client.get(f"/quiz/module/{module.id}").get_data(as_text=True)

        clock.move_to(START + timedelta(minutes=30) + timedelta(seconds=1))
        second = _start(client, module)
        assert second.number == 2 and db.session.scalar(select(func.count(Attempt.id))) == 2


def test_the_version_is_frozen_when_an_attempt_starts(client, login, learner, trainer, app):
    module = qf.make_module()
    question = qf.choice_question(module, "frozen", right=0)
    qf.make_quiz(module)
    db.session.commit()
    old_right = qf.right_option(question)
    login(client, learner)
    first = _start(client, module)

    # The trainer changes the key and the pass mark while the attempt is open.
    ids = list(question.answer["weights"])
    services.save_question(module, actor=trainer, key="frozen", type_name="single_choice", content=question.content,
                           answer={"weights": {i: (1.0 if i == ids[1] else 0.0) for i in ids}}, question=question)
    services.update_settings(services.quiz_for_module(module.id), actor=trainer, pass_mark=100)
    db.session.commit()

    client.post(f"/quiz/attempts/{first.id}/q/1", data={f"q{question.id}": old_right})
    client.post(f"/quiz/attempts/{first.id}/finish")
    db.session.refresh(first)
    assert first.score == 100.0 and first.quiz_version.number == 1  # graded against its own version

    # No attempt has started since the edit, so no new version yet; the next attempt will make one.
    assert db.session.scalars(select(QuizVersion.number)).all() == [1]
    assert services.has_unfrozen_changes(services.quiz_for_module(module.id))


def test_edits_make_a_new_version_and_unchanged_banks_reuse_it(client, login, learner, hq, app):
    module = qf.make_module()
    question = qf.choice_question(module, "v")
    qf.make_quiz(module, attempt_limit=None)
    db.session.commit()
    login(client, learner)
    first = _start(client, module)
    client.post(f"/quiz/attempts/{first.id}/finish")
    second = _start(client, module)  # nothing changed: the same version
    client.post(f"/quiz/attempts/{second.id}/finish")
    assert second.quiz_version_id == first.quiz_version_id

    ids = list(question.answer["weights"])
    services.save_question(module, actor=None, key="v", type_name="single_choice", content=question.content,
                           answer={"weights": {i: (1.0 if i == ids[2] else 0.0) for i in ids}}, question=question)
    db.session.commit()
    third = _start(client, module)
    assert third.quiz_version.number == 2
    client.post(f"/quiz/attempts/{third.id}/q/1", data={f"q{question.id}": ids[2]})
    client.post(f"/quiz/attempts/{third.id}/finish")
    db.session.refresh(third)
    assert third.score == 100.0
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "quiz_version_created")) == 2


def test_draw_per_tag_and_draw_count(client, login, learner, app):
    module = qf.make_module()
    for i in range(4):
        qf.choice_question(module, f"a{i}", tags=["alpha"])
    for i in range(3):
        qf.choice_question(module, f"b{i}", tags=["beta"])
    quiz = qf.make_quiz(module, draw_per_tag={"alpha": 2, "beta": 1}, shuffle_questions=True)
    db.session.commit()
    login(client, learner)
    attempt = _start(client, module)
    drawn = {d["id"] for d in attempt.drawn}
    tags = [q["tags"][0] for q in attempt.quiz_version.questions if q["id"] in drawn]
    assert sorted(tags) == ["alpha", "alpha", "beta"]
    client.post(f"/quiz/attempts/{attempt.id}/finish")

    services.update_settings(quiz, actor=None, draw_per_tag={}, draw_count=5)
    db.session.commit()
    attempt = _start(client, module)
    assert len(attempt.drawn) == 5 and len({d["id"] for d in attempt.drawn}) == 5
