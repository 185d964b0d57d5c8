"""The mission dashboard's figures are true: they equal readiness.rule's per-person rule,
count only the people deployed in the mission now, hide small cells from leads and HQ (not from
admins), never show quiz scores, and list the overdue with working filters, sorts and pages."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select

from accounts.models import Deployment, User
from database import utcnow
from extensions import db
from quizzes.models import Attempt
from tests import factories
from tests import report_factories as rf
from tests.conftest import login_as
from tests.quiz_factories import choice_question, make_quiz
from training.models import Completion, ModuleVersion
from training.statuses import MASKABLE

STATUS_COLUMNS = {"cleared": 2, "due": 3, "overdue": 4, "expired": 5}  # in the headline and breakdown tables
HIDDEN = ("fewer than 5", "hidden")


@pytest.fixture
def scenario(app, mission_a, mission_b):
    return rf.build(mission_a, mission_b)


def _lead_of(mission, **overrides):
    user = factories.make_user(roles=[("mission_lead", mission)], name="Leila Lead", category="civilian", **overrides)
    db.session.commit()
    return user


def _page(client, mission, **params) -> str:
    response = client.get(f"/missions/{mission.id}/dashboard", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _percent(count: int, total: int) -> str:
    return f"{round(100 * count / total)}%"


def test_headline_and_breakdowns_equal_the_per_person_rule(client, scenario, admin):
    truth = rf.truth(scenario.mission, scenario.requirement)
    assert len(truth) == 18  # the scenario's people in the mission, nobody else
    expected = rf.status_counts(truth)
    assert expected == {"cleared": 8, "due": 3, "overdue": 6, "expired": 1}
    login_as(client, admin)
    html = _page(client, scenario.mission)

    assert "<strong>18</strong> people deployed now" in html
    headline = rf.table(html, "Readiness per required course")
    line = headline.row("Child Protection Basics")
    assert rf.number(line[1]) == len(truth)
    for status, column in STATUS_COLUMNS.items():
        assert line[column] == f"{expected[status]} ({_percent(expected[status], len(truth))})", status

    units = rf.table(html, "Child Protection Basics by unit")
    ids_in = {key: {u.id for u in db.session.scalars(select(User).join(Deployment).where(Deployment.unit_id == unit.id))}
              for key, unit in scenario.units.items()}
    for label, key in (("A-BATT-1", "battalion"), ("A-MED-2", "medical")):
        counts = rf.status_counts(truth, ids_in[key])
        row = units.row(label)
        assert rf.number(row[1]) == sum(counts.values())
        assert [rf.number(row[c]) for c in STATUS_COLUMNS.values()] == [counts[s] for s in STATUS_COLUMNS]
        assert row[6] == _percent(counts["cleared"], sum(counts.values()))
    assert [rf.number(c) for c in units.row("No unit")[1:6]] == [1, 0, 0, 1, 0]
    # Each status column of a breakdown adds up to the headline.
    for status, column in STATUS_COLUMNS.items():
        assert sum(rf.number(r[column]) for r in units.body()) == expected[status]

    categories = rf.table(html, "Child Protection Basics by category")
    for label, category in (("Military", "military"), ("Police", "police"), ("Civilian", "civilian")):
        ids = {p.id for p in scenario.people.values() if p.category == category}
        counts = rf.status_counts(truth, ids)
        assert [rf.number(c) for c in categories.row(label)[1:6]] == [sum(counts.values()),
                                                                        *[counts[s] for s in STATUS_COLUMNS]]


def test_people_not_deployed_there_now_never_appear(client, scenario, admin):
    login_as(client, admin)
    html = _page(client, scenario.mission)
    for user in scenario.absent.values():  # departed, moved to the other mission, deactivated, the other's own
        assert user.name not in html
        assert user.service_number not in html
    for status in ("overdue", "expired"):
        listed = rf.table(_page(client, scenario.mission, status=status), "Overdue and expired")
        assert not any(user.name in row[0] for row in listed.body() for user in scenario.absent.values())

    # The one who moved counts in the other mission now, with its own people only.
    other = _page(client, scenario.other)
    assert "<strong>3</strong> people deployed now" in other
    for name in ("Moved Elsewhere", "Bravo Outsider"):
        assert name in other
    for user in scenario.people.values():
        assert user.name not in other


def test_people_now_counts_those_no_requirement_applies_to(client, app, mission_a, mission_b, admin):
    scenario = rf.build(mission_a, mission_b)
    scenario.requirement.categories = "military,police"  # the civilian is deployed but not required
    db.session.commit()
    login_as(client, admin)
    html = _page(client, scenario.mission)
    assert "<strong>18</strong> people deployed now" in html
    assert rf.number(rf.table(html, "Readiness per required course").row("Child Protection Basics")[1]) == 17
    assert "Civil Overdue" not in html


def _hidden_cells(table) -> dict[tuple[int, str], str]:
    return {(index, status): row[column] for index, row in enumerate(table.body())
            for status, column in STATUS_COLUMNS.items() if row[column] in HIDDEN}


@pytest.mark.parametrize("viewer", ["lead", "hq"])
def test_small_cells_are_hidden_from_leads_and_hq(client, scenario, hq, viewer):
    login_as(client, _lead_of(scenario.mission) if viewer == "lead" else hq)
    html = _page(client, scenario.mission)
    units = rf.table(html, "Child Protection Basics by unit")
    battalion, medical = units.row("A-BATT-1"), units.row("A-MED-2")
    # Primary rule: cleared or due counts of 1 to 4 read "fewer than 5".
    assert battalion[STATUS_COLUMNS["due"]] == "fewer than 5"        # 2
    # Expired, like overdue, is never hidden: the "Overdue and expired" list names those people.
    assert battalion[STATUS_COLUMNS["expired"]] == "1"
    assert medical[STATUS_COLUMNS["cleared"]] == "fewer than 5"      # 2
    assert medical[STATUS_COLUMNS["due"]] == "fewer than 5"          # 1
    assert medical[6] == "–"  # its percentage goes with the hidden count
    # Counts of 5 or more, zero-free totals and every overdue count stay exact.
    # With expired shown, the battalion's 6 cleared would give its 2 due away (13 - 4 - 1 - 6): hidden.
    assert battalion[STATUS_COLUMNS["cleared"]] == "hidden" and battalion[6] == "–"
    assert [battalion[1], battalion[4], medical[1], medical[4]] == ["13", "4", "4", "1"]
    assert units.row("No unit")[STATUS_COLUMNS["overdue"]] == "1"
    # Secondary rule: no hidden count stands alone in a row (its total is shown) or in a column
    # (the headline shows the column's total), so subtraction reveals none of them.
    for table in (units, rf.table(html, "Child Protection Basics by category")):
        hidden = _hidden_cells(table)
        assert hidden
        for index in range(len(table.body())):
            assert sum(1 for s in MASKABLE if (index, s) in hidden) != 1, (table.caption, index)
        for status in MASKABLE:
            assert sum(1 for i in range(len(table.body())) if (i, status) in hidden) != 1, (table.caption, status)
        assert not any(status in ("overdue", "expired") for _i, status in hidden)
        for row in table.body():  # no small number is left anywhere in a breakdown's count cells
            for status in MASKABLE:
                cell = row[STATUS_COLUMNS[status]]
                assert cell in HIDDEN or cell == "0" or rf.number(cell) >= 5, (table.caption, row)
    # The headline (one row per course, the mission as a whole) is not a breakdown: exact.
    assert rf.table(html, "Readiness per required course").row("Child Protection")[STATUS_COLUMNS["expired"]] == "1 (6%)"


def test_admins_see_every_count(client, scenario, admin):
    login_as(client, admin)
    html = _page(client, scenario.mission)
    assert "fewer than 5" not in html
    assert not _hidden_cells(rf.table(html, "Child Protection Basics by unit"))
    assert rf.table(html, "Child Protection Basics by unit").row("A-MED-2")[1:7] == ["4", "2", "1", "1", "0", "50%"]


@pytest.mark.parametrize("mask_bits", [62, 1], ids=["bit-per-module", "course-too-long-for-bits"])
def test_module_completions_count_the_required_people_only(client, scenario, admin, monkeypatch, mask_bits):
    monkeypatch.setattr("reports.queries.MASK_BITS", mask_bits)
    module = scenario.course.modules[0]
    version = db.session.scalar(select(ModuleVersion).where(ModuleVersion.module_id == module.id))
    completed = [scenario.people["cleared1"], scenario.people["due1"], scenario.absent["departed"],
                 scenario.absent["outsider"]]
    for user in completed:
        db.session.add(Completion(user_id=user.id, module_id=module.id, module_version_id=version.id,
                                  completed_at=utcnow() - timedelta(days=1)))
    # A renewal completes the module again (cycle 1): still one person. The next module too.
    db.session.add(Completion(user_id=scenario.people["cleared1"].id, module_id=module.id, module_version_id=version.id,
                              completed_at=utcnow(), cycle=1))
    second = scenario.course.modules[1]
    second_version = db.session.scalar(select(ModuleVersion).where(ModuleVersion.module_id == second.id))
    db.session.add(Completion(user_id=scenario.people["cleared1"].id, module_id=second.id,
                              module_version_id=second_version.id, completed_at=utcnow()))
    db.session.commit()
    login_as(client, admin)
    modules = rf.table(_page(client, scenario.mission), "People who completed each module")
    assert modules.body()[0][1:] == ["2", _percent(2, 18)]
    assert modules.body()[1][1:] == ["1", _percent(1, 18)]
    assert all(row[1:] == ["0", "0%"] for row in modules.body()[2:])


def test_leads_never_see_quiz_scores(client, scenario):
    module = scenario.course.modules[0]
    choice_question(module, "q1")
    quiz = make_quiz(module)
    from quizzes.services import current_version

    version = current_version(quiz)
    module_version = db.session.scalar(select(ModuleVersion).where(ModuleVersion.module_id == module.id))
    for user in (scenario.people["overdue1"], scenario.people["due1"]):
        db.session.execute(insert(Attempt), [{
            "user_id": user.id, "quiz_id": quiz.id, "quiz_version_id": version.id, "module_version_id": module_version.id,
            "number": 1, "submitted_at": utcnow(), "points": 0.4137, "score": 41.37, "is_passed": False,
            "is_critical_failed": False, "drawn": [], "position": 0}])
    db.session.commit()
    login_as(client, _lead_of(scenario.mission))
    html = _page(client, scenario.mission)
    assert "Alpha Overdue One" in html  # the person with an attempt is listed...
    for shown in ("41.37", "41.4", "41%", "0.4137"):  # ...but never with their score
        assert shown not in html
    assert "score" not in html.lower()
    overdue = client.get(f"/missions/{scenario.mission.id}/dashboard/export?table=overdue&format=csv")
    assert "41.37" not in overdue.get_data(as_text=True) and "41.4" not in overdue.get_data(as_text=True)
    assert "score" not in overdue.get_data(as_text=True).lower()


# The overdue list

def _medium(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def _listed(html: str) -> list[str]:
    listed = rf.table(html, "Overdue and expired")
    return [row[0].split(" SN")[0] for row in listed.body()]


def test_overdue_list_names_unit_what_is_missing_and_since_when(client, scenario, admin):
    login_as(client, admin)
    html = _page(client, scenario.mission)
    people = scenario.people
    listed = rf.table(html, "Overdue and expired")
    # Longest overdue first: the expired certificate (about 70 days ago), then by due date.
    assert _listed(html) == ["Alpha Expired", "Alpha Overdue Two", "Alpha Revoked", "Alpha Overdue One",
                             "Alpha Overdue Three", "Civil Overdue", "Medic Overdue"]
    assert "6 people in this list" not in html and "7 people in this list." in html
    truth = rf.truth(scenario.mission, scenario.requirement)
    assert len(listed.body()) == sum(1 for s in truth.values() if s in ("overdue", "expired"))
    row = listed.row("Alpha Overdue Two")
    assert people["overdue2"].service_number in row[0] and "Military" in row[0]
    assert row[1] == "A-BATT-1"
    assert row[2].startswith("Child Protection Basics") and "0 of 2 modules done" in row[2]
    due_on = people["overdue2"].deployments[0].arrival_on + timedelta(days=rf.DUE_DAYS)
    assert row[3] == f"Overdue since {_medium(due_on)}"
    expired_on = db.session.scalar(select(rf.Certificate.expires_at).where(
        rf.Certificate.user_id == people["expired"].id)).date()
    assert listed.row("Alpha Expired")[3] == f"Expired since {_medium(expired_on)}"
    assert listed.row("Civil Overdue")[1] == "No unit"
    assert listed.row("Alpha Overdue Three")[5] == "Remind no e-mail: in the app only"  # reminded in the app


LIST_CASES = [
    ({"unit": "battalion"}, ["Alpha Expired", "Alpha Overdue Two", "Alpha Revoked", "Alpha Overdue One",
                             "Alpha Overdue Three"]),
    ({"unit": "0"}, ["Civil Overdue"]),
    ({"category": "police"}, ["Medic Overdue"]),
    ({"status": "expired"}, ["Alpha Expired"]),
    ({"status": "overdue", "unit": "battalion"}, ["Alpha Overdue Two", "Alpha Revoked", "Alpha Overdue One",
                                                  "Alpha Overdue Three"]),
    ({"q": "overdue t"}, ["Alpha Overdue Two", "Alpha Overdue Three"]),
    ({"q": "50%_"}, []),  # LIKE wildcards are searched for, not obeyed
    ({"sort": "name"}, ["Alpha Expired", "Alpha Overdue One", "Alpha Overdue Three", "Alpha Overdue Two",
                        "Alpha Revoked", "Civil Overdue", "Medic Overdue"]),
    ({"sort": "-name"}, ["Medic Overdue", "Civil Overdue", "Alpha Revoked", "Alpha Overdue Two",
                         "Alpha Overdue Three", "Alpha Overdue One", "Alpha Expired"]),
    ({"sort": "-since"}, ["Medic Overdue", "Alpha Overdue Three", "Civil Overdue", "Alpha Overdue One",
                          "Alpha Revoked", "Alpha Overdue Two", "Alpha Expired"]),
    ({"sort": "unit"}, ["Civil Overdue", "Alpha Expired", "Alpha Overdue One", "Alpha Overdue Three",
                        "Alpha Overdue Two", "Alpha Revoked", "Medic Overdue"]),  # "No unit" sorts first
    ({"sort": "-unit"}, ["Medic Overdue", "Alpha Expired", "Alpha Overdue One", "Alpha Overdue Three",
                         "Alpha Overdue Two", "Alpha Revoked", "Civil Overdue"]),
]


def test_overdue_list_filters_and_sorts(client, scenario, admin):
    login_as(client, admin)
    for params, names in LIST_CASES:  # one scenario for all the cases: building it is the slow part
        if params.get("unit") == "battalion":
            params = {**params, "unit": scenario.units["battalion"].id}
        html = _page(client, scenario.mission, **params)
        assert (_listed(html) if names else []) == names, params
        assert f"{len(names)} {'person' if len(names) == 1 else 'people'} in this list." in html, params


def test_search_finds_a_service_number(client, scenario, admin):
    login_as(client, admin)
    number = scenario.people["medic_overdue"].service_number
    assert _listed(_page(client, scenario.mission, q=number.lower())) == ["Medic Overdue"]


def test_overdue_list_pages(client, scenario, admin):
    rf.many_overdue(scenario, 55)
    login_as(client, admin)
    first = _page(client, scenario.mission, sort="name")
    assert "62 people in this list." in first and "Page 1 of 2" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = _page(client, scenario.mission, sort="name", page=2)
    assert "Page 2 of 2" in second and 'rel="prev"' in second and 'rel="next"' not in second
    page_one, page_two = _listed(first), _listed(second)
    assert len(page_one) == 50 and len(page_two) == 12
    assert page_one + page_two == sorted(page_one + page_two)  # in name order across the pages
    assert len(set(page_one + page_two)) == 62
    # The pager's links keep the filters.
    assert "sort=name" in first.split('rel="next"')[0].rsplit("<a ", 1)[1]
    # A page past the end shows the last page rather than nothing.
    assert _listed(_page(client, scenario.mission, sort="name", page=9)) == page_two
    # Filtered to the medical unit: one page, no pager.
    medical = _page(client, scenario.mission, unit=scenario.units["medical"].id)
    assert _listed(medical) == ["Medic Overdue"] and "Page 1 of" not in medical


def test_requirement_choice_changes_the_breakdowns(client, scenario, admin):
    from tests.training_factories import make_course, make_requirement

    second = make_course(title={"en": "Second Course"})
    make_requirement(second, kind="peacekeeping", categories="police", due_days=10)
    db.session.commit()
    login_as(client, admin)
    html = _page(client, scenario.mission)
    headline = rf.table(html, "Readiness per required course")
    assert [r[0].split(" due")[0] for r in headline.body()] == ["Child Protection Basics", "Second Course"]
    # The police (the medical unit): 1 arrived 5 days ago is due, the others are overdue.
    assert headline.row("Second Course")[1:6] == ["4", "0 (0%)", "1 (25%)", "3 (75%)", "0 (0%)"]
    requirement_id = db.session.scalar(select(rf.Requirement.id).where(rf.Requirement.course_id == second.id))
    chosen = _page(client, scenario.mission, requirement=requirement_id)
    assert rf.table(chosen, "Second Course by unit").row("A-MED-2")[1:6] == ["4", "0", "1", "3", "0"]
    # Cleared for the first course is not cleared for this one.
    assert _listed(chosen) == ["Medic Cleared 1", "Medic Cleared 2", "Medic Overdue"]


def test_a_mission_with_no_required_course_shows_its_people_and_says_so(client, scenario, admin):
    scenario.requirement.is_active = False
    db.session.commit()
    login_as(client, admin)
    html = _page(client, scenario.mission)
    assert "No course is required in this mission yet." in html
    assert re.search(r"<strong>18</strong>\s*people deployed now", html)
    for table in ("csv", "xlsx"):  # its exports answer too, with no rows to hide
        response = client.get(f"/missions/{scenario.mission.id}/dashboard/export?table=headline&format={table}")
        assert response.status_code == 200
    hq = client.get("/hq").get_data(as_text=True)
    assert "No course required" in rf.table(hq, "Peacekeeping missions").row(scenario.mission.code)[2]


def test_in_person_and_recognised_training_count_split_by_delivery_mode(client, scenario, admin):
    """Issue #18: certificates earned in person and recognised outside certificates count as cleared,
    the cleared cell says by what, and a requirement that takes in-person training only counts only
    that (and recognitions): the same as each person's own readiness (readiness.rule.requirements_for)."""
    from certificates.models import Certificate
    from readiness.rule import requirements_for
    from recognition.models import OutsideCertificate

    people = scenario.people
    for key in ("cleared1", "cleared2"):
        db.session.scalars(select(Certificate).where(Certificate.user_id == people[key].id)).one().delivery_mode = \
            "in_person"
    db.session.add(OutsideCertificate(user_id=people["overdue1"].id, requirement_id=scenario.requirement.id,
                                      issuer="UNITAR", course_name="Child protection", evidence_name="",
                                      completed_on=date.today() - timedelta(days=30),
                                      expires_at=utcnow() + timedelta(days=100)))
    db.session.commit()
    login_as(client, admin)

    def headline() -> list[str]:
        return rf.table(_page(client, scenario.mission), "Readiness per required course").row("Child Protection Basics")

    def own_readiness() -> dict[str, int]:
        counts = dict.fromkeys(STATUS_COLUMNS, 0)
        for user_id in rf.truth(scenario.mission, scenario.requirement):
            [(_requirement, readiness)] = requirements_for(db.session.get(User, user_id))
            counts[readiness.status] += 1
        return counts

    line = headline()
    assert line[2] == "9 (50%)of whom online 6 · in person 2 · recognised 1"
    assert {s: rf.number(line[c]) for s, c in STATUS_COLUMNS.items()} == own_readiness()
    # The split's own table, counted person by person by the rule.
    split = dict.fromkeys(("online", "in_person", "mixed", "recognised"), 0)
    for user_id in rf.truth(scenario.mission, scenario.requirement):
        [(_requirement, readiness)] = requirements_for(db.session.get(User, user_id))
        if readiness.status == "cleared":
            split[readiness.cleared_by] += 1
    delivery = rf.table(_page(client, scenario.mission), "Cleared, by how the training was given")
    assert delivery.rows[0] == ["Course", "Cleared", "Cleared online", "Cleared in person",
                                "Cleared online and in person", "Cleared (recognised)"]
    assert delivery.row("Child Protection Basics")[1:] == [str(n) for n in (9, *split.values())]
    assert split == {"online": 6, "in_person": 2, "mixed": 0, "recognised": 1}

    scenario.requirement.satisfied_by = "in_person"
    db.session.commit()
    line = headline()
    assert line[2] == "3 (17%)of whom in person 2 · recognised 1"
    assert {s: rf.number(line[c]) for s, c in STATUS_COLUMNS.items()} == own_readiness() == {
        "cleared": 3, "due": 3, "overdue": 12, "expired": 0}  # an expired online certificate counts as none now


def test_sessions_held_per_month_over_the_last_12_months(client, scenario, admin):
    """The sessions chart and its table: this month and the 11 before, months with none as 0;
    another mission's sessions, sessions planned for later and those older than 12 months are
    left out (counted here from the sessions made, not from the query)."""
    from tests.inperson_factories import make_course, make_session

    course = make_course(modules=1)
    today = date.today()
    month_start = today.replace(day=1)
    last_month = (month_start - timedelta(days=1)).replace(day=1)
    held = [today, today, last_month + timedelta(days=3)]
    for day in held:
        make_session(admin, scenario.mission, course=course, held_on=day)
    make_session(admin, scenario.mission, course=course, held_on=month_start - timedelta(days=400))  # too old
    make_session(admin, scenario.mission, course=course, held_on=today + timedelta(days=40))  # not held yet
    make_session(admin, scenario.other, course=course, held_on=today)  # another mission
    login_as(client, admin)
    html = _page(client, scenario.mission)
    table = rf.table(html, "In-person sessions held per month")
    assert len(table.body()) == 12
    counts = [rf.number(row[1]) for row in table.body()]
    assert counts[-1] == sum(1 for d in held if d >= month_start)
    assert counts[-2] == sum(1 for d in held if last_month <= d < month_start)
    assert sum(counts) == len(held)
    assert "In-person sessions held per month, last 12 months</title>" in html  # the chart
    csv = rf.read_csv(client.get(f"/missions/{scenario.mission.id}/dashboard/export?table=sessions&format=csv"))
    assert csv[0] == ["Month", "Sessions"]
    assert csv[-1] == [f"{month_start:%Y-%m}", str(counts[-1])] and len(csv) == 13


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_the_rows_a_dashboard_reads_are_its_own_whatever_the_last_transaction_did(app, scenario, end):
    """The temporary tables outlive a transaction on SQLite (reports.mission_rows): the rows another
    mission's dashboard left, committed (an export records itself) or rolled back (a failed or a
    read request), are never read by the next one on the same connection."""
    from reports import mission_rows
    from reports.dashboard import mission_dashboard

    mission_dashboard(scenario.other, requirement_id=None, reveal_small=True, lang="en")
    getattr(db.session, end)()
    board = mission_dashboard(scenario.mission, requirement_id=None, reveal_small=True, lang="en")
    for table in (mission_rows.PEOPLE, mission_rows.ROWS):
        assert db.session.scalars(select(table.c.mission_id).distinct()).all() == [scenario.mission.id]
    assert board.people_now == 18


def test_a_sqlite_dashboard_sends_no_ddl(client, scenario, admin, engine_name):
    """On SQLite each connection makes the temporary tables once, when it opens: a request only
    empties them (a CREATE on every request changed the schema, and SQLite prepared each statement
    again). PostgreSQL makes them for each request, in one DROP and two CREATEs."""
    from sqlalchemy import event

    login_as(client, admin)
    statements = []

    def keep(_conn, _cursor, statement, *_args):
        statements.append(statement.strip().split()[0].upper())

    db.session.commit()
    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        _page(client, scenario.mission)
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    ddl = [verb for verb in statements if verb in ("CREATE", "DROP")]
    assert ddl == ([] if engine_name == "sqlite" else ["DROP", "CREATE", "CREATE"])
    assert statements.count("DELETE") == (2 if engine_name == "sqlite" else 0)


def test_a_dashboards_data_goes_when_its_request_ends(client, scenario, admin):
    """No reference cycle keeps a page's board, lists and tables alive after the request (a macro
    defined in the page, or bound methods held by ScreenCells, did: each dashboard's data then
    waited for the garbage collector, whose passes cost about 4% of the page's CPU)."""
    import gc

    from reports.dashboard import MissionDashboard
    from reports.screen import ScreenCells

    login_as(client, admin)
    _page(client, scenario.mission)
    gc.collect()
    gc.disable()
    try:
        _page(client, scenario.mission)
        left = [type(o).__name__ for o in gc.get_objects() if isinstance(o, MissionDashboard | ScreenCells)]
    finally:
        gc.enable()
    assert left == []
