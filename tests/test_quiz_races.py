"""Parallel requests with real threads and real commits, on SQLite and PostgreSQL.

Each thread has its own test client (sharing the learner's sign-in cookie), so each request runs
in its own app context and database session, as under gunicorn.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from audit.models import AuditEvent
from extensions import db
from quizzes.models import Answer, Attempt
from tests import quiz_factories as qf

THREADS = 10


def _clients_like(client, count: int) -> list:
    cookie = client.get_cookie("session")
    clients = []
    for _ in range(count):
        other = client.application.test_client()
        other.set_cookie("session", cookie.value)
        clients.append(other)
    return clients


def _in_parallel(clients, method: str, url: str, data=None) -> list[int]:
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run(each):
        try:
            barrier.wait(timeout=10)
            response = each.open(url, method=method, data=data or {})
            statuses.append(response.status_code)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(each,)) for each in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return statuses


def _count(model, *where) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count(model.id)).where(*where))


def test_ten_parallel_submits_grade_once(client, login, learner, app):
    module = qf.make_module()
    questions = [qf.choice_question(module, f"r{i}") for i in range(3)]
    qf.make_quiz(module, layout="all_on_one")
    db.session.commit()
    login(client, learner)
    client.post(f"/quiz/module/{module.id}/start")
    attempt = db.session.scalar(select(Attempt))
    client.post(f"/quiz/attempts/{attempt.id}", data={f"q{q.id}": qf.right_option(q) for q in questions[:2]})

    statuses = _in_parallel(_clients_like(client, THREADS), "POST", f"/quiz/attempts/{attempt.id}/finish")

    assert statuses == [302] * THREADS
    db.session.commit()  # end the test's own read snapshot (taken when the URL was built)
    db.session.refresh(attempt)
    assert attempt.submitted_at is not None and round(attempt.score, 2) == 66.67
    assert _count(AuditEvent, AuditEvent.action == "attempt_submitted") == 1
    assert _count(Answer) == 3  # graded once: one row per question, none doubled
    assert _count(Attempt) == 1


def test_ten_parallel_starts_with_a_limit_of_one_make_one_attempt(client, login, learner, app):
    module = qf.make_module()
    qf.choice_question(module, "s1")
    qf.make_quiz(module, attempt_limit=1)
    db.session.commit()
    login(client, learner)

    statuses = _in_parallel(_clients_like(client, THREADS), "POST", f"/quiz/module/{module.id}/start")

    assert statuses == [302] * THREADS
    assert _count(Attempt) == 1
    assert _count(AuditEvent, AuditEvent.action == "attempt_started") == 1
    assert _count(AuditEvent, AuditEvent.action == "quiz_version_created") == 1


def test_ten_parallel_starts_after_the_last_attempt_make_none(client, login, learner, app):
    module = qf.make_module()
    qf.choice_question(module, "s1")
    qf.make_quiz(module, attempt_limit=1)
    db.session.commit()
    login(client, learner)
    client.post(f"/quiz/module/{module.id}/start")
    attempt = db.session.scalar(select(Attempt))
    client.post(f"/quiz/attempts/{attempt.id}/finish")

    _in_parallel(_clients_like(client, THREADS), "POST", f"/quiz/module/{module.id}/start")

    assert _count(Attempt) == 1


def test_ten_parallel_saves_of_one_answer_make_one_row(client, login, learner, app):
    module = qf.make_module()
    question = qf.choice_question(module, "a1")
    qf.make_quiz(module, layout="all_on_one")
    db.session.commit()
    login(client, learner)
    client.post(f"/quiz/module/{module.id}/start")
    attempt = db.session.scalar(select(Attempt))

    statuses = _in_parallel(_clients_like(client, THREADS), "POST", f"/quiz/attempts/{attempt.id}",
                            {f"q{question.id}": qf.right_option(question), "save": "1"})

    assert statuses == [302] * THREADS
    assert _count(Answer) == 1
