"""The demo trainer and the shipped course, in Chromium (issue 19): found in the authoring area,
read (course, module, question bank listed by the cases' first words, item analysis) without
any edit control, copied into a course of their own, and offered to chosen people only.
Screenshots in English and in Arabic at 360 px go to test-results/; axe on the new screens."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from tests.browser.conftest import sign_in
from tests.browser.field_world import axe_violations, choose_language, describe, shipped_course
from training.models import Course

pytestmark = pytest.mark.browser


def test_a_trainer_reads_and_copies_the_shipped_course(new_page, live_server, trainer, tmp_path, screenshot):
    course = shipped_course(tmp_path, ("05-meeting-children",))
    page = new_page(bypass_csp=True)  # axe is injected into the page
    sign_in(page, live_server, trainer)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Authoring").click()
    page.get_by_role("link", name="Child Protection in UN Peace Operations").click()
    expect(page.get_by_text("Read only: only the course’s authors change it.")).to_be_visible()
    assert page.get_by_role("link", name="Edit course details").count() == 0
    screenshot(page, "shipped-course-en")
    assert not axe_violations(page), describe({"course": axe_violations(page)})

    page.locator(".author-modules a").first.click()
    assert page.get_by_role("button", name="Edit: start a new draft").count() == 0
    page.get_by_role("link", name="Question bank and quiz settings").click()
    rows = page.locator("tbody tr").all_inner_texts()
    assert rows and page.get_by_role("link", name="Quiz settings").count() == 0
    screenshot(page, "shipped-bank-en")
    assert not axe_violations(page), describe({"bank": axe_violations(page)})

    page.get_by_role("link", name="Item analysis").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Item analysis"

    page.goto(f"{live_server}/training/author/courses/{course.id}")
    page.get_by_label("Code of your copy").fill("cp-my-copy")
    page.get_by_role("button", name="Copy into a new course").click()
    expect(page.get_by_text("Course copied.")).to_be_visible()
    db.session.rollback()
    copy = db.session.scalar(select(Course).filter_by(code="cp-my-copy"))
    assert copy.owner_id == trainer.id
    page.get_by_role("link", name="Choose who is offered it").click()
    page.get_by_label("Peacekeeping").check()
    page.get_by_label("Military").check()
    page.get_by_label("English").check()
    screenshot(page, "audience-en")
    assert not axe_violations(page), describe({"audience": axe_violations(page)})
    page.get_by_role("button", name="Save who is offered the course").click()
    expect(page.get_by_text("Saved: the course is offered to the people you chose.")).to_be_visible()

    phone = new_page(viewport={"width": 360, "height": 740})
    sign_in(phone, live_server, trainer)
    choose_language(phone, live_server, "ar")
    phone.goto(f"{live_server}/training/author/courses/{course.id}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 361
    screenshot(phone, "shipped-course-ar-phone")
    phone.goto(f"{live_server}/training/author/courses/{copy.id}/audience")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 361
    screenshot(phone, "audience-ar-phone")
