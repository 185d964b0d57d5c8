"""Dashboard exports: CSV and XLSX hold the figures of the screen (same counts, same hidden cells,
the same filtered rows), never a formula, and each download is an audit event."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from audit.models import AuditEvent
from extensions import db
from tests import factories
from tests import report_factories as rf
from tests.conftest import login_as

FORMULAS = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tTab start", "\rReturn start"]


@pytest.fixture
def scenario(app, mission_a, mission_b):
    return rf.build(mission_a, mission_b)


def _lead_of(mission):
    user = factories.make_user(roles=[("mission_lead", mission)], name="Leila Lead", category="civilian")
    db.session.commit()
    return user


def _export(client, mission, table: str, fmt: str, **params) -> list[list]:
    response = client.get(f"/missions/{mission.id}/dashboard/export",
                          query_string={"table": table, "format": fmt, **params})
    assert response.status_code == 200, (table, fmt, response.status_code)
    assert f'filename="{mission.code}-{table}-' in response.headers["Content-Disposition"]
    if fmt == "csv":
        assert response.mimetype == "text/csv"
        return rf.read_csv(response)
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return rf.read_xlsx(response)


def _exported_events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report_exported")
                                   .order_by(AuditEvent.id)))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_headline_export_counts_equal_the_rule(client, scenario, admin, fmt):
    expected = rf.status_counts(rf.truth(scenario.mission, scenario.requirement))
    login_as(client, admin)
    header, *rows = _export(client, scenario.mission, "headline", fmt)
    assert header[:5] == ["Mission", "People deployed now", "Course", "Due (days after arrival)", "People"]
    assert len(rows) == 1
    row = [str(v) for v in rows[0]]
    assert row[:5] == ["MISSA", "18", "Child Protection Basics", "30", "18"]
    assert [int(row[5 + 2 * k]) for k in range(4)] == [expected[s] for s in ("cleared", "due", "overdue", "expired")]
    assert [float(row[6 + 2 * k]) for k in range(4)] == [44.4, 16.7, 33.3, 5.6]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_breakdown_exports_hide_what_the_page_hides(app, client, scenario, admin, fmt):
    login_as(client, _lead_of(scenario.mission))
    page = client.get(f"/missions/{scenario.mission.id}/dashboard").get_data(as_text=True)
    for table, caption, first in (("units", "Child Protection Basics by unit", "Unit"),
                                  ("categories", "Child Protection Basics by category", "Category")):
        header, *rows = _export(client, scenario.mission, table, fmt)
        assert header[:3] == [first, "People", "Cleared"]
        on_screen = rf.table(page, caption).body()
        assert [r[0] for r in rows] == [r[0] for r in on_screen]
        for exported, shown in zip(rows, on_screen, strict=True):
            # count columns: page 2..5, export 2, 4, 6, 8 (each followed by its percentage)
            assert [str(exported[2 + 2 * k]) for k in range(4)] == shown[2:6], (table, shown)
            for k in range(4):
                if shown[2 + k] in ("fewer than 5", "hidden"):
                    assert exported[3 + 2 * k] == "", "a hidden count's percentage is hidden too"
    # The lead's unit export hides the medical unit's 2 cleared; an admin's shows them.
    medical = next(r for r in _export(client, scenario.mission, "units", fmt) if r[0] == "A-MED-2")
    assert medical[2] == "fewer than 5" and str(medical[6]) == "1"
    admin_client = app.test_client()
    login_as(admin_client, admin)
    medical = next(r for r in _export(admin_client, scenario.mission, "units", fmt) if r[0] == "A-MED-2")
    assert [float(v) for v in medical[1:10]] == [4, 2, 50, 1, 25, 1, 25, 0, 0]


def _listed(html: str) -> list[tuple[str, str]]:
    """(name, service number) of each row of the overdue list on the page."""
    rows = rf.table(html, "Overdue and expired").body()
    return [tuple(row[0].split(" · ")[0].rsplit(" ", 1)) for row in rows]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_overdue_export_has_exactly_the_rows_on_screen(client, scenario, admin, fmt):
    login_as(client, admin)
    filters = [{}, {"unit": scenario.units["battalion"].id, "sort": "name"}, {"status": "expired"},
               {"category": "police"}, {"q": "alpha overdue", "sort": "-since"}, {"unit": 0}]
    for params in filters:
        html = client.get(f"/missions/{scenario.mission.id}/dashboard", query_string=params).get_data(as_text=True)
        header, *rows = _export(client, scenario.mission, "overdue", fmt, **params)
        assert header[:7] == ["Name", "Service number", "Category", "Unit", "Course", "Status", "Since"]
        assert [(r[0], r[1]) for r in rows] == _listed(html), params
    # Status and since, as on the list.
    header, *rows = _export(client, scenario.mission, "overdue", fmt, status="expired")
    (expired,) = rows
    assert expired[2:6] == ["Military", "A-BATT-1", "Child Protection Basics", "Expired"]
    expires = db.session.scalar(select(rf.Certificate.expires_at).where(
        rf.Certificate.user_id == scenario.people["expired"].id))
    assert expired[6] == (expires.date().isoformat() if fmt == "csv" else datetime.combine(expires.date(), datetime.min.time()))


def test_overdue_export_is_every_page_of_the_list(client, scenario, admin):
    rf.many_overdue(scenario, 55)
    login_as(client, admin)
    pages = []
    for page in (1, 2):
        html = client.get(f"/missions/{scenario.mission.id}/dashboard", query_string={"sort": "name", "page": page})
        pages += _listed(html.get_data(as_text=True))
    _header, *rows = _export(client, scenario.mission, "overdue", "csv", sort="name", page=2)
    assert len(rows) == 62
    assert [(r[0], r[1]) for r in rows] == pages


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_like_text_comes_out_as_text(client, scenario, admin, fmt):
    for n, name in enumerate(FORMULAS):
        rf.person(scenario.mission, scenario.units["medical"], name=name, days_in=60 + n, category="police",
                  service_number=f"EVIL-{n}")
    rf.person(scenario.mission, rf.factories.make_unit(scenario.mission, code="=1+1"), name="Unit Formula",
              days_in=50, category="police", service_number="EVIL-UNIT")
    db.session.commit()
    login_as(client, admin)
    response = client.get(f"/missions/{scenario.mission.id}/dashboard/export",
                          query_string={"table": "overdue", "format": fmt, "category": "police"})
    rows = rf.read_csv(response) if fmt == "csv" else rf.read_xlsx(response)
    by_number = {r[1]: r for r in rows[1:]}
    # CSV has no cell types: an apostrophe keeps the text text. XLSX stores the type, so the
    # text comes back exactly as typed, in a string cell.
    mark = "'" if fmt == "csv" else ""
    for n, name in enumerate(FORMULAS):
        # (XML turns a carriage return into a line feed when the workbook is read back.)
        assert by_number[f"EVIL-{n}"][0] in (mark + name, mark + name.replace("\r", "\n")), name
    assert by_number["EVIL-UNIT"][3] == mark + "=1+1"
    if fmt == "csv":
        for row in rows:
            for value in row:
                assert not (isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r"))), row
    if fmt == "xlsx":
        with zipfile.ZipFile(io.BytesIO(response.data)) as book:
            sheet = next(n for n in book.namelist() if n.startswith("xl/worksheets/sheet"))
            assert b"<f>" not in book.read(sheet) and b"<f " not in book.read(sheet)
    # The arrivals list too.
    arrivals = rf.person(scenario.mission, scenario.units["medical"], name="=cmd|' /C calc'!A0", days_in=3,
                         category="police", service_number="EVIL-NEW")
    db.session.commit()
    response = client.get(f"/missions/{scenario.mission.id}/dashboard/export",
                          query_string={"table": "arrivals", "format": fmt})
    rows = rf.read_csv(response) if fmt == "csv" else rf.read_xlsx(response)
    assert next(r for r in rows if r[1] == arrivals.service_number)[0] == mark + "=cmd|' /C calc'!A0"


def test_xlsx_cells_are_typed_dates_numbers_and_inert_text(client, scenario, admin):
    from openpyxl import load_workbook

    evil = rf.person(scenario.mission, scenario.units["medical"], name="=HYPERLINK(\"http://x\")", days_in=3,
                     category="police", service_number="EVIL-TYPED")
    db.session.commit()
    login_as(client, admin)
    response = client.get(f"/missions/{scenario.mission.id}/dashboard/export",
                          query_string={"table": "arrivals", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]  # not read-only: styles and types
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == evil.service_number)
    arrived, due = row[header.index("Arrived")], row[header.index("Due date")]
    assert arrived.is_date and isinstance(arrived.value, datetime) and arrived.number_format == "yyyy-mm-dd"
    assert arrived.value.date() == (date.today() - timedelta(days=3))
    assert due.is_date
    name = row[0]
    assert name.data_type == "s" and name.value == "=HYPERLINK(\"http://x\")" and not name.quotePrefix
    # Counts and percentages of the readiness table are numbers, not text.
    response = client.get(f"/missions/{scenario.mission.id}/dashboard/export",
                          query_string={"table": "headline", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    first = [cell for cell in sheet[2]]
    numbers = first[4:]  # People, then each status's count and percent
    assert numbers and all(cell.data_type == "n" and isinstance(cell.value, int | float) for cell in numbers)
    # The same table as CSV keeps its text form.
    csv_rows = rf.read_csv(client.get(f"/missions/{scenario.mission.id}/dashboard/export",
                                      query_string={"table": "arrivals", "format": "csv"}))
    csv_row = next(r for r in csv_rows if r[1] == evil.service_number)
    assert csv_row[0] == "'=HYPERLINK(\"http://x\")"
    assert csv_row[header.index("Arrived")] == (date.today() - timedelta(days=3)).isoformat()


def test_each_export_is_an_audit_event(client, scenario, admin):
    lead = _lead_of(scenario.mission)
    login_as(client, lead)
    for table in ("headline", "units", "categories", "modules", "trend", "overdue", "arrivals"):
        for fmt in ("csv", "xlsx"):
            _export(client, scenario.mission, table, fmt, unit=scenario.units["battalion"].id)
    events = _exported_events()
    assert len(events) == 14
    assert [(e.details["table"], e.details["format"]) for e in events] == [
        (t, f) for t in ("headline", "units", "categories", "modules", "trend", "overdue", "arrivals")
        for f in ("csv", "xlsx")]
    assert {e.actor_id for e in events} == {lead.id}
    assert {e.target for e in events} == {"mission:MISSA"}
    overdue = next(e for e in events if e.details["table"] == "overdue")
    assert overdue.details["rows"] == 5
    # The unit filter is recorded, whatever its id (the battalion is unit 1 in a fresh database).
    assert overdue.details["filters"]["unit"] == scenario.units["battalion"].id
    assert overdue.details["filters"]["requirement"] == scenario.requirement.id
    assert "page" not in overdue.details["filters"]


@pytest.mark.parametrize("query", ["table=people&format=csv", "table=overdue&format=pdf", "table=overdue&format=",
                                   "table=&format=csv", "table=__class__&format=xlsx", "format=json"])
def test_unknown_table_or_format_is_404_and_not_recorded(client, scenario, admin, query):
    login_as(client, admin)
    response = client.get(f"/missions/{scenario.mission.id}/dashboard/export?{query}")
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "report_exported")) == 0


def test_modules_and_trend_exports_match_the_page(client, scenario, admin):
    login_as(client, admin)
    html = client.get(f"/missions/{scenario.mission.id}/dashboard").get_data(as_text=True)
    trend = _export(client, scenario.mission, "trend", "csv")[1:]
    on_screen = rf.table(html, "Course completions (certificates issued) per week").body()
    assert [int(r[1]) for r in trend] == [int(r[1]) for r in on_screen]
    # The scenario's certificates issued 3 to 20 days ago, the one revoked since included: 9.
    assert sum(int(r[1]) for r in trend) == 9
    modules = _export(client, scenario.mission, "modules", "xlsx")
    assert modules[0] == ["Module", "Title", "People who completed it", "People", "%"]
    assert [r[:1] + r[2:4] for r in modules[1:]] == [[1, 0, 18], [2, 0, 18]]


def test_the_lists_page_and_download_share_one_definition(app, client, scenario, admin, hq):
    """The page draws the overdue and arrivals lists from the download's column definitions: the
    buttons are on the page only, and a person with no unit reads "No unit" in both."""
    login_as(client, admin)  # an admin may remind and print codes: both button columns are there
    html = client.get(f"/missions/{scenario.mission.id}/dashboard").get_data(as_text=True)
    overdue = rf.table(html, "Overdue and expired")
    assert overdue.rows[0] == ["Name", "Unit", "Missing", "Since", "Last reminded", "Remind", "Activation slip"]
    assert overdue.row("Civil Overdue")[1] == "No unit"
    header, *rows = _export(client, scenario.mission, "overdue", "csv")
    assert header == ["Name", "Service number", "Category", "Unit", "Course", "Status", "Since", "Modules done",
                      "Modules in the course", "Last reminded"]
    assert next(r for r in rows if r[0] == "Civil Overdue")[3] == "No unit"
    arrivals = rf.table(html, "People who arrived in the last 30 days")
    assert arrivals.rows[0] == ["Name", "Unit", "Arrived", "Status", "Due date", "Activation slip"]
    header, *_rows = _export(client, scenario.mission, "arrivals", "csv")
    assert header == ["Name", "Service number", "Category", "Unit", "Arrived", "Course", "Status", "Due date"]
    # HQ may neither remind nor print codes: no button column on the page, the same download.
    hq_client = app.test_client()
    login_as(hq_client, hq)
    html = hq_client.get(f"/missions/{scenario.mission.id}/dashboard").get_data(as_text=True)
    assert rf.table(html, "Overdue and expired").rows[0] == ["Name", "Unit", "Missing", "Since", "Last reminded"]
    assert _export(hq_client, scenario.mission, "overdue", "csv")[0] == _export(client, scenario.mission, "overdue", "csv")[0]


def test_a_screen_only_column_never_reaches_a_download():
    from core.spreadsheet import ACTION, Column, Table

    columns = (Column("name", "Name", lambda row: row), Column("go", "Go", lambda row: row, ACTION, screen_only=True))
    table = Table("t", columns, ["a"], screen=("name", "go"))
    assert [column.key for column in table.screen_columns()] == ["name", "go"]
    assert table.header() == ["Name"] and table.body() == [["a"]]
    with pytest.raises(ValueError, match="screen-only"):
        Table("t", columns, ["a"], export=("name", "go")).header()


def test_every_sortable_hq_column_sorts(app):
    from reports import exports, hq

    with app.test_request_context():
        sorts = [column.sort for column in exports.hq_screen_table([]).screen_columns() if column.sort]
    assert sorted(sorts) == sorted(hq.SORT_KEYS)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_delivery_split_exports_equal_the_page_and_the_rule(client, scenario, admin, fmt):
    """Issue #18: the headline and the delivery table carry the cleared split by delivery mode."""
    from certificates.models import Certificate

    for key in ("cleared1", "cleared2", "cleared3"):
        db.session.scalars(select(Certificate).where(Certificate.user_id == scenario.people[key].id)).one() \
            .delivery_mode = "in_person"
    db.session.commit()
    cleared = rf.status_counts(rf.truth(scenario.mission, scenario.requirement))["cleared"]
    expected = [cleared - 3, 3, 0, 0]  # online, in person, both, recognised
    login_as(client, admin)
    page = rf.table(client.get(f"/missions/{scenario.mission.id}/dashboard").get_data(as_text=True),
                    "Cleared, by how the training was given").row("Child Protection Basics")
    assert page[1:] == [str(n) for n in (cleared, *expected)]
    header, *rows = _export(client, scenario.mission, "headline", fmt)
    assert header[-4:] == ["Cleared online", "Cleared in person", "Cleared online and in person", "Cleared (recognised)"]
    assert [int(v) for v in rows[0][-4:]] == expected
    header, *rows = _export(client, scenario.mission, "delivery", fmt)
    assert header == ["Course", "Cleared", *header[-4:]]
    assert [str(v) for v in rows[0]] == ["Child Protection Basics", *(str(n) for n in (cleared, *expected))]
