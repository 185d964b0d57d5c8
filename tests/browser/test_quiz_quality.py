"""A trainer sees the question-quality warnings in the bank and after a GIFT import, and both guessers'
chance to pass in the item analysis of the shipped quizzes (issue 13). Screenshots in test-results/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from coursepack import importer
from coursepack.cli import SHIPPED_COURSE
from extensions import db
from tests import quiz_factories as qf
from tests.browser.conftest import sign_in
from training.models import Course, Module

pytestmark = pytest.mark.browser

WEAK_GIFT = """::weak-1::A boy of about 14 is found with a unit's weapons. What do you do?{
=Treat him as a child and hand him to child protection actors as fast as possible#Right.
~Detain him#No.
~None of the above#No.
}

::weak-2::Who verifies grave violations?{
=The MRM task force#Right.
~The MRM task force#No.
}
"""


def test_trainer_sees_quality_warnings_and_guessers(page, live_server, screenshot, trainer, tmp_path):
    module = qf.make_module(owner=trainer, languages="en")
    qf.choice_question(module, "fair-1")
    qf.choice_question(module, "two-only", n_options=2)
    qf.make_quiz(module, draw_count=0, pass_mark=50)
    db.session.commit()
    sign_in(page, live_server, trainer)

    # The bank: a warning under the weak question, and the guessers next to the pass mark.
    page.goto(f"{live_server}/quiz/author/module/{module.id}")
    row = page.get_by_role("row").filter(has_text="two-only")
    expect(row.get_by_text("Only 2 options: a guesser is right once in 2.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="fair-1").locator(".quality-warnings")).to_have_count(0)
    expect(page.get_by_role("heading", name="Can a guesser pass?")).to_be_visible()
    expect(page.get_by_text("a learner who answers at random passes")).to_be_visible()
    screenshot(page, "bank")

    # A GIFT import: imported (warnings are not refusals), and each weak point listed.
    gift = tmp_path / "weak.gift"
    gift.write_text(WEAK_GIFT, encoding="utf-8")
    page.goto(f"{live_server}/quiz/author/module/{module.id}/import")
    page.get_by_label("GIFT file").set_input_files(str(gift))
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state()
    expect(page.get_by_text("2 new, 0 updated, 0 unchanged", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Worth a second look")).to_be_visible()
    warnings = page.locator(".quality-warnings li")
    expect(warnings.filter(has_text="weak-1").filter(has_text="clearly the longest option")).to_have_count(1)
    expect(warnings.filter(has_text="weak-1").filter(has_text="None of the above")).to_have_count(1)
    expect(warnings.filter(has_text="weak-2").filter(has_text="two options say the same thing")).to_have_count(1)
    expect(warnings.filter(has_text="weak-2").filter(has_text="Only 2 options")).to_have_count(1)
    screenshot(page, "gift-import")


def test_item_analysis_shows_both_guessers_for_the_shipped_quizzes(page, live_server, screenshot, trainer):
    importer.import_content(SHIPPED_COURSE, actor=trainer, publish=True)
    course = db.session.scalar(select(Course).where(Course.code == "cp-peace-ops"))
    course.owner_id = trainer.id
    db.session.commit()
    sign_in(page, live_server, trainer)
    for module in db.session.scalars(select(Module).where(Module.course_id == course.id).order_by(Module.position)):
        page.goto(f"{live_server}/quiz/author/module/{module.id}/analysis")
        table = page.locator(".guessability table")
        expect(table.get_by_role("columnheader", name="Guessing at random")).to_be_visible()
        expect(table.get_by_role("columnheader", name="Always the longest option")).to_be_visible()
        for language in ("English", "Français", "العربية"):
            cells = table.get_by_role("row").filter(has_text=language).get_by_role("cell")
            expect(cells).to_have_count(2)
            for index in range(2):
                expect(cells.nth(index)).to_contain_text("%")
        if module.slug == "sea-and-child-labour":
            # Measured on the course as shipped before issue 13's rewrite: 75% for the longest option.
            screenshot(page, "analysis-sea")
