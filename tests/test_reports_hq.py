"""The HQ view: every active mission, grouped by kind, each linked to its dashboard; each column
sorts (and reverses) correctly; small cells are hidden from HQ; the export matches the page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from audit.models import AuditEvent
from extensions import db
from tests import factories
from tests import report_factories as rf
from tests.conftest import login_as
from tests.training_factories import make_course, make_requirement

# mission -> (kind, people as (status, weeks since their certificate was issued or None))
MISSIONS = {
    "ALPHA": ("peacekeeping", [("cleared", 1)] * 5 + [("overdue", None)]),
    "BRAVO": ("peacekeeping", [("cleared", 6)] * 2 + [("overdue", None)] * 8),
    "CHARLIE": ("peacekeeping", [("due", None)] * 3),
    "DELTA": ("political", [("cleared", 1)] * 3 + [("cleared", 5)] * 2 + [("overdue", None)] * 2),
    "ECHO": ("peacebuilding", [("due", None)] * 2),  # no course is required in peacebuilding missions here
}
# Expected, per mission: people, cleared %, overdue %, overdue count, completions in the last 4 weeks, in the 4 before
FIGURES = {
    "ALPHA": (6, "83%", "17%", 1, 5, 0),
    "BRAVO": (10, "20%", "80%", 8, 0, 2),
    "CHARLIE": (3, "0%", "0%", 0, 0, 0),
    "DELTA": (7, "71%", "29%", 2, 3, 2),
}
SORTED = {  # the peacekeeping missions in ascending order of each column
    "mission": ["ALPHA", "BRAVO", "CHARLIE"],
    "people": ["CHARLIE", "ALPHA", "BRAVO"],
    "cleared": ["CHARLIE", "BRAVO", "ALPHA"],
    "overdue": ["CHARLIE", "ALPHA", "BRAVO"],
    "overdue_count": ["CHARLIE", "ALPHA", "BRAVO"],
    "trend": ["BRAVO", "CHARLIE", "ALPHA"],  # change: -2, 0, +5
}


@pytest.fixture
def missions(app):
    course = make_course(title={"en": "Child Protection Basics"})
    make_requirement(course, kind="peacekeeping", due_days=30)
    make_requirement(course, kind="political", due_days=30)
    made = {}
    for code, (kind, people) in MISSIONS.items():
        mission = made[code] = factories.make_mission(code=code, name=f"Mission {code}", kind=kind)
        unit = factories.make_unit(mission, code=f"{code}-1")
        for n, (status, weeks) in enumerate(people):
            user = rf.person(mission, unit, name=f"{code} person {n}", days_in=5 if status == "due" else 60)
            if weeks is not None:
                rf.certify(user, course, days_ago=7 * weeks)
    made["ZULU"] = factories.make_mission(code="ZULU", name="Closed mission", is_active=False)
    rf.person(made["ZULU"], None, name="Zulu person", days_in=60)
    db.session.commit()
    return made


def _hq(client, **params) -> str:
    response = client.get("/hq", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _codes(html: str, kind: str) -> list[str]:
    return [row[0].split(" ")[0] for row in rf.table(html, f"{kind} missions").body()]


def test_missions_grouped_by_kind_each_linked_to_its_dashboard(client, missions, admin):
    login_as(client, admin)
    html = _hq(client)
    assert html.index(">Peacekeeping</h2>") < html.index(">Political</h2>") < html.index(">Peacebuilding</h2>")
    assert _codes(html, "Peacekeeping") == ["ALPHA", "BRAVO", "CHARLIE"]
    assert _codes(html, "Political") == ["DELTA"]
    assert _codes(html, "Peacebuilding") == ["ECHO"]
    assert "ZULU" not in html  # an inactive mission is not listed
    for kind in ("Peacekeeping", "Political", "Peacebuilding"):
        table = rf.table(html, f"{kind} missions")
        for row, links in zip(table.body(), table.links[1:], strict=True):
            mission = missions[row[0].split(" ")[0]]
            assert links[0] == f"/missions/{mission.id}/dashboard"
            assert client.get(links[0]).status_code == 200
    for code, (people, cleared, overdue, overdue_count, recent, before) in FIGURES.items():
        kind = MISSIONS[code][0].capitalize()
        row = rf.table(html, f"{kind} missions").row(code)
        assert row[1] == str(people), code
        assert row[2].startswith(cleared), code
        assert row[4] == overdue and row[5] == str(overdue_count), code
        change = recent - before
        arrow = f" (▲ {change})" if change > 0 else f" (▼ {-change})" if change < 0 else ""
        assert f"{recent}{arrow} {before} in the 4 weeks before" in row[7], (code, row[7])
    assert "No course required" in rf.table(html, "Peacebuilding missions").row("ECHO")[2]


@pytest.mark.parametrize("key", list(SORTED))
def test_each_column_sorts_and_reverses(client, missions, admin, key):
    login_as(client, admin)
    assert _codes(_hq(client, sort=key), "Peacekeeping") == SORTED[key]
    assert _codes(_hq(client, sort=f"-{key}"), "Peacekeeping") == SORTED[key][::-1]


def test_sort_links_and_unknown_sorts(client, missions, admin):
    login_as(client, admin)
    html = _hq(client)
    header = rf.table(html, "Peacekeeping missions")
    # Figures sort biggest first on the first click; the mission code A to Z, then Z to A.
    assert header.links[0][:3] == ["/hq?sort=-mission", "/hq?sort=-people", "/hq?sort=-cleared"]
    reversed_people = rf.table(_hq(client, sort="-people"), "Peacekeeping missions")
    assert reversed_people.links[0][1] == "/hq?sort=people" and reversed_people.links[0][0] == "/hq?sort=mission"
    assert _codes(_hq(client, sort="name;drop"), "Peacekeeping") == SORTED["mission"]


def test_hq_sees_small_cells_hidden_admin_exact(app, client, missions, hq, admin):
    login_as(client, hq)
    html = _hq(client)
    bravo = rf.table(html, "Peacekeeping missions").row("BRAVO")
    assert bravo[2] == "– (fewer than 5)"  # 2 cleared: hidden with its percentage
    assert bravo[3] == "– (hidden)"         # and one more, so the row's total does not give it away
    assert bravo[5] == "8"
    charlie = rf.table(html, "Peacekeeping missions").row("CHARLIE")
    assert charlie[3] == "– (fewer than 5)"
    admin_client = app.test_client()
    login_as(admin_client, admin)
    bravo = rf.table(_hq(admin_client), "Peacekeeping missions").row("BRAVO")
    assert bravo[2] == "20% (2)" and bravo[3] == "0% (0)"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_matches_the_page(client, missions, hq, fmt):
    login_as(client, hq)
    html = _hq(client, sort="-overdue")
    response = client.get("/hq/export", query_string={"format": fmt, "sort": "-overdue"})
    assert response.status_code == 200
    header, *rows = rf.read_csv(response) if fmt == "csv" else rf.read_xlsx(response)
    assert header[:4] == ["Kind", "Mission", "People deployed now", "Cleared"]
    on_page = [(kind, code) for kind in ("Peacekeeping", "Political", "Peacebuilding") for code in _codes(html, kind)]
    assert [(r[0], r[1]) for r in rows] == on_page
    by_code = {r[1]: [str(v) for v in r] for r in rows}
    for code, (people, _cleared, _overdue, overdue_count, recent, before) in FIGURES.items():
        assert by_code[code][2] == str(people) and by_code[code][7] == str(overdue_count), code
        assert by_code[code][11:13] == [str(recent), str(before)], code
    assert by_code["BRAVO"][3:7] == ["fewer than 5", "", "hidden", ""]  # as hidden as on the page
    assert float(by_code["ALPHA"][4]) == 83.3
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report_exported")).one()
    assert event.target == "hq" and event.details["format"] == fmt and event.details["table"] == "missions"
    assert event.actor_id == hq.id and event.details["rows"] == 5
    assert client.get("/hq/export?format=pdf").status_code == 404


def test_hq_counts_equal_the_readiness_rule_with_mission_and_category_requirements(app, missions):
    """HQ gives each requirement its missions and categories as constants (reports.hq.requirement_scopes):
    a mission's own requirement, one for police only, an inactive one and an unmatched category
    must come out as readiness.rule.readiness_rows has them."""
    from sqlalchemy import func

    from readiness.rule import readiness_rows
    from reports.dashboard import now_moment
    from reports.hq import hq_rows

    extra = make_course(title={"en": "Police Escorts"})
    make_requirement(extra, mission=missions["DELTA"], categories="police", due_days=10)
    make_requirement(extra, mission=missions["BRAVO"], due_days=10).is_active = False
    rf.person(missions["DELTA"], None, name="Delta police officer", category="police", days_in=20)
    rf.person(missions["ALPHA"], None, name="Alpha civilian", category="civilian", days_in=40)
    db.session.commit()
    moment = now_moment()
    rows = readiness_rows(moment.on, moment=moment.at).subquery()
    expected = {(mission_id, status): count for mission_id, status, count in db.session.execute(
        select(rows.c.mission_id, rows.c.status, func.count()).group_by(rows.c.mission_id, rows.c.status))}
    shown = {(row.mission.id, status): count for group in hq_rows(moment, reveal_small=True).values()
             for row in group for status, count in row.counts.by_status.items() if count}
    assert shown == {key: count for key, count in expected.items() if key[0] != missions["ZULU"].id}
    assert shown[(missions["DELTA"].id, "overdue")] == 3  # 2 overdue for the course, the officer for escorts


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cleared_split_by_delivery_mode_on_the_page_and_in_the_export(app, client, missions, hq, admin, fmt):
    """Issue #18: each mission's cleared, split by how they were trained, as each person's own
    readiness has it (readiness.rule); hidden wherever the cleared count is hidden."""
    from accounts.models import User
    from certificates.models import Certificate
    from readiness.rule import requirements_for

    alpha = db.session.scalars(select(Certificate).join(User, User.id == Certificate.user_id)
                               .where(User.name.like("ALPHA person%")).order_by(Certificate.id)).all()
    for certificate in alpha[:2]:
        certificate.delivery_mode = "in_person"
    db.session.commit()
    split = dict.fromkeys(("online", "in_person", "mixed", "recognised"), 0)
    for user in db.session.scalars(select(User).where(User.name.like("ALPHA person%"))):
        for _requirement, readiness in requirements_for(user):
            if readiness.status == "cleared":
                split[readiness.cleared_by] += 1
    assert split == {"online": 3, "in_person": 2, "mixed": 0, "recognised": 0}

    login_as(client, admin)
    assert rf.table(_hq(client), "Peacekeeping missions").row("ALPHA")[2] == "83% (5)of whom online 3 · in person 2"
    response = client.get("/hq/export", query_string={"format": fmt})
    header, *rows = rf.read_csv(response) if fmt == "csv" else rf.read_xlsx(response)
    assert header[-4:] == ["Cleared online", "Cleared in person", "Cleared online and in person", "Cleared (recognised)"]
    by_code = {r[1]: [str(v) for v in r] for r in rows}
    assert by_code["ALPHA"][-4:] == [str(n) for n in split.values()]

    hq_client = app.test_client()
    login_as(hq_client, hq)
    bravo = rf.table(_hq(hq_client), "Peacekeeping missions").row("BRAVO")
    assert "of whom" not in bravo[2]  # BRAVO's cleared (2) is hidden from HQ, so is its split
    header, *rows = rf.read_csv(hq_client.get("/hq/export?format=csv"))
    assert {r[1]: r for r in rows}["BRAVO"][-4:] == ["fewer than 5"] * 4
