"""The learner's whole journey with JavaScript turned off: sign in, find the course, study every
lesson, take the quiz, see the result and the certificate. JavaScript only ever enhances."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from certificates.models import Certificate
from extensions import db
from quizzes.models import Attempt, Question
from tests.browser.conftest import sign_in
from tests.browser.field_world import lesson_views, lessons_of, right_values, shipped_course
from training.models import Completion

pytestmark = pytest.mark.browser


def _scripts_are_off(page) -> None:
    page.set_content("<title>before</title><script>document.title = 'scripts ran'</script>")
    assert page.title() == "before"


def test_learner_journey_with_javascript_off(new_page, live_server, learner, mission_a, tmp_path, screenshot):
    course = shipped_course(tmp_path, ("01-why-child-protection",), required_in=mission_a)
    module = course.modules[0]
    lessons = lessons_of(learner, module)
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.module_id == module.id))}
    page = new_page(java_script_enabled=False)
    _scripts_are_off(page)

    sign_in(page, live_server, learner)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My training").click()
    course_link = page.get_by_role("link", name="Child Protection in UN Peace Operations", exact=True)
    course_link.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Child Protection in UN Peace Operations"
    screenshot(page, "course")
    page.get_by_role("link", name="Start the course").click()

    for number, lesson in enumerate(lessons, start=1):
        assert page.url.startswith(f"{live_server}/training/lessons/{lesson.id}")
        expect(page.get_by_text(f"Lesson {number} of {len(lessons)}")).to_be_visible()
        last = number == len(lessons)
        page.get_by_role("button", name="Mark as read, finish the module" if last else "Mark as read, next lesson").click()
    assert page.url.startswith(f"{live_server}/training/modules/{module.id}")
    expect(page.get_by_text("One step left: the quiz.")).to_be_visible()
    page.get_by_role("link", name="Take the quiz").click()
    page.get_by_role("button", name="Start the quiz").click()
    db.session.commit()  # see what the server wrote
    attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == learner.id))
    for number, drawn in enumerate(attempt.drawn, start=1):
        assert page.url.endswith(f"/q/{number}")
        for value in right_values(questions[drawn["id"]]):
            page.locator(f"input[name='q{drawn['id']}'][value='{value}']").check()
        last = number == len(attempt.drawn)
        page.get_by_role("button", name="Save and finish" if last else "Save and go on").click()
    expect(page.get_by_text(f"You have answered all {len(attempt.drawn)} questions.")).to_be_visible()
    page.get_by_role("button", name="Submit my answers").click()

    expect(page.get_by_text("You passed.")).to_be_visible()
    screenshot(page, "result")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My certificates").click()
    row = page.get_by_role("row").filter(has_text="Child Protection in UN Peace Operations")
    assert row.count() == 1 and "Valid" in row.inner_text()
    screenshot(page, "certificates")

    assert lesson_views(learner, [lesson.id for lesson in lessons]) == {lesson.id: 1 for lesson in lessons}
    db.session.expire_all()
    graded = db.session.get(Attempt, attempt.id)
    assert graded.is_passed and graded.score == 100
    assert db.session.scalar(select(func.count(Completion.id)).where(Completion.user_id == learner.id)) == 1
    assert db.session.scalar(select(func.count(Certificate.id)).where(Certificate.user_id == learner.id)) == 1
