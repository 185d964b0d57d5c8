"""The demo as the lead first sees it: `seed-demo`, then the lead's MONUSCO dashboard in Chromium.

Issue 19: with 25 people in 8 units every unit bar was grey and every cell "fewer than 5".
MONUSCO is now the size of a real mission, and the small-cell rule hides only what a person
could be singled out by, so most units show their figures. Screenshots in English on a desktop
and in Arabic on a phone go to test-results/ for a person to look at.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from accounts.models import Deployment, Mission, User
from demo.people import DEMO_PASSWORD
from extensions import db
from tests.browser.conftest import sign_in
from tests.browser.field_world import choose_language

pytestmark = pytest.mark.browser

STATUS_COLUMNS = (2, 3, 4, 5)  # cleared, due, overdue, expired
HIDDEN = {"fewer than 5", "hidden"}


def _unit_rows(page, index: int | None = None) -> list[list[str]]:
    """The unit breakdown's rows: found by its English caption, or by its place among the tables."""
    table = page.locator("table").nth(index) if index is not None else \
        page.locator("table", has=page.locator("caption", has_text=re.compile(r"\w by unit")))  # not "Never signed in, by unit"
    return [[cell.strip() for cell in row.locator("th, td").all_inner_texts()] for row in table.locator("tbody tr").all()]


def test_the_leads_monusco_dashboard_in_the_demo_shows_most_units(live_server, runner, new_page, screenshot):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    monusco = db.session.scalar(select(Mission).filter_by(code="MONUSCO"))
    people = db.session.scalar(select(func.count(Deployment.id)).where(
        Deployment.mission_id == monusco.id, Deployment.departure_on.is_(None)))
    assert people >= 2000 and len(monusco.units) >= 30
    lead = db.session.scalar(select(User).filter_by(service_number="LEAD-0001"))
    db.session.commit()

    page = new_page()
    sign_in(page, live_server, lead, password=DEMO_PASSWORD)
    page.goto(f"{live_server}/missions/{monusco.id}/dashboard")
    rows = [row for row in _unit_rows(page) if row[0] != "No unit"]
    assert len(rows) >= 30
    # Which units are behind is readable for every unit: overdue and expired are never hidden.
    assert not any(row[c] in HIDDEN for row in rows for c in (4, 5))
    # Most units show every figure; the others hide only a cleared/due split of 1 to 4 (a few
    # replacements who arrived this month) and the count that would give it away.
    complete = [row for row in rows if not any(row[c] in HIDDEN for c in STATUS_COLUMNS)]
    assert len(complete) > len(rows) / 2, [r for r in rows if r not in complete]
    assert any(int(row[4]) > 0 for row in rows) and any(int(row[2]) > 0 for row in complete)
    # Formed police units hold police: the category breakdown has soldiers and police in thousands and hundreds.
    categories = page.locator("table", has=page.locator("caption", has_text="by category"))
    assert categories.locator("tbody tr").count() == 3
    folder = screenshot(page, "monusco-dashboard-en").parent
    # Issue #18: the split by delivery mode and the sessions chart, each also as a table.
    delivery = page.locator("table", has=page.locator("caption", has_text="Cleared, by how the training was given"))
    split = [int(c.replace(",", "")) for c in delivery.locator("tbody tr").first.locator("td").all_inner_texts()]
    assert split[0] == sum(split[1:]) and split[2] > 0 and split[4] == 2  # in person; recognised
    months = page.locator("table", has=page.locator("caption", has_text="In-person sessions held per month"))
    assert months.locator("tbody tr").count() == 12
    assert page.locator("section[aria-labelledby=sessions-heading] svg rect").count() >= 5
    for section in ("delivery", "sessions"):  # close-ups to look at
        page.locator(f"section[aria-labelledby={section}-heading]").screenshot(path=str(folder / f"{section}-en.png"))

    phone = new_page(viewport={"width": 360, "height": 740})
    sign_in(phone, live_server, lead, password=DEMO_PASSWORD)
    choose_language(phone, live_server, "ar")
    phone.goto(f"{live_server}/missions/{monusco.id}/dashboard")
    captions = [t.locator("caption").inner_text() if t.locator("caption").count() else ""
                for t in page.locator("table").all()]
    index = next(i for i, caption in enumerate(captions) if re.search(r"\w by unit", caption))
    arabic = _unit_rows(phone, index)
    assert len(arabic) == len(_unit_rows(page)) and [r[0] for r in arabic] == [r[0] for r in _unit_rows(page)]
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360 + 1  # no sideways scroll of the page
    screenshot(phone, "monusco-dashboard-ar-phone")
    for section in ("delivery", "sessions"):
        block = phone.locator(f"section[aria-labelledby={section}-heading]")
        block.locator("details").evaluate_all("all => all.forEach(d => d.open = true)")
        assert block.evaluate("el => el.getBoundingClientRect().right") <= 360 + 1
        block.screenshot(path=str(folder / f"{section}-ar-360.png"))
    bars = phone.locator("section[aria-labelledby=sessions-heading] svg")
    assert bars.get_attribute("direction") == "rtl"
