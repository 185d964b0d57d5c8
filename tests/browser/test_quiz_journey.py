"""A learner fails a quiz (and sees the review the settings allow), passes on the second attempt and
finds the module complete: in a browser with JavaScript, and again with JavaScript turned off."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from quizzes.models import Attempt, Question
from tests import quiz_factories as qf
from tests.browser.conftest import sign_in
from tests.browser.field_world import read_every_lesson, right_values
from training.models import Completion

pytestmark = pytest.mark.browser


def _quiz(layout: str):
    module = qf.make_module(lessons=2)
    questions = [qf.choice_question(module, "plain-1", feedback="Because"),
                 qf.choice_question(module, "safeguard", critical=True, feedback="Because"),
                 qf.true_false_question(module, "statement", value=False, feedback="Because"),
                 qf.multi_question(module, "several", feedback="Because")]
    qf.make_quiz(module, pass_mark=60, review_mode="feedback", review_when="after_each", layout=layout,
                 shuffle_questions=True, shuffle_options=True)
    db.session.commit()
    return module, {q.id: q for q in questions}


def _answers(attempt: Attempt, questions: dict[int, Question], *, miss: str | None) -> dict[int, list[str]]:
    """Right answers to every question, except a wrong one to the question whose key is `miss`."""
    chosen = {}
    for drawn in attempt.drawn:
        question = questions[drawn["id"]]
        good = right_values(question)
        wrong = [option for option in drawn["options"] if option not in good][:1]
        chosen[drawn["id"]] = wrong if question.key == miss else good
    return chosen


def _take(page, base_url: str, learner, questions, *, miss: str | None, layout: str) -> Attempt:
    db.session.commit()
    attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == learner.id, Attempt.submitted_at.is_(None)))
    answers = _answers(attempt, questions, miss=miss)
    for number, drawn in enumerate(attempt.drawn, start=1):
        if layout == "one_per_page":
            page.wait_for_url(f"**/quiz/attempts/{attempt.id}/q/{number}")
            expect(page.get_by_text(f"Question {number} of {len(attempt.drawn)}").first).to_be_visible()
        for value in answers[drawn["id"]]:
            page.locator(f"input[name='q{drawn['id']}'][value='{value}']").check()
        last = number == len(attempt.drawn)
        if layout == "one_per_page":
            page.get_by_role("button", name="Save and finish" if last else "Save and go on").click()
    if layout == "all_on_one":
        page.get_by_role("button", name="Save and finish").click()
    expect(page.get_by_text(f"You have answered all {len(attempt.drawn)} questions.")).to_be_visible()
    page.get_by_role("button", name="Submit my answers").click()
    page.wait_for_url(f"**/quiz/attempts/{attempt.id}/result")
    return attempt


@pytest.mark.parametrize(("javascript", "layout"), [(True, "one_per_page"), (False, "one_per_page"),
                                                    (False, "all_on_one")])
def test_fail_then_pass_and_the_module_is_complete(new_page, live_server, learner, screenshot, javascript, layout):
    module, questions = _quiz(layout)
    read_every_lesson(learner, module)
    page = new_page(java_script_enabled=javascript)
    sign_in(page, live_server, learner)

    page.goto(f"{live_server}/training/modules/{module.id}")
    page.get_by_role("link", name="Take the quiz").click()
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(module.versions[0].title["en"])  # the module, not "Quiz"
    screenshot(page, f"question-{layout}-js-{javascript}")
    first = _take(page, live_server, learner, questions, miss="safeguard", layout=layout)

    # 75% is above the pass mark, but the critical question was wrong: not passed, and why.
    expect(page.get_by_text("You did not pass.")).to_be_visible()
    expect(page.get_by_text("You answered a critical question wrong")).to_be_visible()
    expect(page.get_by_text("Attempt 1: 75% (pass mark 60%).")).to_be_visible()
    review = page.locator("section.review-item.is-wrong")
    assert review.count() == 1 and "Critical" in review.inner_text()
    assert "(right answer)" in review.inner_text() and "Because-safeguard-" in review.inner_text()
    screenshot(page, f"failed-{layout}-js-{javascript}")

    page.get_by_role("button", name="Try again").click()
    second = _take(page, live_server, learner, questions, miss=None, layout=layout)
    expect(page.get_by_text("You passed.")).to_be_visible()
    expect(page.get_by_text("Attempt 2: 100% (pass mark 60%).")).to_be_visible()
    screenshot(page, f"passed-{layout}-js-{javascript}")

    page.goto(f"{live_server}/training/modules/{module.id}")
    expect(page.get_by_text("You have completed this module.")).to_be_visible()
    db.session.commit()  # a fresh snapshot: the server wrote in its own transactions
    assert db.session.get(Attempt, first.id).is_passed is False
    assert db.session.get(Attempt, second.id).is_passed is True
    completion = db.session.scalar(select(Completion).where(Completion.user_id == learner.id))
    assert completion is not None and completion.attempt_id == second.id
