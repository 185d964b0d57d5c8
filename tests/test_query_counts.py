"""Learner pages send a fixed number of SQL statements, whatever the size of the course or history.

Each page is requested for a small world (a course of 3 modules, 1 past attempt) and a large one
(30 modules, 20 past attempts, more lessons, questions and certificates), and the statements the
request sends are counted with a SQLAlchemy event on the engine. A page whose count grows with
the data loads something row by row (a lazy relationship in a loop, progress module by module).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import event

from certificates import services as certificate_services
from database import utcnow
from extensions import db
from quizzes import attempts as attempt_service
from tests import factories
from tests import quiz_factories as qf
from tests import training_factories as tf
from training.models import Completion, LessonView

LIMIT = 12  # statements a learner page may send, session check included
# Pages brought below it since (README "Learner pages against bare Flask"), SQLite's BEGIN included:
# they must not grow back.
AT_MOST = {"my training": 9, "course": 7, "lesson": 5, "quiz intro": 9, "quiz question": 3, "result": 8}


@dataclass
class World:
    user: object
    course_id: int
    module_id: int        # the module the learner is studying (with an open quiz attempt)
    lesson_id: int
    attempt_id: int       # open, one question a page
    result_id: int        # submitted


def _build(modules: int, lessons: int, questions: int, attempts: int, certificates: int) -> World:
    mission = factories.make_mission(code="QCNT", name="Query count mission")
    unit = factories.make_unit(mission, code="QC-1")
    user = factories.make_user(mission=mission, unit=unit, name="Counted Learner")
    course = tf.make_course()
    tf.make_requirement(course, mission=mission)
    made = [tf.make_module(course, lessons=lessons, langs=("en", "fr")) for _ in range(modules)]
    quizzes = []
    for module in made:
        for k in range(questions):
            qf.choice_question(module, f"{module.slug}-q{k}")
        quizzes.append(qf.make_quiz(module, pass_mark=100, layout="one_per_page"))
    # The first modules are complete, the next one is under way (half its lessons read).
    done = modules // 2
    for module in made[:done]:
        version = module.versions[0]
        for lesson in version.lessons:
            db.session.add(LessonView(user_id=user.id, lesson_id=lesson.id))
        db.session.add(Completion(user_id=user.id, module_id=module.id, module_version_id=version.id, cycle=0))
    studying = made[done]
    for lesson in studying.versions[0].lessons[: lessons // 2]:
        db.session.add(LessonView(user_id=user.id, lesson_id=lesson.id))
    db.session.flush()
    quiz = quizzes[done]
    # Failed attempts (every answer wrong), then one open.
    start = utcnow() - timedelta(days=1)
    for n in range(attempts):
        attempt = attempt_service.start_attempt(user, quiz, language="en")
        attempt.started_at = start + timedelta(minutes=n)
        attempt_service.submit(attempt, now=attempt.started_at + timedelta(seconds=30))
        result_id = attempt.id
    open_attempt = attempt_service.start_attempt(user, quiz, language="en")
    # Certificates of other courses (no modules, so they are not listed as courses to study).
    for k in range(certificates):
        other = tf.make_course(code=f"done-{k}-{user.id}")
        certificate_services.issue_for_course(user, other, utcnow() - timedelta(days=k + 1))
    db.session.commit()
    progress_lesson = studying.versions[0].lessons[lessons // 2]
    return World(user, course.id, studying.id, progress_lesson.id, open_attempt.id, result_id)


def _pages(world: World) -> dict[str, str]:
    return {
        "my training": "/training",
        "course": f"/training/courses/{world.course_id}",
        "module": f"/training/modules/{world.module_id}",
        "lesson": f"/training/lessons/{world.lesson_id}",
        "quiz intro": f"/quiz/module/{world.module_id}",
        "quiz question": f"/quiz/attempts/{world.attempt_id}/q/1",
        "result": f"/quiz/attempts/{world.result_id}/result",
        "certificates": "/certificates",
    }


@contextmanager
def _counting(engine):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def begin(conn):
        # SQLite's BEGIN is a statement the app sends, straight to the driver
        # (database._sqlite_on_begin), so the cursor event does not see it. (PostgreSQL's driver
        # sends its own, uncounted as before.)
        if conn.dialect.name == "sqlite":
            statements.append("BEGIN")

    event.listen(engine, "before_cursor_execute", count)
    event.listen(engine, "begin", begin)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
        event.remove(engine, "begin", begin)


def _measure(client, login, world: World) -> dict[str, tuple[int, list[str]]]:
    login(client, world.user)
    client.get("/training")  # warm-up: the first request of a process loads the catalogues
    counts = {}
    for name, url in _pages(world).items():
        db.session.commit()  # the test client commits around each request; count only the request's
        with _counting(db.engine) as statements:
            response = client.get(url)
        assert response.status_code == 200, (name, response.status_code, response.headers.get("Location"))
        counts[name] = (len(statements), statements)
    return counts


def _small_and_large(app, client, login, empty_tables, measure, *, lessons: tuple[int, int]):
    """`measure` in a small world (3 modules, 1 attempt), then, emptied, in a large one (30, 20)."""
    small = measure(client, login, _build(modules=3, lessons=lessons[0], questions=2, attempts=1, certificates=1))
    client.get("/sign-out")
    empty_tables()
    db.session.remove()
    large = measure(app.test_client(), login, _build(modules=30, lessons=lessons[1], questions=8, attempts=20,
                                                     certificates=6))
    return small, large


@pytest.fixture
def measured(app, client, login, empty_tables):
    return _small_and_large(app, client, login, empty_tables, _measure, lessons=(2, 6))


def test_learner_pages_send_a_fixed_number_of_statements(measured):
    small, large = measured
    report = {name: (small[name][0], large[name][0]) for name in small}
    bad = {name: counts for name, counts in report.items()
           if counts[0] != counts[1] or counts[1] > AT_MOST.get(name, LIMIT)}
    worst = max(bad, key=lambda name: report[name][1], default=None)
    assert not bad, f"statements (small world, large world), limit {LIMIT} ({AT_MOST}): {report}\n{worst}:\n" + \
        "\n".join(large[worst][1] if worst else [])


def test_progress_is_still_right_in_the_large_world(app, client, login):
    """The set-based progress gives the same answers as the module-by-module rule it replaced."""
    world = _build(modules=5, lessons=3, questions=1, attempts=1, certificates=0)
    login(client, world.user)
    page = client.get(f"/training/courses/{world.course_id}").get_data(as_text=True)
    assert "2 of 5 modules complete" in page
    assert "1 of 3 lessons read" in page
    assert page.count('class="badge status-cleared">Complete<') == 2
    assert f'/training/lessons/{world.lesson_id}"' in page  # "Continue where you stopped" points at lesson 2


# The two form posts learners send most (marking a lesson read, saving an answer and going on),
# SQLite's BEGIN included: a fixed number too, whatever the course or history.
POSTS_AT_MOST = {"lesson read": 4, "lesson read again": 3, "answer saved": 5}


def _measure_posts(client, login, world: World) -> dict[str, tuple[int, list[str]]]:
    from quizzes.models import Answer, Attempt
    from training.models import Lesson

    login(client, world.user)
    client.get("/training")
    lesson = db.session.get(Lesson, world.lesson_id)
    first = db.session.scalar(db.select(Lesson.id).where(Lesson.module_version_id == lesson.module_version_id)
                              .order_by(Lesson.position).limit(1))
    drawn = db.session.get(Attempt, world.attempt_id).drawn[0]
    posts = {
        "lesson read": (f"/training/lessons/{world.lesson_id}/done", {}),  # not read before, not the last
        "lesson read again": (f"/training/lessons/{first}/done", {}),
        "answer saved": (f"/quiz/attempts/{world.attempt_id}/q/1", {f"q{drawn['id']}": drawn["options"][0],
                                                                    "next": "y"}),
    }
    counts = {}
    for name, (url, data) in posts.items():
        db.session.commit()
        with _counting(db.engine) as statements:
            response = client.post(url, data=data)
        assert response.status_code == 302 and "/sign-in" not in response.headers["Location"], name
        counts[name] = (len(statements), statements)
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(LessonView.id)).where(
        LessonView.user_id == world.user.id, LessonView.lesson_id == world.lesson_id)) == 1
    assert db.session.scalar(db.select(Answer.response).where(
        Answer.attempt_id == world.attempt_id, Answer.question_id == drawn["id"])) == [drawn["options"][0]]
    return counts


def test_learner_posts_send_a_fixed_number_of_statements(app, client, login, empty_tables):
    # Even lesson counts: the first unread lesson (half are read) is not the module's last.
    small, large = _small_and_large(app, client, login, empty_tables, _measure_posts, lessons=(4, 8))
    report = {name: (small[name][0], large[name][0]) for name in small}
    bad = {name: counts for name, counts in report.items()
           if counts[0] != counts[1] or counts[1] > POSTS_AT_MOST[name]}
    worst = max(bad, key=lambda name: report[name][1], default=None)
    assert not bad, f"statements (small world, large world), at most {POSTS_AT_MOST}: {report}\n{worst}:\n" + \
        "\n".join(large[worst][1] if worst else [])
