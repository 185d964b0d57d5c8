"""The top bar by role, the lead's dashboard chooser, the public "Verify a certificate" links and
stored values shown through translated labels."""

from __future__ import annotations

import re

import pytest

from accounts.models import RoleGrant
from core.labels import label, mission_name
from extensions import db
from tests import factories
from tests.conftest import login_as


def _nav_links(html: str) -> list[str]:
    nav = html[html.index('<nav aria-label="Main">'):html.index("</nav>")]
    return [re.sub(r"<[^>]+>", "", text).strip() for text in re.findall(r"<a [^>]*>(.*?)</a>", nav)]


@pytest.mark.parametrize(("who", "expected"), [
    ("learner", ["My training", "My certificates", "My profile"]),
    ("trainer", ["My training", "My certificates", "Authoring", "Sessions", "My profile"]),
    ("lead", ["My training", "My certificates", "Dashboard", "Sessions", "Required training", "My profile"]),
    ("hq", ["My training", "My certificates", "All missions", "Sessions", "Required training", "Audit log",
            "My profile"]),
    ("admin", ["My training", "My certificates", "All missions", "Authoring", "Sessions", "Required training",
               "Admin", "Audit log", "My profile"]),
])
def test_top_bar_offers_each_role_its_places(request, client, who, expected):
    user = request.getfixturevalue(who)
    login_as(client, user)
    assert _nav_links(client.get("/").get_data(as_text=True)) == expected


def test_lead_dashboard_link_goes_to_their_mission_or_a_chooser(client, lead, mission_a, mission_b):
    login_as(client, lead)
    html = client.get("/").get_data(as_text=True)
    assert f'href="/missions/{mission_a.id}/dashboard">Dashboard</a>' in html
    response = client.get("/dashboards")
    assert response.status_code == 302 and response.headers["Location"] == f"/missions/{mission_a.id}/dashboard"
    db.session.add(RoleGrant(user_id=lead.id, role="mission_lead", mission_id=mission_b.id))
    db.session.commit()
    assert 'href="/dashboards">Dashboard</a>' in client.get("/").get_data(as_text=True)
    chooser = client.get("/dashboards")
    page = chooser.get_data(as_text=True)
    assert chooser.status_code == 200
    assert f"/missions/{mission_a.id}/dashboard" in page and f"/missions/{mission_b.id}/dashboard" in page


def test_current_place_is_marked_in_the_top_bar(client, learner):
    login_as(client, learner)
    html = client.get("/certificates").get_data(as_text=True)
    assert '<a href="/certificates" aria-current="page">My certificates</a>' in html


@pytest.mark.parametrize("path", ["/", "/sign-in", "/verify"])
def test_public_pages_link_to_verify_a_certificate(client, path):
    html = client.get(path).get_data(as_text=True)
    assert 'href="/verify">Verify a certificate</a>' in html


def test_labels_translate_stored_values_and_show_unknown_ones_as_stored(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert label("category", "police") == "Police"
        assert label("review_when", "after_each") == "Après chaque tentative"
        assert label("kind", "peacekeeping") == "Maintien de la paix"
        assert label("kind", "something-new") == "something-new"
        assert label("category", None) == ""


def test_mission_names_use_the_official_translation_unless_renamed(app):
    monusco = factories.make_mission(code="MONUSCO", name="UN Organization Stabilization Mission in the DR Congo")
    renamed = factories.make_mission(code="UNMISS", name="South Sudan (local name)")
    with app.test_request_context():
        assert mission_name(monusco, "fr").startswith("Mission de l’Organisation des Nations Unies")
        assert mission_name(monusco, "ar").startswith("بعثة منظمة الأمم المتحدة")
        assert mission_name(monusco, "en") == monusco.name
        assert mission_name(renamed, "fr") == "South Sudan (local name)"


def test_admin_pages_show_kind_and_category_labels_in_french(client, admin, mission_a, learner):
    login_as(client, admin)
    client.post("/language", data={"lang": "fr", "next": "/"})
    missions = client.get("/admin/missions").get_data(as_text=True)
    assert "<td>Maintien de la paix</td>" in missions and "<td>peacekeeping</td>" not in missions
    people = client.get("/admin/people").get_data(as_text=True)
    assert "<td>Militaire</td>" in people and "<td>military</td>" not in people
