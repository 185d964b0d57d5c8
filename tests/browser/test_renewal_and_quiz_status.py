"""In Chromium, with screenshots: a holder inside the renewal window sees "Renew by" on My training,
the course page and My certificates, renews, and the old certificate's verify page links the new
one; the quiz says honestly where an answer is: sending, sent, not accepted, or on this device."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from certificates.models import Certificate
from extensions import db
from quizzes.models import Attempt
from tests import report_factories as rf
from tests.browser.conftest import sign_in
from tests.browser.field_world import choose_language, read_every_lesson, right_values, saved_answers, shipped_course
from tests.browser.test_offline import cut_network, make_course_available_offline, restore_network
from tests.training_factories import make_course, make_module, make_requirement

pytestmark = pytest.mark.browser


def test_a_holder_in_the_renewal_window_renews_and_the_old_certificate_points_to_the_new(
        page, phone_page, live_server, learner, mission_a, screenshot):
    course = make_course(title={"en": "Protecting children on patrol", "fr": "Protéger les enfants en patrouille"},
                         languages="en,fr")
    module = make_module(course, lessons=2)
    make_requirement(course, mission=mission_a, due_days=30)
    db.session.commit()
    read_every_lesson(learner, module)  # read in the last cycle
    old = rf.certify(learner, course, days_ago=715)  # valid 24 months: expires in about two weeks
    db.session.commit()
    old_code, renew_by = old.code, old.expires_at.date()

    sign_in(page, live_server, learner)
    page.goto(f"{live_server}/training")
    item = page.locator(".course-item", has_text="Protecting children on patrol")
    expect(item.locator(".badge")).to_contain_text("Renew by")
    expect(item).to_contain_text(str(renew_by.year))
    assert "Cleared" not in item.inner_text()
    screenshot(page, "my-training-renew-by")
    page.goto(f"{live_server}/training/courses/{course.id}")
    expect(page.locator("main .badge").first).to_contain_text("Renew by")
    expect(page.get_by_text("Renewal: 0 of 1 modules complete")).to_be_visible()
    screenshot(page, "course-renew-by")
    page.goto(f"{live_server}/certificates")
    expect(page.locator("td .badge").first).to_contain_text("Renew by")
    screenshot(page, "my-certificates-renew-by")

    # Arabic, on a phone: the same state reads right to left, within the width.
    sign_in(phone_page, live_server, learner)
    choose_language(phone_page, live_server, "ar")
    phone_page.goto(f"{live_server}/training")
    expect(phone_page.locator(".status-renewal").first).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone_page, "my-training-renew-by-ar-360")

    # Renew: Continue from My training, back through the module's lessons.
    page.goto(f"{live_server}/training")
    item.get_by_role("link", name="Continue").click()
    page.wait_for_url(f"**/training/modules/{module.id}")
    page.get_by_role("link", name="Read the lessons again").click()  # read last cycle: reading again completes it
    page.get_by_role("button", name="Next lesson").click()
    page.get_by_role("button", name="Back to the module").click()
    expect(page.get_by_text("You have completed this module.")).to_be_visible()
    page.goto(f"{live_server}/training")
    expect(page.locator(".course-item", has_text="Protecting children on patrol").locator(".badge")).to_have_text("Cleared")
    page.goto(f"{live_server}/certificates")
    expect(page.get_by_text("Renew by")).to_have_count(0)
    expect(page.get_by_text("Replaced by a newer certificate.")).to_be_visible()
    screenshot(page, "my-certificates-renewed")
    db.session.commit()  # end the test's read snapshot: see what the server wrote
    new = db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id, Certificate.status == "valid"))
    assert new is not None and new.supersedes_id == old.id and new.expires_at.date() > renew_by

    page.goto(f"{live_server}/verify/{old_code}")
    link = page.get_by_role("link", name="See the newer certificate")
    expect(link).to_be_visible()
    screenshot(page, "old-certificate-verify")
    assert link.get_attribute("href").endswith(f"/verify/{new.code}")
    link.click()
    page.wait_for_url(f"**/verify/{new.code}")
    expect(page.get_by_text("This certificate is genuine and current.")).to_be_visible()



def _answer(page, drawn, question) -> None:
    for value in right_values(question):
        page.locator(f"input[name='q{drawn['id']}'][value='{value}']").check()


def _state(page, drawn):
    return page.locator(f"fieldset:has(input[name='q{drawn['id']}']) .answer-state")


def test_quiz_save_status_online_failed_and_offline(page, live_server, learner, mission_a, tmp_path, screenshot):
    from quizzes.models import Question

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
    title = module.versions[-1].title["en"]
    expect(page.get_by_role("heading", level=1)).to_have_text(title)  # the module, not "Quiz"
    expect(page.get_by_text(f"Question 1 of {len(drawn)}")).to_have_count(1)

    # Online: the answer is sent at once, and the page never says "saved on this device".
    seen = []
    page.expose_function("noteState", lambda text: seen.append(text))
    page.evaluate("""() => new MutationObserver(() => document.querySelectorAll('.answer-state')
        .forEach(e => window.noteState(e.textContent))).observe(document.body, {subtree: true, childList: true, characterData: true})""")
    _answer(page, drawn[0], questions[drawn[0]["id"]])
    expect(_state(page, drawn[0])).to_have_text("Sent.")
    assert not [text for text in seen if "Saved on this device" in text], seen
    expect(page.locator("#offline-status")).not_to_contain_text("not sent yet")
    screenshot(page, "online-sent")

    # From here the server refuses the answers sent in the background (an error reply), set up
    # before the next page loads: on the context, so the service worker's fetches are caught too.
    page.context.route("**/offline/attempts/*/answers", lambda route: route.fulfill(status=500, body="error"))
    # The question numbers save the answer on the page (a form post, not refused), then move.
    page.locator(".question-nav").get_by_role("button", name="3").click()
    page.wait_for_url("**/q/3")
    db.session.commit()  # end the test's read snapshot: see what the server wrote
    assert drawn[0]["id"] in saved_answers(attempt.id)

    # The server refuses (here: an error reply): "not sent", and the answer stays on the device.
    _answer(page, drawn[2], questions[drawn[2]["id"]])
    expect(_state(page, drawn[2])).to_contain_text("Not sent: the server did not accept it.")
    screenshot(page, "online-failed")
    page.context.unroute("**/offline/attempts/*/answers")

    # Offline: now, and only now, "saved on this device".
    cut_network(page.context)
    page.get_by_role("button", name="Save and go back").click()
    page.wait_for_url("**/q/2")
    _answer(page, drawn[1], questions[drawn[1]["id"]])
    expect(_state(page, drawn[1])).to_have_text("Saved on this device. It will be sent when the connection returns.")
    expect(page.locator("#offline-status")).to_contain_text("You are offline.")
    screenshot(page, "offline-on-device")
    restore_network(page.context)
    expect(_state(page, drawn[1])).to_have_text("Sent.")
    expect(page.locator("#offline-status")).to_contain_text("Sent: everything saved on this device has reached the server.")
    screenshot(page, "back-online-sent")
    db.session.commit()  # end the test's read snapshot: see what the server wrote
    assert {drawn[0]["id"], drawn[1]["id"], drawn[2]["id"]} <= saved_answers(attempt.id).keys()
