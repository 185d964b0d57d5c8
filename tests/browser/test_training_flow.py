"""A trainer writes and publishes a module; a learner whose mission requires it studies it to the end."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlalchemy import func, select

from certificates.models import Certificate
from extensions import db
from tests import training_factories as tf
from tests.browser.conftest import sign_in, sign_out
from training.models import Completion, LessonImage, LessonView, Module

pytestmark = pytest.mark.browser

LESSON_ONE = """Peacekeepers are often the first to see that a child is in danger.

> **What you do**
> - Keep the child safe and with you.
> - Tell the Child Protection Adviser at once.
"""
LESSON_TWO = """| Violation | Report to |
|---|---|
| Recruitment | CPA |
| Abduction | CPA |

Never question the child yourself: [read why](https://www.un.org/)."""


def _picture() -> bytes:
    image = Image.new("RGB", (1600, 900), (230, 240, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((200, 200, 1400, 700), outline=(29, 95, 168), width=24)
    draw.ellipse((650, 300, 950, 600), fill=(255, 191, 71))
    out = BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _fresh(model) -> int:
    db.session.commit()  # a new snapshot: see what the server wrote
    return db.session.scalar(select(func.count(model.id)))


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_trainer_publishes_a_module_and_a_learner_studies_it(page, phone_page, live_server, screenshot, trainer,
                                                               learner, mission_a):
    course = tf.make_course(owner=trainer, code="cp-field", title={"en": "Child protection in the field"},
                            languages="en", description={"en": "What to do when you meet a child in danger."})
    tf.make_requirement(course, mission=mission_a, due_days=60)
    db.session.commit()

    # --- the trainer writes the module -------------------------------------------------------
    sign_in(page, live_server, trainer)
    page.goto(f"{live_server}/training/author")
    page.get_by_role("link", name="Child protection in the field").click()
    page.get_by_label("Title of the new module").fill("Meeting a child in danger")
    page.get_by_role("button", name="Add module").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Meeting a child in danger"

    page.get_by_role("link", name="Edit title, summary and objectives").click()
    page.get_by_label("Summary").fill("What to do in the first minutes.")
    page.get_by_label("Learning objectives (one per line)").fill("Keep the child safe\nCall the right person")
    page.get_by_label("Estimated minutes").fill("10")
    page.get_by_role("button", name="Save details").click()

    for title, body in (("The first minutes", LESSON_ONE), ("Who to tell", LESSON_TWO)):
        page.get_by_label("Title of the new lesson").fill(title)
        page.get_by_role("button", name="Add lesson").click()
        page.get_by_label("Text (Markdown)").fill(body)
        page.get_by_role("button", name="Preview without saving").click()
        assert page.locator(".preview .lesson-body").inner_text().strip() != ""
        page.get_by_role("button", name="Save lesson").click()
        expect(page.get_by_text("Lesson saved.")).to_be_visible()
        if title == "The first minutes":
            page.locator("input[type=file]").set_input_files(
                files=[{"name": "checkpoint.jpg", "mimeType": "image/jpeg", "buffer": _picture()}])
            page.get_by_label("What the picture shows").fill("A checkpoint seen from above")
            page.get_by_role("button", name="Upload and add to the lesson").click()
            expect(page.get_by_text("Picture added at the end of the lesson")).to_be_visible()
            assert "![A checkpoint seen from above](/media/" in page.get_by_label("Text (Markdown)").input_value()
            assert page.locator(".preview img").evaluate("img => img.naturalWidth") == 1200
        page.get_by_role("link", name="Back to the module").click()

    page.get_by_role("link", name="Preview as learners will see it").click()
    expect(page.get_by_text("Preview: this is exactly what learners will see")).to_be_visible()
    page.get_by_role("link", name="Back to the module").click()
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_text("Published. Learners now see this version.")).to_be_visible()
    screenshot(page, "trainer-module-published")
    sign_out(page)
    db.session.commit()  # a new snapshot: see what the server wrote
    module = db.session.scalar(select(Module).where(Module.course_id == course.id))
    assert [v.status for v in module.versions] == ["published"] and _fresh(LessonImage) == 1

    # --- the learner studies it ----------------------------------------------------------------
    sign_in(page, live_server, learner)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My training").click()
    required = page.locator(".course-item", has_text="Child protection in the field")
    assert "Due by" in required.inner_text()
    screenshot(page, "my-training-due")
    required.get_by_role("link", name="Start").click()

    assert page.get_by_role("heading", level=1).inner_text() == "The first minutes"
    expect(page.get_by_text("Lesson 1 of 2")).to_be_visible()
    expect(page.get_by_text("You are here")).to_be_visible()
    expect(page.locator(".do-box")).to_be_visible()
    picture = page.get_by_role("img", name="A checkpoint seen from above")
    assert picture.evaluate("img => img.complete && img.naturalWidth") == 1200
    assert _no_sideways_scroll(page)
    screenshot(page, "lesson-en-desktop")
    assert _fresh(LessonView) == 0  # reading is not studying yet

    page.get_by_role("button", name="Mark as read, next lesson").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Who to tell"
    page.get_by_role("button", name="Mark as read, finish the module").click()
    expect(page.get_by_text("Module complete. Well done.")).to_be_visible()
    expect(page.get_by_text("You have completed the course.")).to_be_visible()
    expect(page.get_by_text("You have completed this module.")).to_be_visible()
    screenshot(page, "module-complete")
    assert _fresh(LessonView) == 2 and _fresh(Completion) == 1 and _fresh(Certificate) == 1

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My training").click()
    assert "Cleared" in page.locator(".course-item", has_text="Child protection in the field").inner_text()
    screenshot(page, "my-training-cleared")

    # --- the same lesson on a 360 px phone --------------------------------------------------------
    first_lesson = module.versions[0].lessons[0]
    sign_in(phone_page, live_server, learner)
    phone_page.goto(f"{live_server}/training/lessons/{first_lesson.id}")
    assert phone_page.get_by_role("heading", level=1).inner_text() == "The first minutes"
    assert _no_sideways_scroll(phone_page)
    box = phone_page.get_by_role("img", name="A checkpoint seen from above").bounding_box()
    assert box["width"] <= 360
    button = phone_page.get_by_role("link", name="Print this module").bounding_box()
    assert button["height"] >= 20
    screenshot(phone_page, "lesson-en-phone-360")
    phone_page.goto(f"{live_server}/training")
    assert _no_sideways_scroll(phone_page)
    screenshot(phone_page, "my-training-phone-360")
