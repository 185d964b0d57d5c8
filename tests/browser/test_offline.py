"""Offline study in Chromium: a course made available offline opens with no connection, lessons
read and quiz answers given offline wait on the device, and reach the server exactly once when
the connection returns. The network is cut with Playwright's offline mode."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from quizzes.models import Attempt, Question
from tests.browser.conftest import LINK_DOWN, sign_in
from tests.browser.field_world import (
    lesson_views,
    lessons_of,
    read_every_lesson,
    right_values,
    saved_answers,
    shipped_course,
)

pytestmark = pytest.mark.browser

SAVED = "pages of this course are saved on this device"
OFFLINE = "You are offline."
ON_DEVICE = "Saved on this device. It will be sent when the connection returns."
ALL_SENT = "Sent: everything saved on this device has reached the server."
# Chromium does not always tell a freshly opened page that it went offline, and then no "online"
# event comes when the link is back: the page's own retry (2 s, 4 s, 8 s... up to a minute)
# sends what waits, at worst a minute after the link is back.
SENT_AGAIN_WITHIN = 65_000

CACHED_URLS = """async () => {
    const urls = [];
    for (const name of await caches.keys()) {
        for (const request of await (await caches.open(name)).keys()) { urls.push(name + " " + new URL(request.url).pathname); }
    }
    return urls;
}"""
CACHED_TEXT = """async () => {
    let all = "";
    for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) { all += await (await cache.match(request)).text(); }
    }
    return all;
}"""


def cut_network(context) -> None:
    """Offline for real. Chromium's offline emulation reaches a freshly opened document a moment
    late (its first requests can still leave), so every request that reaches the network is also
    aborted, and the live server closes any connection that still gets through unanswered; what
    the service worker answers from the device never gets there."""
    context.set_offline(True)
    context.route("**/*", lambda route: route.abort("internetdisconnected"))
    LINK_DOWN.set()


def restore_network(context) -> None:
    LINK_DOWN.clear()
    context.unroute("**/*")
    context.set_offline(False)


def make_course_available_offline(page, base_url: str, course) -> None:
    page.goto(f"{base_url}/training/courses/{course.id}")
    page.get_by_role("button", name="Make available offline").click()
    expect(page.locator(".offline-course .offline-state")).to_contain_text(SAVED, timeout=20_000)
    expect(page.get_by_role("button", name="Remove from this device")).to_be_visible()
    page.wait_for_function("navigator.serviceWorker.controller !== null")


def test_lessons_open_offline_and_reads_given_offline_are_sent_once(page, live_server, learner, mission_a, tmp_path,
                                                                     screenshot):
    course = shipped_course(tmp_path, required_in=mission_a, picture=True)
    module = course.modules[0]
    lessons = lessons_of(learner, module)
    assert len(lessons) >= 3
    sign_in(page, live_server, learner)
    make_course_available_offline(page, live_server, course)
    cached = page.evaluate(CACHED_URLS)
    assert all(any(url.endswith(f"/training/lessons/{lesson.id}") for url in cached) for lesson in lessons)
    assert any("/media/" in url for url in cached) and any("/static/site." in url for url in cached)

    page.goto(f"{live_server}/training/lessons/{lessons[0].id}")
    page.get_by_role("button", name="Mark as read, next lesson").click()
    assert page.url.startswith(f"{live_server}/training/lessons/{lessons[1].id}")

    cut_network(page.context)  # the link drops in the middle of the module
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(page.title().split(" · ")[0])
    expect(page.locator("#offline-status")).to_contain_text(OFFLINE)
    page.get_by_role("link", name=lessons[0].title["en"], exact=True).click()  # back to the lesson with the picture
    picture = page.locator(".lesson-body img")
    expect(picture).to_be_visible()
    assert page.evaluate("document.querySelector('.lesson-body img').naturalWidth") > 0
    page.go_back()
    for lesson in lessons[1:]:
        last = lesson is lessons[-1]
        page.get_by_role("button", name="Mark as read, finish the module" if last else "Mark as read, next lesson").click()
        page.wait_for_load_state()
    assert page.url.startswith(f"{live_server}/training/modules/{module.id}")
    expect(page.locator("#offline-status")).to_contain_text(
        f"Lessons marked as read on this device, not sent yet: {len(lessons) - 1}.")
    screenshot(page, "module-offline")
    assert lesson_views(learner, [lesson.id for lesson in lessons]) == {lessons[0].id: 1}

    restore_network(page.context)
    expect(page.locator("#offline-status")).to_have_text(ALL_SENT, timeout=SENT_AGAIN_WITHIN)
    assert lesson_views(learner, [lesson.id for lesson in lessons]) == {lesson.id: 1 for lesson in lessons}
    page.reload()
    expect(page.get_by_text(f"{len(lessons)} of {len(lessons)} lessons read")).to_be_visible()
    assert lesson_views(learner, [lesson.id for lesson in lessons]) == {lesson.id: 1 for lesson in lessons}


def _answer(page, drawn: dict, questions: dict) -> list[str]:
    values = right_values(questions[drawn["id"]])
    for value in values:
        page.locator(f"input[name='q{drawn['id']}'][value='{value}']").check()
    return sorted(values)


def _stored(attempt_id: int) -> dict[int, list]:
    return {question: sorted(response) for question, response in saved_answers(attempt_id).items()}


def _state(page, drawn: dict):
    return page.locator(f"fieldset:has(input[name='q{drawn['id']}']) .answer-state")


def test_quiz_answers_given_offline_wait_on_the_device_and_count_once(page, live_server, learner, mission_a, tmp_path,
                                                                      screenshot):
    course = shipped_course(tmp_path, required_in=mission_a)
    module = course.modules[0]
    read_every_lesson(learner, module)
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.module_id == module.id))}
    sign_in(page, live_server, learner)
    make_course_available_offline(page, live_server, course)
    page.goto(f"{live_server}/quiz/module/{module.id}")
    page.get_by_role("button", name="Start the quiz").click()
    db.session.commit()
    attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == learner.id))
    drawn = attempt.drawn
    # The question pages of the attempt are kept as soon as the first one opens.
    page.wait_for_function("""async (n) => {
        const cache = await caches.open("cpt-quiz");
        return (await cache.keys()).filter(r => /\\/q\\/\\d+$/.test(r.url)).length >= n;
    }""", arg=len(drawn), polling=200)

    expected = {drawn[0]["id"]: _answer(page, drawn[0], questions)}
    expect(_state(page, drawn[0])).to_have_text("Sent.")
    assert saved_answers(attempt.id).keys() == {drawn[0]["id"]}

    cut_network(page.context)  # the link drops in the middle of the quiz
    page.get_by_role("button", name="Save and go on").click()
    page.wait_for_url("**/q/2")
    expected[drawn[1]["id"]] = _answer(page, drawn[1], questions)
    expect(_state(page, drawn[1])).to_have_text(ON_DEVICE)
    page.reload()  # the saved page, with the answer chosen on this device put back
    expect(_state(page, drawn[1])).to_have_text(ON_DEVICE)
    assert page.locator(f"input[name='q{drawn[1]['id']}']:checked").count() == len(expected[drawn[1]["id"]])
    expect(page.locator("#offline-status")).to_contain_text("Answers saved on this device, not sent yet: 1.")
    screenshot(page, "answer-on-device")
    page.get_by_role("button", name="Save and go on").click()
    page.wait_for_url("**/q/3")
    expected[drawn[2]["id"]] = _answer(page, drawn[2], questions)
    page.get_by_role("button", name="Save and go back").click()
    page.wait_for_url("**/q/2")
    assert page.locator(f"input[name='q{drawn[1]['id']}']:checked").count() == len(expected[drawn[1]["id"]])
    expect(page.locator("#offline-status")).to_contain_text("Answers saved on this device, not sent yet: 2.")
    assert saved_answers(attempt.id).keys() == {drawn[0]["id"]}  # nothing reached the server

    restore_network(page.context)
    expect(_state(page, drawn[1])).to_have_text("Sent.", timeout=SENT_AGAIN_WITHIN)
    expect(page.locator("#offline-status")).to_have_text(ALL_SENT)
    assert _stored(attempt.id) == expected  # each answer once, as chosen
    page.reload()  # nothing is sent twice
    assert _stored(attempt.id) == expected

    for number in range(3, len(drawn) + 1):
        page.goto(f"{live_server}/quiz/attempts/{attempt.id}/q/{number}")
        expected[drawn[number - 1]["id"]] = _answer(page, drawn[number - 1], questions)
    page.get_by_role("button", name="Save and finish").click()
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_text("You passed.")).to_be_visible()

    assert _stored(attempt.id) == expected
    db.session.expire_all()
    graded = db.session.get(Attempt, attempt.id)
    assert graded.is_passed and graded.score == 100
    cached = page.evaluate(CACHED_URLS)
    assert not [url for url in cached if url.endswith(("/result", "/finish")) or "/quiz/attempts/" in url], cached
    feedback = [option["feedback"] for q in questions.values() for option in q.content["en"].get("options", [])
                if option.get("feedback")]
    cached_text = page.evaluate(CACHED_TEXT)
    assert not [text for text in feedback if text in cached_text]  # no answer key or feedback on the device


def test_answers_that_could_not_be_sent_while_the_browser_thought_it_was_online_go_when_the_link_returns(
        page, live_server, learner, mission_a, tmp_path):
    """A weak link: the device says it is online, but nothing gets through, and no "online"
    event will come when it does. The answer waits on the device and is sent by the retry."""
    course = shipped_course(tmp_path, required_in=mission_a)
    module = course.modules[0]
    read_every_lesson(learner, module)
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.module_id == module.id))}
    sign_in(page, live_server, learner)
    page.goto(f"{live_server}/quiz/module/{module.id}")
    page.get_by_role("button", name="Start the quiz").click()
    db.session.commit()
    attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == learner.id))
    first = attempt.drawn[0]

    page.context.route("**/offline/attempts/**", lambda route: route.abort("connectionreset"))
    chosen = _answer(page, first, questions)
    expect(_state(page, first)).to_have_text(ON_DEVICE)
    assert page.evaluate("navigator.onLine")
    page.wait_for_timeout(2_500)  # the first retry fails too
    expect(_state(page, first)).to_have_text(ON_DEVICE)
    assert saved_answers(attempt.id) == {}

    page.context.unroute("**/offline/attempts/**")
    expect(_state(page, first)).to_have_text("Sent.", timeout=SENT_AGAIN_WITHIN)
    expect(page.locator("#offline-status")).to_have_text(ALL_SENT)
    assert _stored(attempt.id) == {first["id"]: chosen}


def test_without_javascript_the_course_page_says_offline_study_needs_it(new_page, live_server, learner, mission_a,
                                                                         tmp_path):
    course = shipped_course(tmp_path, required_in=mission_a)
    page = new_page(java_script_enabled=False)
    sign_in(page, live_server, learner)
    page.goto(f"{live_server}/training/courses/{course.id}")
    notice = page.locator(".offline-course p.notice")  # inside <noscript>
    assert "needs JavaScript" in notice.inner_text()
    assert not page.get_by_role("button", name="Make available offline").is_visible()


def test_signing_out_clears_the_device_copy(page, live_server, learner, mission_a, tmp_path):
    course = shipped_course(tmp_path, required_in=mission_a)
    sign_in(page, live_server, learner)
    make_course_available_offline(page, live_server, course)
    assert page.evaluate(CACHED_URLS)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")

    page.wait_for_function("async () => (await caches.keys()).length === 0", polling=200)
    assert page.evaluate("localStorage.length") == 0
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0
