"""Signing in and out through the real pages, for every role, on a desktop and a phone."""

from __future__ import annotations

import pytest
from flask import current_app
from playwright.sync_api import expect
from sqlalchemy import func, select

from accounts.models import SignInSession
from audit.models import AuditEvent
from extensions import db
from tests.browser.conftest import sign_in, sign_out

pytestmark = pytest.mark.browser

WRONG_CREDENTIALS = "That email or service number and password do not match an active account."

# What each role is offered on the home page: (endpoint, card title). A card shows once its
# feature's endpoint exists, and every signed-in person is also a learner.
CARDS = {
    "learner": [("training.my_training", "My training"), ("certificates.mine", "My certificates")],
    "trainer": [("training_author.author_index", "Author courses")],
    "mission_lead": [("reports.mission", "Mission readiness")],
    "hq": [("reports.hq", "All missions")],
    "admin": [("admin.people", "People"), ("admin.missions", "Missions and units"),
              ("admin.roster_import", "Import a roster")],
}
# The top bar by role (templates/_nav.html): the places each role's work is, in this order.
NAV = {
    "learner": ["My training", "My certificates", "My profile"],
    "trainer": ["My training", "My certificates", "Authoring", "Sessions", "My profile"],
    "mission_lead": ["My training", "My certificates", "Dashboard", "Sessions", "Required training", "My profile"],
    "hq": ["My training", "My certificates", "All missions", "Sessions", "Required training", "Audit log",
           "My profile"],
    "admin": ["My training", "My certificates", "All missions", "Authoring", "Sessions", "Required training",
              "Admin", "Audit log", "My profile"],
}
ROLE_OF_FIXTURE = {"learner": "learner", "trainer": "trainer", "lead": "mission_lead", "hq": "hq", "admin": "admin"}


def _expected_cards(role: str) -> list[str]:
    wanted = CARDS["learner"] + (CARDS[role] if role != "learner" else [])
    return [title for endpoint, title in wanted if endpoint in current_app.view_functions]


def _sessions(user) -> list[SignInSession]:
    db.session.commit()  # end the test's snapshot so the server's writes are visible
    return list(db.session.scalars(select(SignInSession).filter_by(user_id=user.id)))


@pytest.mark.parametrize("who", list(ROLE_OF_FIXTURE))
def test_each_role_signs_in_sees_their_home_and_signs_out(request, who, page, live_server, screenshot):
    user = request.getfixturevalue(who)
    role = ROLE_OF_FIXTURE[who]

    sign_in(page, live_server, user)

    assert page.url == f"{live_server}/"
    assert page.get_by_role("heading", level=1).inner_text() == f"Welcome, {user.name}"
    cards = [text.strip() for text in page.locator(".cards .card strong").all_inner_texts()]
    assert cards == _expected_cards(role)
    nav = page.get_by_role("navigation", name="Main")
    links = [text.strip() for text in nav.get_by_role("link").all_inner_texts()]
    assert links == NAV[role]
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    [session] = _sessions(user)
    assert session.ended_at is None
    screenshot(page, "home")

    sign_out(page)

    assert page.url == f"{live_server}/sign-in"
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    assert all(s.ended_at is not None for s in _sessions(user))
    page.goto(f"{live_server}/account/password")
    assert page.url == f"{live_server}/sign-in?next=%2Faccount%2Fpassword"
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in"
    if role == "admin":
        page.goto(f"{live_server}/admin/people")
        assert page.url.startswith(f"{live_server}/sign-in?next=")


def test_wrong_password_shows_the_error_and_signs_nobody_in(page, live_server, learner, screenshot):
    sign_in(page, live_server, learner, password="not the password at all")

    assert page.url == f"{live_server}/sign-in"
    expect(page.get_by_text(WRONG_CREDENTIALS)).to_be_visible()
    assert page.get_by_label("Email or service number").input_value() == learner.service_number
    screenshot(page, "wrong-password")
    assert _sessions(learner) == []
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "sign_in_failed")) == 1
    page.goto(f"{live_server}/account/password")
    assert page.url.startswith(f"{live_server}/sign-in?next=")


def test_sign_in_page_fits_a_phone_and_starts_with_the_skip_link(phone_page, live_server, screenshot):
    phone_page.goto(f"{live_server}/sign-in")

    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone_page, "sign-in-360")

    phone_page.keyboard.press("Tab")
    focused = phone_page.evaluate("[document.activeElement.className, document.activeElement.textContent.trim()]")
    assert focused == ["skip-link", "Skip to main content"]
    expect(phone_page.locator(".skip-link")).to_be_visible()  # it shows itself when focused
    screenshot(phone_page, "skip-link-focused")
    phone_page.keyboard.press("Enter")
    assert phone_page.evaluate("document.activeElement.id") == "main"


def test_home_page_with_the_longest_menu_fits_a_phone(phone_page, live_server, admin, screenshot):
    sign_in(phone_page, live_server, admin)

    assert phone_page.get_by_role("heading", level=1).inner_text() == f"Welcome, {admin.name}"
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone_page, "admin-home-360")


def test_sign_in_and_out_work_with_javascript_off(new_page, live_server, learner, screenshot):
    page = new_page(java_script_enabled=False)
    page.set_content("<title>before</title><script>document.title = 'scripts ran'</script>")
    assert page.title() == "before"  # the page's own scripts really are off

    sign_in(page, live_server, learner)

    assert page.url == f"{live_server}/"
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome, Lena Learner"
    screenshot(page, "home-no-js")
    sign_out(page)
    assert page.url == f"{live_server}/sign-in"
    assert all(s.ended_at is not None for s in _sessions(learner))
