"""Authoring helpers in Chromium (issue 19): the Markdown toolbar above a lesson's text, and the
course form showing the fields of the ticked languages only. Both are progressive enhancement:
with JavaScript off the toolbar is absent, the text area works, and every language field shows.
Screenshots in English and in Arabic at 360 px go to test-results/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from tests import training_factories as tf
from tests.browser.conftest import sign_in
from tests.browser.field_world import axe_violations, choose_language, describe
from training.models import Course, Lesson

pytestmark = pytest.mark.browser


@pytest.fixture
def draft_lesson(live_server, trainer):
    course = tf.make_course(owner=trainer, languages="en,ar")
    module = tf.make_module(course, lessons=1, langs=("en", "ar"), published=False)
    db.session.commit()
    return module.versions[0].lessons[0]


def _body(page):
    return page.locator("textarea[name=body]")


def test_the_toolbar_writes_markdown_into_the_lesson(new_page, live_server, trainer, draft_lesson, screenshot):
    page = new_page(bypass_csp=True)  # axe is injected into the page
    sign_in(page, live_server, trainer)
    page.goto(f"{live_server}/training/author/lessons/{draft_lesson.id}?lang=en")
    toolbar = page.get_by_role("toolbar", name="Formatting")
    assert toolbar.is_visible()
    body = _body(page)
    body.fill("Safety first\nThen the child")
    body.evaluate("area => area.setSelectionRange(0, 0)")
    toolbar.get_by_role("button", name="Heading").click()
    body.evaluate("area => area.setSelectionRange(area.value.indexOf('Then'), area.value.length)")
    toolbar.get_by_role("button", name="List", exact=True).click()
    body.evaluate("area => area.setSelectionRange(area.value.length, area.value.length)")
    toolbar.get_by_role("button", name="“What you do” box").click()
    page.keyboard.type("Call the child protection officer")
    body.evaluate("area => area.setSelectionRange(area.value.length, area.value.length)")  # below the box
    toolbar.get_by_role("button", name="Link").click()
    page.keyboard.type("https://www.un.org")  # the address placeholder is selected: typing replaces it
    assert body.input_value() == ("## Safety first\n- Then the child\n\n> **What you do**\n> - Call the child "
                                  "protection officer\n\n[link text](https://www.un.org)")
    toolbar.get_by_role("button", name="Picture").click()
    assert page.evaluate("document.activeElement.id") == "image"  # pictures go through the upload form
    screenshot(page, "lesson-toolbar-en")
    assert not axe_violations(page), describe({"lesson editor": axe_violations(page)})

    page.get_by_role("button", name="Save lesson").click()
    expect(page.get_by_text("Lesson saved.")).to_be_visible()
    db.session.rollback()  # end the test's read snapshot: the server wrote after it began
    saved = db.session.get(Lesson, draft_lesson.id).body["en"]
    assert saved.startswith("## Safety first") and "> **What you do**" in saved


def test_the_toolbar_in_arabic_on_a_phone(new_page, live_server, trainer, draft_lesson, screenshot):
    page = new_page(viewport={"width": 360, "height": 740})
    sign_in(page, live_server, trainer)
    choose_language(page, live_server, "ar")
    page.goto(f"{live_server}/training/author/lessons/{draft_lesson.id}?lang=ar")
    toolbar = page.locator("[data-md-toolbar]")
    assert toolbar.is_visible() and toolbar.locator("button").count() == 7
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    screenshot(page, "lesson-toolbar-ar-phone")


def test_without_javascript_the_text_area_still_works(new_page, live_server, trainer, draft_lesson):
    page = new_page(java_script_enabled=False)
    sign_in(page, live_server, trainer)
    page.goto(f"{live_server}/training/author/lessons/{draft_lesson.id}?lang=en")
    assert page.locator("[data-md-toolbar]").count() == 1 and not page.locator("[data-md-toolbar]").is_visible()
    _body(page).fill("## Typed by hand\n> **What you do**\n> - Report")
    page.get_by_role("button", name="Save lesson").click()
    expect(page.get_by_text("Lesson saved.")).to_be_visible()
    db.session.rollback()  # end the test's read snapshot: the server wrote after it began
    assert db.session.get(Lesson, draft_lesson.id).body["en"].startswith("## Typed by hand")


def test_the_course_form_shows_the_ticked_languages_only(new_page, live_server, trainer, screenshot):
    page = new_page()
    sign_in(page, live_server, trainer)
    page.goto(f"{live_server}/training/author/courses/new")
    blocks = {code: page.locator(f"[data-lang-block={code}]") for code in ("en", "fr", "ar")}
    assert [blocks[c].is_visible() for c in ("en", "fr", "ar")] == [True, False, False]  # English is ticked
    page.get_by_label("Français").check()
    assert blocks["fr"].is_visible() and not blocks["ar"].is_visible()
    screenshot(page, "course-form-en-fr")
    page.get_by_label("Course code").fill("cp-field-notes")
    page.get_by_label("Title in English").fill("Field notes")
    page.get_by_label("Title in French").fill("Notes de terrain")
    page.get_by_role("button", name="Save course").click()
    expect(page.get_by_text("Course created.")).to_be_visible()
    db.session.rollback()
    course = db.session.scalar(select(Course).filter_by(code="cp-field-notes"))
    assert course.title == {"en": "Field notes", "fr": "Notes de terrain"}

    no_js = new_page(java_script_enabled=False)
    sign_in(no_js, live_server, trainer)
    no_js.goto(f"{live_server}/training/author/courses/new")
    assert all(no_js.locator(f"[data-lang-block={code}]").is_visible() for code in ("en", "fr", "ar"))
