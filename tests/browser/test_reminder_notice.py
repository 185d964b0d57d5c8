"""In Chromium, with screenshots: a lead reminds someone who has no e-mail address; the person sees
the reminder right after signing in and on My training (also in Arabic at 360 px), and the lead's
list says it reached them in the app. axe finds nothing on the pages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from extensions import db
from tests import factories
from tests.browser.conftest import sign_in, sign_out
from tests.browser.field_world import axe_violations, choose_language, describe
from tests.training_factories import make_course, make_module, make_requirement

pytestmark = pytest.mark.browser


def test_a_reminder_reaches_someone_without_email_in_the_app(new_page, phone_page, live_server, mission_a, screenshot):
    course = make_course(title={"en": "Child Protection Basics", "fr": "Bases de la protection de l'enfance"})
    make_module(course, lessons=1)
    make_requirement(course, mission=mission_a, due_days=30)
    person = factories.make_user(mission=mission_a, unit=mission_a.units[0], name="Omar Noemail", email=None,
                                 arrival_on=date.today() - timedelta(days=60))
    lead = factories.make_user(roles=[("mission_lead", mission_a)], name="Leila Lead", category="civilian")
    db.session.commit()
    page = new_page(bypass_csp=True)  # axe is injected as an inline script

    sign_in(page, live_server, lead)
    page.goto(f"{live_server}/missions/{mission_a.id}/dashboard")
    page.get_by_role("button", name="Remind Omar Noemail").click()
    expect(page.get_by_text("1 person reminded in the app only.")).to_be_visible()
    expect(page.locator("tr", has_text="Omar Noemail")).to_contain_text("in the app, not seen yet")
    sign_out(page)

    sign_in(page, live_server, person)
    expect(page.get_by_text("Reminder: a required course needs your attention. See My training.")).to_be_visible()
    screenshot(page, "after-sign-in")
    page.goto(f"{live_server}/training")
    notice = page.locator(".reminder-notice")
    expect(notice).to_contain_text("Reminder from your mission")
    expect(notice).to_contain_text("Child Protection Basics: overdue")
    assert describe({"/training": axe_violations(page)}) == ""
    screenshot(page, "my-training-notice")
    sign_out(page)

    sign_in(phone_page, live_server, person)
    choose_language(phone_page, live_server, "ar")
    phone_page.goto(f"{live_server}/training")
    expect(phone_page.locator(".reminder-notice")).to_contain_text("تذكير من بعثتك")
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone_page, "my-training-notice-ar-360")

    sign_in(page, live_server, lead)
    page.goto(f"{live_server}/missions/{mission_a.id}/dashboard")
    row = page.locator("tr", has_text="Omar Noemail")
    expect(row).to_contain_text("in the app")
    assert "not seen yet" not in row.inner_text()
    screenshot(page, "lead-list-reached-in-the-app")
