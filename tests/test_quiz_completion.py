"""Passing the quiz completes the module and, with it, the course and its certificate, in one transaction."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from sqlalchemy import func, select

from certificates.models import Certificate
from extensions import db
from quizzes.models import Attempt
from tests import quiz_factories as qf
from training import progress
from training.models import Completion, ModuleVersion

START = datetime(2030, 1, 10, 8, 0, tzinfo=UTC)


def _module_with_lesson():
    module = qf.make_module(lessons=1)
    version = db.session.scalar(select(ModuleVersion).where(ModuleVersion.module_id == module.id))
    lesson = version.lessons[0]
    question = qf.choice_question(module, "c1")
    qf.make_quiz(module, cooldown_minutes=0)
    db.session.commit()
    return module, version, lesson, question


def _take(client, module, question, right: bool) -> Attempt:
    response = client.post(f"/quiz/module/{module.id}/start")
    attempt_id = int(re.search(r"/quiz/attempts/(\d+)", response.headers["Location"]).group(1))
    option = qf.right_option(question) if right else qf.wrong_option(question)
    client.post(f"/quiz/attempts/{attempt_id}/q/1", data={f"q{question.id}": option})
    client.post(f"/quiz/attempts/{attempt_id}/finish")
    return db.session.get(Attempt, attempt_id)


def _count(model, *where) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count(model.id)).where(*where))


def test_lessons_alone_do_not_complete_a_module_with_a_quiz(app, learner):
    _module, version, lesson, _question = _module_with_lesson()
    progress.record_lesson_view(learner, lesson)
    assert progress.complete_module_if_done(learner, version) is None
    assert _count(Completion) == 0


def test_fail_then_pass_completes_the_module_and_issues_the_certificate(client, login, learner, app):
    module, version, lesson, question = _module_with_lesson()
    progress.record_lesson_view(learner, lesson)
    db.session.commit()
    login(client, learner)

    failed = _take(client, module, question, right=False)
    assert failed.is_passed is False and _count(Completion) == 0 and _count(Certificate) == 0

    passed = _take(client, module, question, right=True)
    assert passed.is_passed and passed.number == 2
    completion = db.session.scalar(select(Completion))
    assert (completion.user_id, completion.module_version_id, completion.attempt_id) == (learner.id, version.id, passed.id)
    assert _count(Certificate, Certificate.user_id == learner.id) == 1
    # Passed: no further attempt in this certification cycle.
    assert client.post(f"/quiz/module/{module.id}/start").status_code == 302 and _count(Attempt) == 2


def test_passing_before_the_lessons_completes_once_the_lessons_are_done(client, login, learner, app):
    module, version, lesson, question = _module_with_lesson()
    login(client, learner)
    assert _take(client, module, question, right=True).is_passed
    assert _count(Completion) == 0  # the lesson is not studied yet
    progress.record_lesson_view(learner, lesson)
    assert progress.complete_module_if_done(learner, version) is not None
    assert _count(Completion) == 1 and _count(Certificate) == 1


def test_renewal_needs_the_quiz_passed_again(client, login, learner, app):
    module, version, lesson, question = _module_with_lesson()
    with freeze_time(START) as clock:
        progress.record_lesson_view(learner, lesson)
        db.session.commit()
        login(client, learner)
        assert _take(client, module, question, right=True).is_passed
        assert _count(Certificate) == 1

        # Inside the renewal window the old pass no longer counts, and a new attempt is allowed.
        clock.move_to(START + timedelta(days=36 * 30))
        login(client, learner)
        assert progress.complete_module_if_done(learner, version) is None
        renewed = _take(client, module, question, right=True)
        assert renewed.number == 2 and renewed.is_passed
        assert _count(Completion) == 2 and _count(Certificate) == 2
        assert [c.cycle for c in db.session.scalars(select(Completion).order_by(Completion.id))] == [0, 1]
