"""The readiness dashboards in a real browser, on a populated mission: what a mission lead and HQ
see and click (filters, a download, sorting, the way from HQ to a mission), axe on the full
pages, and the Arabic dashboard on a phone with no sideways scroll. Screenshots go to
test-results/ for a person to look at."""

from __future__ import annotations

import csv
import io

import pytest

from extensions import db
from tests import factories
from tests import report_factories as rf
from tests.browser.conftest import sign_in
from tests.browser.field_world import axe_violations, choose_language, describe

pytestmark = pytest.mark.browser


@pytest.fixture
def scenario(live_server, mission_a, mission_b):
    return rf.build(mission_a, mission_b)


@pytest.fixture
def lead(scenario):
    user = factories.make_user(roles=[("mission_lead", scenario.mission)], name="Leila Lead")
    db.session.commit()
    return user


def _rows(page, caption: str) -> list[list[str]]:
    table = page.locator("table", has=page.locator("caption", has_text=caption))
    return [[cell.strip() for cell in row.locator("th, td").all_inner_texts()]
            for row in table.locator("tbody tr").all()]


def test_a_lead_reads_filters_and_downloads_the_mission_dashboard(new_page, live_server, scenario, lead, screenshot):
    page = new_page(bypass_csp=True)  # axe is injected into the page
    sign_in(page, live_server, lead)
    page.goto(f"{live_server}/missions/{scenario.mission.id}/dashboard")
    truth = rf.status_counts(rf.truth(scenario.mission, scenario.requirement))

    assert page.get_by_role("heading", level=1).inner_text() == f"Readiness in {scenario.mission.code}"
    headline = _rows(page, "Readiness per required course")[0]
    assert headline[1] == str(sum(truth.values()))
    assert headline[4].startswith(f"{truth['overdue']} ")
    overdue = _rows(page, "Overdue and expired")
    assert len(overdue) == truth["overdue"] + truth["expired"]
    screenshot(page, "mission-dashboard")
    assert not axe_violations(page), describe({"dashboard": axe_violations(page)})

    # Filter the overdue list to one unit with the form, as a person would.
    page.get_by_label("Unit", exact=True).select_option(label="A-MED-2")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    filtered = _rows(page, "Overdue and expired")
    assert len(filtered) == 1 and filtered[0][0].startswith("Medic Overdue")

    # The list's CSV link downloads exactly the rows on screen.
    link = page.locator("section[aria-labelledby=overdue-heading] .export-links a", has_text="CSV")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    lines = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    names = [line for line in lines[1:] if line]
    assert len(names) == 1 and "Medic Overdue" in names[0]


def test_hq_sorts_missions_and_opens_one(page, live_server, scenario, hq, screenshot):
    sign_in(page, live_server, hq)
    page.goto(f"{live_server}/hq")
    screenshot(page, "hq-view")
    page.get_by_role("link", name="Overdue", exact=True).first.click()
    page.wait_for_load_state()
    assert "sort=-overdue_count" in page.url
    codes = [row[0].split()[0] for row in _rows(page, "Peacekeeping missions")]
    assert codes[0] == scenario.mission.code  # the scenario's mission has the most overdue people

    page.get_by_role("link", name=scenario.mission.code).click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/missions/{scenario.mission.id}/dashboard")
    assert page.get_by_role("heading", level=1).inner_text() == f"Readiness in {scenario.mission.code}"


def test_the_arabic_dashboard_fits_a_phone(new_page, live_server, scenario, lead, screenshot):
    phone = new_page(viewport={"width": 360, "height": 800}, is_mobile=True, has_touch=True, bypass_csp=True)
    sign_in(phone, live_server, lead)
    choose_language(phone, live_server, "ar")
    phone.goto(f"{live_server}/missions/{scenario.mission.id}/dashboard")
    phone.wait_for_load_state("networkidle")

    assert phone.locator("html").get_attribute("dir") == "rtl"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
    violations = axe_violations(phone)
    assert not violations, describe({"dashboard [ar]": violations})
    screenshot(phone, "mission-dashboard-ar-phone")
