"""A quiz taken with the keyboard alone: Tab, arrow keys, Space and Enter. No clicks, no fill()."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from extensions import db
from quizzes.models import Attempt, Question
from quizzes.services import quiz_for_module
from tests.browser.field_world import read_every_lesson, right_values, shipped_course
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

# Radio groups (single choice, scenario, true/false) and checkboxes (multiple response).
EVERY_TYPE = {"single_choice", "multiple_response", "true_false", "scenario"}

ACTIVE = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {tag: el.tagName.toLowerCase(), type: el.type || "", name: el.name || "", value: el.value || "",
            text: (el.innerText || el.value || "").trim(), checked: !!el.checked,
            outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2};
}"""


def _active(page) -> dict:
    return page.evaluate(ACTIVE)


def tab_to(page, wanted, limit: int = 80) -> dict:
    """Press Tab until `wanted(active element)` holds; every stop must show a visible focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        active = _active(page)
        if active["tag"] in ("a", "button", "input", "select", "textarea"):
            assert active["outline"], f"no visible focus on {active}"
        if wanted(active):
            return active
    raise AssertionError(f"Tab never reached the element wanted; last: {_active(page)}")


def press_and_wait(page, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


def sign_in_with_keys(page, base_url: str, user) -> None:
    page.goto(f"{base_url}/sign-in")
    tab_to(page, lambda a: a["name"] == "identifier")
    page.keyboard.type(user.service_number)
    tab_to(page, lambda a: a["name"] == "password")
    page.keyboard.type(PASSWORD)
    press_and_wait(page, "Enter")


def answer_with_keys(page, drawn: dict, good: list[str]) -> None:
    """Choose the right options of one question: arrows in a radio group, Space on checkboxes."""
    name = f"q{drawn['id']}"
    first = tab_to(page, lambda a: a["name"] == name)
    if first["type"] == "radio":
        values = page.eval_on_selector_all(f"input[name='{name}']", "els => els.map(e => e.value)")
        target = values.index(good[0])
        if target == 0:
            page.keyboard.press("Space")
        for _ in range(target):
            page.keyboard.press("ArrowDown")  # moves to the next option and selects it
        assert _active(page)["value"] == good[0] and _active(page)["checked"]
    else:
        count = page.locator(f"input[name='{name}']").count()
        for index in range(count):
            if index:
                page.keyboard.press("Tab")
            active = _active(page)
            assert active["name"] == name
            if active["value"] in good:
                page.keyboard.press("Space")
                assert _active(page)["checked"]


def test_a_learner_takes_a_quiz_with_the_keyboard_only(page, live_server, learner, mission_a, tmp_path, screenshot):
    # Module 4's bank has a question of every type (single choice, multiple response, true/false, scenario).
    course = shipped_course(tmp_path, ("04-roles-and-responsibilities",), required_in=mission_a)
    module = course.modules[0]
    read_every_lesson(learner, module)
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.module_id == module.id))}
    assert {q.type for q in questions.values()} == EVERY_TYPE
    # The quiz draws 7 of the bank's questions at random, so a type can be left out. Tag each
    # question with its type and draw one per tag: every type comes up, which one stays random.
    for question in questions.values():
        question.tags = [*question.tags, f"type-{question.type}"]
    quiz = quiz_for_module(module.id)
    quiz.draw_per_tag = {f"type-{name}": 1 for name in EVERY_TYPE}
    quiz.min_critical = 0  # a draw per tag replaces the critical minimum (quizzes.services refuses both)
    db.session.commit()

    sign_in_with_keys(page, live_server, learner)
    assert page.url == f"{live_server}/"
    page.goto(f"{live_server}/quiz/module/{module.id}")
    tab_to(page, lambda a: a["tag"] == "button" and a["text"].startswith("Start"))
    press_and_wait(page, "Enter")

    db.session.commit()
    attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == learner.id))
    assert attempt is not None and attempt.submitted_at is None
    types = set()
    for number, drawn in enumerate(attempt.drawn, start=1):
        assert page.url.endswith(f"/quiz/attempts/{attempt.id}/q/{number}")
        question = questions[drawn["id"]]
        types.add(question.type)
        answer_with_keys(page, drawn, right_values(question))
        if number == 1:
            screenshot(page, "question-1-answered")
        last = number == len(attempt.drawn)
        tab_to(page, lambda a, last=last: a["tag"] in ("button", "input") and a["name"] == ("finish" if last else "next"))
        press_and_wait(page, "Enter")

    assert page.url.endswith(f"/quiz/attempts/{attempt.id}/finish")
    tab_to(page, lambda a: a["name"] == "submit")
    press_and_wait(page, "Enter")

    assert page.url.endswith(f"/quiz/attempts/{attempt.id}/result")
    screenshot(page, "result")
    db.session.expire_all()
    db.session.commit()
    graded = db.session.get(Attempt, attempt.id)
    assert graded.submitted_at is not None and graded.score == 100 and graded.is_passed
    assert len(graded.answers) == len(graded.drawn)
    assert types == EVERY_TYPE
    assert "passed" in page.locator("main").inner_text().lower()
