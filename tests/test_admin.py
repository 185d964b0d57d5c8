"""Admin screens: missions, units, people, deployments, roles, accounts; who may reach them."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from accounts.models import Deployment, Mission, RoleGrant, SignInSession, Unit, User
from audit.models import AuditEvent
from extensions import db
from tests import factories
from tests.conftest import login_as


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _events(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


@pytest.fixture
def admin_client(client, admin):
    login_as(client, admin)
    return client


# --- who may reach the admin screens ---------------------------------------------------------

ROUTES = [
    ("GET", "admin.missions", "/admin/missions"),
    ("GET", "admin.mission_new", "/admin/missions/new"),
    ("POST", "admin.mission_new", "/admin/missions/new"),
    ("GET", "admin.mission", "/admin/missions/{mission}"),
    ("GET", "admin.mission_edit", "/admin/missions/{mission}/edit"),
    ("POST", "admin.mission_edit", "/admin/missions/{mission}/edit"),
    ("GET", "admin.unit_new", "/admin/missions/{mission}/units/new"),
    ("POST", "admin.unit_new", "/admin/missions/{mission}/units/new"),
    ("GET", "admin.unit_edit", "/admin/missions/{mission}/units/{unit}/edit"),
    ("POST", "admin.unit_edit", "/admin/missions/{mission}/units/{unit}/edit"),
    ("GET", "admin.people", "/admin/people"),
    ("GET", "admin.person_new", "/admin/people/new"),
    ("POST", "admin.person_new", "/admin/people/new"),
    ("GET", "admin.person", "/admin/people/{person}"),
    ("POST", "admin.person", "/admin/people/{person}"),
    ("POST", "admin.person_move", "/admin/people/{person}/move"),
    ("POST", "admin.role_add", "/admin/people/{person}/roles"),
    ("POST", "admin.role_remove", "/admin/people/{person}/roles/{grant}/remove"),
    ("POST", "admin.person_deactivate", "/admin/people/{person}/deactivate"),
    ("POST", "admin.person_reactivate", "/admin/people/{person}/reactivate"),
    ("POST", "admin.person_password", "/admin/people/{person}/password"),
    ("GET", "admin.roster_import", "/admin/roster"),
    ("POST", "admin.roster_import", "/admin/roster"),
    ("POST", "admin.roster_apply", "/admin/roster/apply"),
]


def test_the_route_list_covers_every_admin_endpoint(app):
    registered = {(method, rule.endpoint) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")
                  for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert registered == {(method, endpoint) for method, endpoint, _ in ROUTES}


@pytest.fixture
def route_ids(mission_a, lead):
    person = factories.make_user(mission=mission_a, roles=["trainer"], name="Target Person")
    db.session.commit()
    return {"mission": mission_a.id, "unit": mission_a.units[0].id, "person": person.id,
            "grant": person.role_grants[0].id}


def _state() -> tuple[int, ...]:
    return (_count(User), _count(Deployment), _count(RoleGrant), _count(Mission), _count(Unit),
            _count(User, User.is_active.is_(False)))


@pytest.mark.parametrize("role", ["learner", "trainer", "lead", "hq"])
def test_every_admin_route_is_forbidden_to_other_roles(request, client, route_ids, role):
    login_as(client, request.getfixturevalue(role))
    before = _state()
    for method, _endpoint, path in ROUTES:
        response = client.open(path.format(**route_ids), method=method,
                               data={"person-name": "Hacked", "role-role": "admin", "move-mission_id": "1"})
        assert response.status_code == 403, (method, path)
    assert _state() == before
    assert _count(User, User.name == "Hacked") == 0


def test_every_admin_route_sends_anonymous_to_sign_in(client, route_ids):
    before = _state()
    for method, _endpoint, path in ROUTES:
        response = client.open(path.format(**route_ids), method=method)
        assert response.status_code == 302, (method, path)
        assert "/sign-in?next=" in response.headers["Location"]
    assert _state() == before


def test_posts_without_csrf_token_change_nothing(make_app, admin, learner):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/sign-in", data={"identifier": admin.service_number, "password": factories.PASSWORD,
                                  "csrf_token": token})
    assert client.post(f"/admin/people/{learner.id}/deactivate").status_code == 400
    assert client.post("/admin/missions/new", data={"code": "NEWM", "name": "N", "kind": "political",
                                                    "country": "X", "languages": "en"}).status_code == 400
    with app.app_context():
        assert db.session.get(User, learner.id).is_active is True
        assert db.session.scalar(select(Mission).filter_by(code="NEWM")) is None
    # The page's own token works.
    person_page = client.get(f"/admin/people/{learner.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', person_page).group(1)
    assert client.post(f"/admin/people/{learner.id}/deactivate",
                       data={"csrf_token": token, "confirm": "y"}).status_code == 302
    # Forms with a prefix carry their own token field.
    move_token = re.search(r'name="move-csrf_token" type="hidden" value="([^"]+)"', person_page).group(1)
    moved = client.post(f"/admin/people/{learner.id}/move", data={
        "move-csrf_token": move_token, "move-mission_id": learner.deployments[0].mission_id, "move-unit_id": 0,
        "move-arrival_on": date.today().isoformat()})
    assert moved.status_code == 302
    with app.app_context():
        assert db.session.get(User, learner.id).is_active is False
        assert len(db.session.get(User, learner.id).deployments) == 2


# --- missions and units ----------------------------------------------------------------------

def test_missions_list_shows_people_deployed_now(admin_client, mission_a, mission_b, learner, lead):
    gone = factories.make_user(mission=mission_b, arrival_on=date(2020, 1, 1))
    gone.deployments[0].departure_on = date(2020, 6, 1)  # left long ago: not counted
    db.session.commit()
    response = admin_client.get("/admin/missions")
    assert response.status_code == 200
    rows = {m.group(1): m.group(2) for m in re.finditer(
        r'>(MISS[AB])</a></th>\s*<td>.*?</td><td>.*?</td><td>.*?</td>\s*<td>.*?</td><td>(\d+)</td>',
        response.get_data(as_text=True), re.S)}
    assert rows == {"MISSA": "2", "MISSB": "0"}


def test_create_and_edit_a_mission(admin_client, admin):
    response = admin_client.post("/admin/missions/new", data={
        "code": " unmiss ", "name": "UN Mission in South Sudan", "kind": "peacekeeping", "country": "South Sudan",
        "languages": "EN, ar, en"})
    mission = db.session.scalar(select(Mission).filter_by(code="UNMISS"))
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/missions/{mission.id}"
    assert mission.languages == "en,ar"
    assert _events("mission_created")[0].actor_id == admin.id
    response = admin_client.post(f"/admin/missions/{mission.id}/edit", data={
        "code": "UNMISS", "name": "UNMISS renamed", "kind": "peacekeeping", "country": "South Sudan",
        "languages": "en,ar"})
    assert response.status_code == 302
    db.session.refresh(mission)
    assert mission.name == "UNMISS renamed"
    assert _events("mission_updated")[0].details["fields"] == ["name"]


def test_bad_mission_input_changes_nothing(admin_client, mission_a, mission_b):
    db.session.commit()
    before = _count(Mission), _count(AuditEvent)
    duplicate = admin_client.post("/admin/missions/new", data={"code": "missa", "name": "Copy", "kind": "political",
                                                                "country": "X", "languages": "en"})
    assert duplicate.status_code == 200 and b"Another mission already uses this code." in duplicate.data
    languages = admin_client.post(f"/admin/missions/{mission_b.id}/edit", data={
        "code": "MISSB", "name": "Mission B", "kind": "political", "country": "Testland", "languages": "en,de"})
    assert languages.status_code == 200 and b"Use language codes from" in languages.data
    taken = admin_client.post(f"/admin/missions/{mission_b.id}/edit", data={
        "code": "MISSA", "name": "Mission B", "kind": "political", "country": "Testland", "languages": "en"})
    assert taken.status_code == 200
    assert (_count(Mission), _count(AuditEvent)) == before
    db.session.refresh(mission_b)
    assert (mission_b.code, mission_b.languages) == ("MISSB", "en,fr")


def test_add_and_edit_units(admin_client, mission_a, mission_b):
    db.session.commit()
    response = admin_client.post(f"/admin/missions/{mission_a.id}/units/new", data={"code": "fpu-sen-1", "name": "FPU"})
    assert response.status_code == 302
    unit = db.session.scalar(select(Unit).filter_by(code="FPU-SEN-1"))
    assert unit.mission_id == mission_a.id and _events("unit_created")[0].details["mission"] == "MISSA"
    duplicate = admin_client.post(f"/admin/missions/{mission_a.id}/units/new", data={"code": "A-BATT-1", "name": "x"})
    assert duplicate.status_code == 200 and b"already has a unit with this code" in duplicate.data
    # The same code in another mission is fine.
    assert admin_client.post(f"/admin/missions/{mission_b.id}/units/new",
                             data={"code": "A-BATT-1", "name": "x"}).status_code == 302
    response = admin_client.post(f"/admin/missions/{mission_a.id}/units/{unit.id}/edit",
                                 data={"code": "FPU-SEN-1", "name": "Formed Police Unit Senegal"})
    assert response.status_code == 302
    db.session.refresh(unit)
    assert unit.name == "Formed Police Unit Senegal" and len(_events("unit_updated")) == 1
    page = admin_client.get(f"/admin/missions/{mission_a.id}")
    assert page.status_code == 200 and b"Formed Police Unit Senegal" in page.data


def test_a_unit_is_only_reached_through_its_own_mission(admin_client, mission_a, mission_b):
    other_unit = mission_b.units[0]
    db.session.commit()
    response = admin_client.post(f"/admin/missions/{mission_a.id}/units/{other_unit.id}/edit",
                                 data={"code": "STOLEN", "name": "x"})
    assert response.status_code == 404
    db.session.refresh(other_unit)
    assert other_unit.code == "B-TEAM-1"
    assert admin_client.get("/admin/missions/99999").status_code == 404


def test_unit_and_person_names_are_escaped(admin_client, mission_a):
    factories.make_unit(mission_a, code="XSS-1", name="<script>alert(1)</script>")
    person = factories.make_user(mission=mission_a, name="<script>alert(2)</script>")
    db.session.commit()
    for path in (f"/admin/missions/{mission_a.id}", "/admin/people", f"/admin/people/{person.id}"):
        body = admin_client.get(path).get_data(as_text=True)
        assert "<script>alert" not in body, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in admin_client.get(f"/admin/missions/{mission_a.id}").get_data(as_text=True)


# --- people list -----------------------------------------------------------------------------

def test_people_search_and_filters(admin_client, mission_a, mission_b, learner):
    factories.make_user(mission=mission_b, unit=mission_b.units[0], name="Pia Police", category="police",
                        email="pia.police@example.org", service_number="POL-777")
    moved = factories.make_user(mission=mission_b, name="Moe Moved", arrival_on=date(2020, 1, 1))
    moved.deployments[0].departure_on = date(2020, 12, 31)
    db.session.add(Deployment(user=moved, mission=mission_a, unit=mission_a.units[0], arrival_on=date(2021, 1, 1)))
    db.session.commit()

    def names(**query) -> set[str]:
        response = admin_client.get("/admin/people", query_string=query)
        assert response.status_code == 200
        return set(re.findall(r'<th scope="row"><a href="/admin/people/\d+">([^<]+)</a>', response.get_data(as_text=True)))

    assert names(q="pia") == {"Pia Police"}
    assert names(q="pol-777") == {"Pia Police"}
    assert names(q="PIA.POLICE@") == {"Pia Police"}
    assert names(q="%") == set()  # a wildcard is searched for, not obeyed
    assert names(mission=mission_b.id) == {"Pia Police"}  # Moe left mission B: filters use the current deployment
    assert names(mission=mission_a.id) == {"Lena Learner", "Moe Moved"}
    assert names(unit=mission_a.units[0].id) == {"Lena Learner", "Moe Moved"}
    assert names(category="police") == {"Pia Police"}
    assert names(category="police", mission=mission_a.id) == set()
    assert "Ada Admin" in names(mission="not-a-number")  # a bad filter is ignored, not an error


def test_people_list_pages_by_fifty_and_keeps_filters(admin_client, mission_a):
    for n in range(55):
        factories.make_user(mission=mission_a, name=f"Soldier {n:02d}", category="military")
    factories.make_user(name="Civilian Elsewhere", category="civilian")
    db.session.commit()
    first = admin_client.get("/admin/people", query_string={"mission": mission_a.id, "category": "military", "q": "soldier"})
    body = first.get_data(as_text=True)
    assert first.status_code == 200 and body.count('<th scope="row"><a href="/admin/people/') == 50
    assert "55 people" in body
    next_link = re.search(r'<a href="([^"]+)" rel="next">', body).group(1).replace("&amp;", "&")
    for part in ("page=2", f"mission={mission_a.id}", "category=military", "q=soldier"):
        assert part in next_link
    second = admin_client.get(next_link).get_data(as_text=True)
    assert second.count('<th scope="row"><a href="/admin/people/') == 5
    assert "Civilian Elsewhere" not in second


def test_people_list_shows_mission_roles_and_status(admin_client, mission_a, lead, learner):
    learner.is_active = False
    db.session.commit()
    body = admin_client.get("/admin/people").get_data(as_text=True)
    lead_row = body[body.index("Lea Lead"):].split("</tr>")[0]
    assert "MISSA / " in lead_row and "Mission lead (MISSA)" in lead_row and "Active" in lead_row
    learner_row = body[body.index("Lena Learner"):].split("</tr>")[0]
    assert "MISSA / A-BATT-1" in learner_row and "Inactive" in learner_row and "Learner" in learner_row


# --- one person ------------------------------------------------------------------------------

PERSON = {"service_number": "pk-1234 ", "name": " Amina Diallo", "email": "Amina@Example.org", "category": "military",
          "rank": "Capt", "preferred_language": "fr"}


def test_create_a_person(admin_client, admin):
    response = admin_client.post("/admin/people/new", data=PERSON)
    person = db.session.scalar(select(User).filter_by(service_number="PK-1234"))
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/people/{person.id}"
    assert (person.name, person.email, person.preferred_language) == ("Amina Diallo", "amina@example.org", "fr")
    assert person.password_hash is None  # cannot sign in until an admin sets a temporary password
    assert _events("person_created")[0].target == f"user:{person.id}"


def test_duplicate_service_number_or_email_is_refused(admin_client, learner):
    before = _count(User), _count(AuditEvent)
    same_number = admin_client.post("/admin/people/new", data={**PERSON, "service_number": learner.service_number.lower()})
    assert same_number.status_code == 200 and b"Another person already has this service number." in same_number.data
    same_email = admin_client.post("/admin/people/new", data={**PERSON, "email": learner.email.upper()})
    assert same_email.status_code == 200 and b"Another person already uses this email address." in same_email.data
    other = factories.make_user(name="Other")
    db.session.commit()
    edit = admin_client.post(f"/admin/people/{other.id}", data={
        "person-service_number": other.service_number, "person-name": "Other", "person-email": learner.email,
        "person-category": "military", "person-rank": "", "person-preferred_language": "en"})
    assert edit.status_code == 200 and b"Another person already uses this email address." in edit.data
    db.session.refresh(other)
    assert other.email != learner.email
    assert (_count(User), _count(AuditEvent)) == (before[0] + 1, before[1])


def test_edit_a_person(admin_client, learner):
    response = admin_client.post(f"/admin/people/{learner.id}", data={
        "person-service_number": learner.service_number, "person-name": "Lena Renamed", "person-email": "",
        "person-category": "police", "person-rank": "Inspector", "person-preferred_language": "ar"})
    assert response.status_code == 302
    db.session.refresh(learner)
    assert (learner.name, learner.email, learner.category, learner.rank) == ("Lena Renamed", None, "police", "Inspector")
    assert sorted(_events("person_updated")[0].details["fields"]) == ["category", "email", "name", "preferred_language", "rank"]


def test_person_page_shows_history_newest_first(admin_client, mission_a, mission_b, learner):
    learner.deployments[0].departure_on = date.today() - timedelta(days=1)
    db.session.add(Deployment(user=learner, mission=mission_b, unit=mission_b.units[0], arrival_on=date.today()))
    db.session.commit()
    body = admin_client.get(f"/admin/people/{learner.id}").get_data(as_text=True)
    history = body[body.index("Deployments, newest first"):body.index('id="move"')]
    assert history.index("MISSB") < history.index("MISSA")
    assert "Current" in history and "Ended" in history


def test_move_keeps_history(admin_client, admin, mission_a, mission_b, learner):
    arrival = date.today() + timedelta(days=3)
    response = admin_client.post(f"/admin/people/{learner.id}/move", data={
        "move-mission_id": mission_b.id, "move-unit_id": mission_b.units[0].id, "move-arrival_on": arrival.isoformat()})
    assert response.status_code == 302
    deployments = db.session.scalars(select(Deployment).where(Deployment.user_id == learner.id)
                                     .order_by(Deployment.arrival_on)).all()
    assert [(d.mission_id, d.departure_on) for d in deployments] == [
        (mission_a.id, arrival - timedelta(days=1)), (mission_b.id, None)]
    event = _events("deployed")[0]
    assert event.actor_id == admin.id and event.details["mission"] == "MISSB"


def test_bad_moves_change_nothing(admin_client, mission_a, mission_b, learner):
    db.session.commit()
    before = _count(Deployment), _count(AuditEvent)
    wrong_unit = admin_client.post(f"/admin/people/{learner.id}/move", data={
        "move-mission_id": mission_a.id, "move-unit_id": mission_b.units[0].id, "move-arrival_on": date.today().isoformat()})
    assert wrong_unit.status_code == 200 and b"That unit belongs to another mission." in wrong_unit.data
    too_early = admin_client.post(f"/admin/people/{learner.id}/move", data={
        "move-mission_id": mission_b.id, "move-unit_id": 0, "move-arrival_on": "2000-01-01"})
    assert too_early.status_code == 200 and b"must be after the current deployment" in too_early.data
    no_mission = admin_client.post(f"/admin/people/{learner.id}/move", data={
        "move-mission_id": 0, "move-unit_id": 0, "move-arrival_on": date.today().isoformat()})
    assert no_mission.status_code == 200 and b"Choose a mission." in no_mission.data
    assert (_count(Deployment), _count(AuditEvent)) == before
    assert db.session.scalar(select(Deployment.departure_on).where(Deployment.user_id == learner.id)) is None


def test_grant_and_remove_roles(admin_client, admin, mission_a, learner):
    response = admin_client.post(f"/admin/people/{learner.id}/roles",
                                 data={"role-role": "mission_lead", "role-mission_id": mission_a.id})
    assert response.status_code == 302
    grant = db.session.scalar(select(RoleGrant).filter_by(user_id=learner.id))
    assert (grant.role, grant.mission_id, grant.granted_by_id) == ("mission_lead", mission_a.id, admin.id)
    again = admin_client.post(f"/admin/people/{learner.id}/roles",
                              data={"role-role": "mission_lead", "role-mission_id": mission_a.id})
    assert again.status_code == 302 and _count(RoleGrant, RoleGrant.user_id == learner.id) == 1
    no_scope = admin_client.post(f"/admin/people/{learner.id}/roles", data={"role-role": "mission_lead", "role-mission_id": 0})
    assert no_scope.status_code == 200 and b"Choose the mission this person leads." in no_scope.data
    scoped_hq = admin_client.post(f"/admin/people/{learner.id}/roles", data={"role-role": "hq", "role-mission_id": mission_a.id})
    assert scoped_hq.status_code == 200 and b"Only mission leads and mission trainers are given a mission" in scoped_hq.data
    assert _count(RoleGrant, RoleGrant.user_id == learner.id) == 1
    assert admin_client.post(f"/admin/people/{learner.id}/roles/{grant.id}/remove").status_code == 302
    assert _count(RoleGrant, RoleGrant.user_id == learner.id) == 0
    assert [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("role_%")))] == [
        "role_granted", "role_revoked"]


def test_a_grant_is_removed_only_through_its_own_person(admin_client, learner, trainer):
    grant_id = trainer.role_grants[0].id
    assert admin_client.post(f"/admin/people/{learner.id}/roles/{grant_id}/remove").status_code == 404
    assert db.session.get(RoleGrant, grant_id) is not None


def test_admin_cannot_remove_own_admin_role_or_deactivate_self(admin_client, admin):
    grant_id = admin.role_grants[0].id
    response = admin_client.post(f"/admin/people/{admin.id}/roles/{grant_id}/remove", follow_redirects=True)
    assert b"You cannot remove your own admin role." in response.data
    response = admin_client.post(f"/admin/people/{admin.id}/deactivate", data={"confirm": "y"}, follow_redirects=True)
    assert b"You cannot deactivate your own account." in response.data
    assert db.session.get(RoleGrant, grant_id) is not None
    assert db.session.get(User, admin.id).is_active is True


def test_deactivate_ends_sessions_and_reactivate(app, admin_client, admin, learner):
    learner_client = app.test_client()
    login_as(learner_client, learner, remember=True)
    assert learner_client.get("/account/password").status_code == 200
    response = admin_client.post(f"/admin/people/{learner.id}/deactivate", data={"confirm": "y"})
    assert response.status_code == 302
    db.session.refresh(learner)
    assert learner.is_active is False and learner.deactivated_at is not None
    assert _count(SignInSession, SignInSession.user_id == learner.id, SignInSession.ended_at.is_(None)) == 0
    assert learner_client.get("/account/password").status_code == 302
    assert _events("user_deactivated")[0].actor_id == admin.id
    assert admin_client.post(f"/admin/people/{learner.id}/reactivate").status_code == 302
    db.session.refresh(learner)
    assert learner.is_active is True and learner.deactivated_at is None
    login_as(learner_client, learner)


def test_temporary_password_must_be_changed(app, admin_client, learner):
    learner_client = app.test_client()
    login_as(learner_client, learner)
    weak = admin_client.post(f"/admin/people/{learner.id}/password", data={"password-new": "short"})
    assert weak.status_code == 200 and b"at least 10 characters" in weak.data
    response = admin_client.post(f"/admin/people/{learner.id}/password", data={"password-new": "temporary pass 42"})
    assert response.status_code == 302
    db.session.refresh(learner)
    assert learner.must_change_password is True
    assert learner_client.get("/account/password").status_code == 302  # the old session has ended
    signed_in = learner_client.post("/sign-in", data={"identifier": learner.service_number, "password": "temporary pass 42"})
    assert signed_in.headers["Location"] == "/account/password"
    event = _events("password_set")[0]
    assert event.details == {"must_change": True}


def test_admin_sets_own_password_only_on_the_password_page(admin_client, admin):
    before = admin.password_hash
    response = admin_client.post(f"/admin/people/{admin.id}/password", data={"password-new": "temporary pass 42"})
    assert response.status_code == 302
    db.session.refresh(admin)
    assert admin.password_hash == before and admin.must_change_password is False


def test_missing_person_is_404(admin_client):
    assert admin_client.get("/admin/people/424242").status_code == 404
    assert admin_client.post("/admin/people/424242/deactivate").status_code == 404
