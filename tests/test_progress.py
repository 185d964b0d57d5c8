"""Lesson views, module and course completion, certificate on completion, renewal cycles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from certificates.models import Certificate
from extensions import db
from training import progress
from training.hooks import hooks
from training.models import Completion, Course, Lesson, LessonView, Module, ModuleVersion


@pytest.fixture
def course(app):
    course = Course(code="cp-two", title={"en": "Two modules"}, validity_months=12, renewal_window_days=30)
    db.session.add(course)
    for position in range(2):
        module = Module(course=course, slug=f"m{position}", position=position)
        version = ModuleVersion(module=module, number=1, status="published", title={"en": f"Module {position}"})
        for n in range(2):
            version.lessons.append(Lesson(key=f"l{n}", position=n, title={"en": f"Lesson {n}"}, body={"en": "Text"}))
        db.session.add(module)
    db.session.commit()
    return course


def _study(user, course) -> list:
    results = []
    for module in course.modules:
        version = module.versions[-1]
        for lesson in version.lessons:
            progress.record_lesson_view(user, lesson)
        results.append(progress.complete_module_if_done(user, version))
    return results


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_a_repeated_view_records_nothing_twice(learner, course):
    lesson = db.session.scalar(select(Lesson))
    assert progress.record_lesson_view(learner, lesson) is True
    assert progress.record_lesson_view(learner, lesson) is False
    assert _count(LessonView) == 1


def test_module_needs_every_lesson(learner, course):
    version = course.modules[0].versions[0]
    progress.record_lesson_view(learner, version.lessons[0])
    assert progress.complete_module_if_done(learner, version) is None
    progress.record_lesson_view(learner, version.lessons[1])
    assert progress.complete_module_if_done(learner, version) is not None


def test_gates_hold_a_module_back(learner, course, monkeypatch):
    monkeypatch.setattr(hooks(), "module_gates", [lambda user, version: False])
    assert _study(learner, course) == [None, None]


def test_a_gate_the_caller_has_seen_pass_is_not_asked_again_and_the_others_are(learner, course, monkeypatch):
    asked = []

    def seen(user, version):  # the quiz gate, when a passing attempt is what completes the module
        asked.append("seen")
        return False

    def other(user, version):
        asked.append("other")
        return other_says

    monkeypatch.setattr(hooks(), "module_gates", [seen, other])
    version = course.modules[0].versions[0]
    for lesson in version.lessons:
        progress.record_lesson_view(learner, lesson)

    other_says = False
    assert progress.complete_module_if_done(learner, version, passed=(seen,)) is None
    assert asked == ["other"]
    assert progress.complete_module_if_done(learner, version) is None  # not seen: asked, and it holds
    assert asked == ["other", "seen"]
    other_says = True
    assert progress.complete_module_if_done(learner, version, passed=(seen,)) is not None
    assert _count(Completion) == 1


def test_the_certificate_hook_runs_in_the_completions_transaction(learner, course):
    """training tells certificates through a hook, yet the certificate commits or rolls back with
    the completion that earned it: the hook is a call in the caller's transaction, not a later event."""
    assert all(_study(learner, course)) and _count(Certificate) == 1
    db.session.rollback()
    assert _count(Completion) == 0 and _count(Certificate) == 0


def test_without_the_certificates_hook_training_completes_courses_alone(learner, course, monkeypatch):
    monkeypatch.setattr(hooks(), "course_completed", [])
    assert all(_study(learner, course)) and _count(Certificate) == 0


def test_course_completion_issues_one_certificate(learner, course):
    first = _study(learner, course)
    assert all(first) and _count(Certificate) == 1
    again = _study(learner, course)
    assert [c.id for c in again] == [c.id for c in first]
    assert _count(Completion) == 2 and _count(Certificate) == 1


def test_renewal_needs_the_modules_again_and_supersedes(learner, course):
    _study(learner, course)
    old = db.session.scalar(select(Certificate))
    # Move into the renewal window: the certificate now expires in 10 days.
    old.issued_at = old.issued_at - timedelta(days=355)
    old.expires_at = old.issued_at + timedelta(days=365)
    db.session.commit()
    assert progress.current_cycle(learner.id, course) == 1
    version = course.modules[0].versions[0]
    progress.complete_module_if_done(learner, version)
    assert _count(Certificate) == 1  # one module renewed, not yet the course
    progress.complete_module_if_done(learner, course.modules[1].versions[0])
    certificates = db.session.scalars(select(Certificate).order_by(Certificate.id)).all()
    assert len(certificates) == 2 and certificates[0].status == "superseded"
    assert certificates[1].supersedes_id == certificates[0].id
    assert progress.current_cycle(learner.id, course) == 1  # the new certificate closes cycle 1
