"""Studying: My training with statuses, the course and module pages, the lesson player, progress and completion."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from audit.models import AuditEvent
from certificates.models import Certificate
from extensions import db
from tests import certificate_factories
from tests import training_factories as tf
from training import progress
from training.hooks import hooks
from training.models import Completion, LessonView


def _rows() -> dict[str, int]:
    db.session.commit()
    return {table.name: db.session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables}


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


@pytest.fixture
def course(app, trainer, mission_a):
    """A course of two published modules (three lessons, then one) required in mission A within 60 days."""
    course = tf.make_course(owner=trainer, title={"en": "Protecting children", "fr": "Protéger les enfants"})
    tf.make_module(course, lessons=3, langs=("en", "fr"))
    tf.make_module(course, lessons=1)
    tf.make_requirement(course, mission=mission_a, due_days=60)
    db.session.commit()
    return course


def _lessons(course, n: int = 0):
    return course.modules[n].versions[-1].lessons


# ---- My training ------------------------------------------------------------------------------

def test_my_training_shows_each_status_with_its_date(client, login, learner, trainer, mission_a, mission_b):
    arrival = learner.current_deployment().arrival_on  # 30 days ago
    due = tf.make_course(owner=trainer, title={"en": "Due course"})
    overdue = tf.make_course(owner=trainer, title={"en": "Overdue course"})
    cleared = tf.make_course(owner=trainer, title={"en": "Cleared course"})
    expired = tf.make_course(owner=trainer, title={"en": "Expired course"})
    optional = tf.make_course(owner=trainer, title={"en": "Optional course"})
    elsewhere = tf.make_course(owner=trainer, title={"en": "Mission B course"})
    not_my_category = tf.make_course(owner=trainer, title={"en": "Police course"})
    for course in (due, overdue, cleared, expired, optional, elsewhere, not_my_category):
        tf.make_module(course)
    tf.make_requirement(due, mission=mission_a, due_days=45)
    tf.make_requirement(overdue, kind="peacekeeping", due_days=10)
    tf.make_requirement(cleared, mission=mission_a)
    tf.make_requirement(expired, mission=mission_a)
    tf.make_requirement(elsewhere, mission=mission_b)
    tf.make_requirement(not_my_category, mission=mission_a, categories="police")
    optional.audience = {"missions": [mission_a.id], "kinds": [], "categories": [learner.category],
                         "languages": [learner.preferred_language]}
    db.session.commit()
    certificate_factories.issue(learner, cleared)
    old = certificate_factories.issue(learner, expired, datetime(2020, 1, 10, 9, 0, tzinfo=timezone.utc))
    login(client, learner)

    page = client.get("/training").get_data(as_text=True)

    required, others = page.split("Other courses you can take")
    assert "Due course" in required and f"Due by {_medium(arrival + timedelta(days=45))}" in required
    assert "Overdue course" in required and f"Overdue since {_medium(arrival + timedelta(days=10))}" in required
    assert "Cleared course" in required and "Cleared" in required
    assert "Expired course" in required and f"Expired on {_medium(old.expires_at.date())}" in required
    assert required.index("Overdue course") < required.index("Expired course") < required.index("Due course")
    assert "Optional course" in others and "Optional course" not in required
    # Courses required of others are not offered to this learner: their authors chose nobody.
    for name in ("Mission B course", "Police course"):
        assert name not in page
    assert "You are deployed to Mission A" in page


def _medium(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def test_without_a_deployment_nothing_is_required(client, login, trainer, course):
    login(client, trainer)

    page = client.get("/training").get_data(as_text=True)

    assert "You are not assigned to a mission" in page and "No course is required of you" in page
    assert "Protecting children" not in page  # offered to nobody until its authors choose


# ---- reading writes nothing ------------------------------------------------------------------------

def test_reading_pages_writes_nothing(client, login, learner, course):
    login(client, learner)
    lesson = _lessons(course)[0]
    before = _rows()

    for url in ("/training", f"/training/courses/{course.id}", f"/training/modules/{course.modules[0].id}",
                f"/training/lessons/{lesson.id}", f"/training/modules/{course.modules[0].id}/print"):
        assert client.get(url).status_code == 200, url

    assert _rows() == before


# ---- the player ---------------------------------------------------------------------------------

def test_the_lesson_player_shows_where_you_are_and_moves_on(client, login, learner, course):
    login(client, learner)
    first, second, third = _lessons(course)

    page = client.get(f"/training/lessons/{second.id}").get_data(as_text=True)
    assert "Lesson 2 of 3" in page and "You are here" in page and 'aria-current="page"' in page
    assert f'href="/training/lessons/{first.id}?lang=en"' in page  # previous
    assert "Mark as read, next lesson" in page

    response = client.post(f"/training/lessons/{first.id}/done")
    assert response.status_code == 302 and response.headers["Location"] == f"/training/lessons/{second.id}"
    assert client.post(f"/training/lessons/{first.id}/done").status_code == 302  # a retry
    assert _count(LessonView) == 1
    assert "Mark as read, finish the module" in client.get(f"/training/lessons/{third.id}").get_data(as_text=True)


def test_resume_goes_to_the_first_unread_lesson(client, login, learner, course):
    first, second, third = _lessons(course)
    progress.record_lesson_view(learner, first)
    progress.record_lesson_view(learner, third)
    db.session.commit()
    login(client, learner)

    module_page = client.get(f"/training/modules/{course.modules[0].id}").get_data(as_text=True)
    course_page = client.get(f"/training/courses/{course.id}").get_data(as_text=True)
    home = client.get("/training").get_data(as_text=True)

    for page in (module_page, course_page, home):
        assert f'href="/training/lessons/{second.id}' in page and "Continue" in page
    assert "2 of 3 lessons read" in module_page


def test_finishing_the_lessons_completes_the_module_and_then_the_course(client, login, learner, course):
    login(client, learner)
    first_module, second_module = course.modules

    for lesson in _lessons(course, 0):
        client.post(f"/training/lessons/{lesson.id}/done")
    assert _count(Completion) == 1 and _count(Certificate) == 0
    response = client.post(f"/training/lessons/{_lessons(course, 1)[0].id}/done", follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "Module complete" in page and "You have completed the course" in page
    assert _count(Completion) == 2
    [certificate] = db.session.scalars(select(Certificate)).all()
    assert certificate.user_id == learner.id and certificate.course_id == course.id and certificate.status == "valid"
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "module_completed")) == 2
    assert "Cleared" in client.get("/training").get_data(as_text=True)
    assert "You have completed this course" in client.get(f"/training/courses/{course.id}").get_data(as_text=True)
    assert first_module.id != second_module.id


def test_reading_a_complete_module_again_records_and_announces_nothing(client, login, learner, course):
    login(client, learner)
    lessons = _lessons(course, 0)
    for lesson in lessons:
        client.post(f"/training/lessons/{lesson.id}/done")
    assert _count(Completion) == 1

    for lesson in lessons:  # the module's last lesson answers with the completion it has
        response = client.post(f"/training/lessons/{lesson.id}/done", follow_redirects=True)
    page = response.get_data(as_text=True)

    assert "Module complete" not in page and "Take the quiz" not in page
    assert _count(Completion) == 1 and _count(LessonView) == len(lessons)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "module_completed")) == 1


def test_in_the_renewal_window_reading_the_lessons_again_renews_the_certificate(client, login, learner, course):
    login(client, learner)
    for lesson in (*_lessons(course, 0), *_lessons(course, 1)):
        client.post(f"/training/lessons/{lesson.id}/done")
    old = db.session.scalar(select(Certificate))
    # The course's renewal window (from the lesson page's own row of the course) is open: it expires in 10 days.
    old.issued_at = datetime.now(timezone.utc) - timedelta(days=course.validity_months * 30)
    old.expires_at = datetime.now(timezone.utc) + timedelta(days=10)
    db.session.commit()
    assert course.renewal_window_days > 10

    client.post(f"/training/lessons/{_lessons(course, 0)[0].id}/done")  # every lesson read: renewed in cycle 1
    assert _count(Completion) == 3 and _count(Certificate) == 1
    response = client.post(f"/training/lessons/{_lessons(course, 1)[0].id}/done", follow_redirects=True)

    assert "You have completed the course" in response.get_data(as_text=True)
    assert [c.cycle for c in db.session.scalars(select(Completion).order_by(Completion.id))] == [0, 0, 1, 1]
    assert [c.status for c in db.session.scalars(select(Certificate).order_by(Certificate.id))] == ["superseded", "valid"]


def test_a_gate_holds_the_module_until_it_passes(client, login, learner, course, monkeypatch):
    monkeypatch.setattr(hooks(), "module_gates", [lambda user, version: False])
    login(client, learner)

    response = client.post(f"/training/lessons/{_lessons(course, 1)[0].id}/done", follow_redirects=True)

    assert _count(Completion) == 0 and _count(LessonView) == 1
    if "quizzes.intro" in client.application.view_functions:
        assert "Take the quiz" in response.get_data(as_text=True)


def test_a_lesson_of_another_version_or_a_draft_is_not_recorded(client, login, learner, trainer, course):
    draft_module = tf.make_module(course, published=False)
    db.session.commit()
    login(client, learner)
    draft_lesson = draft_module.versions[0].lessons[0]

    assert client.get(f"/training/lessons/{draft_lesson.id}").status_code == 404
    assert client.post(f"/training/lessons/{draft_lesson.id}/done").status_code == 404
    assert client.get(f"/training/modules/{draft_module.id}").status_code == 404
    assert _count(LessonView) == 0


def test_archived_modules_and_courses_disappear_for_learners(client, login, learner, course):
    login(client, learner)
    course.modules[1].is_archived = True
    db.session.commit()
    assert client.get(f"/training/modules/{course.modules[1].id}").status_code == 404
    assert "0 of 1 modules complete" in client.get(f"/training/courses/{course.id}").get_data(as_text=True)
    course.is_archived = True
    db.session.commit()
    assert client.get(f"/training/courses/{course.id}").status_code == 404
    assert client.get(f"/training/lessons/{_lessons(course)[0].id}").status_code == 404


# ---- languages -------------------------------------------------------------------------------------

def test_the_learner_reads_their_language_when_the_module_has_it_and_can_switch(client, login, learner, course):
    learner.preferred_language = "fr"
    db.session.commit()
    login(client, learner)
    english_only = course.modules[1]
    lesson = _lessons(course)[0]

    page = client.get(f"/training/lessons/{lesson.id}").get_data(as_text=True)
    assert "Text of lesson 1 in fr." in page and '<article class="lesson" lang="fr" dir="ltr">' in page
    assert f'href="/training/lessons/{lesson.id}?lang=en"' in page  # the switch

    switched = client.get(f"/training/lessons/{lesson.id}?lang=en").get_data(as_text=True)
    assert "Text of lesson 1 in en." in switched
    unknown = client.get(f"/training/lessons/{lesson.id}?lang=ar").get_data(as_text=True)
    assert "Text of lesson 1 in fr." in unknown  # not written in Arabic: the reader's language

    only_en = client.get(f"/training/lessons/{english_only.versions[0].lessons[0].id}").get_data(as_text=True)
    assert "Text of lesson 1 in en." in only_en and "Read this lesson in" not in only_en


def test_the_print_page_holds_every_lesson_of_the_version(client, login, learner, course):
    login(client, learner)

    page = client.get(f"/training/modules/{course.modules[0].id}/print?lang=fr").get_data(as_text=True)

    for n in (1, 2, 3):
        assert f"Text of lesson {n} in fr." in page and f"{n}. Lesson {n} (fr)" in page
    assert 'class="print-lesson"' in page and "Print command" in page
    css = client.get("/static/site.css")
    if css.status_code == 200:
        assert "@media print" in css.get_data(as_text=True)


def test_the_outlines_bring_the_same_progress_as_the_objects(learner, course):
    """My training and the course page read the lessons read and the cycles completed with the
    versions (learning._outlines); the module page reads them apart. Both must say the same."""
    from training import learning

    first, second = course.modules
    third = tf.make_module(course, lessons=2)
    cycle = progress.current_cycle(learner.id, course)
    progress.record_lesson_view(learner, first.versions[0].lessons[0])
    # The first completed in another certification cycle only: it does not count in this one.
    db.session.add(Completion(user_id=learner.id, module_id=first.id, module_version_id=first.versions[0].id,
                              cycle=cycle + 1))
    progress.record_lesson_view(learner, second.versions[0].lessons[0])
    db.session.add(Completion(user_id=learner.id, module_id=second.id, module_version_id=second.versions[0].id,
                              cycle=cycle))
    progress.record_lesson_view(learner, third.versions[0].lessons[1])
    tf.publish_new_version(third)  # begun before: the person goes on with the version they began
    db.session.commit()

    def summary(items):
        return [(item.module.id, item.version.id, sorted(item.viewed), item.completed,
                 item.published.id if item.published else None) for item in items]

    outlined = learning.course_progress(learner, course, outlines=True)
    loaded = learning.course_progress(learner, course)
    assert summary(outlined) == summary(loaded)
    assert [(len(item.viewed), item.completed) for item in outlined] == [(1, False), (1, True), (1, False)]
    assert outlined[2].version.id == third.versions[0].id != outlined[2].published.id
