"""Admin: "Add a person" with their mission, unit and arrival date; deactivation only after a tick."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from accounts.models import Deployment, User
from audit.models import AuditEvent
from extensions import db
from tests.conftest import login_as

PERSON = {"service_number": "PK-7001", "name": "Grace Mensah", "email": "", "category": "police", "rank": "Inspector",
          "preferred_language": "en"}


@pytest.fixture
def admin_client(client, admin):
    login_as(client, admin)
    return client


def _counts() -> tuple[int, int, int]:
    return (db.session.scalar(select(func.count(User.id))), db.session.scalar(select(func.count(Deployment.id))),
            db.session.scalar(select(func.count(AuditEvent.id))))


def test_add_a_person_with_mission_unit_and_arrival(admin_client, mission_a):
    unit = mission_a.units[0]
    page = admin_client.get("/admin/people/new").get_data(as_text=True)
    assert 'name="mission_id"' in page and 'name="unit_id"' in page and 'name="arrival_on"' in page
    response = admin_client.post("/admin/people/new", data={**PERSON, "mission_id": mission_a.id, "unit_id": unit.id,
                                                            "arrival_on": "2026-11-02"})
    person = db.session.scalar(select(User).filter_by(service_number="PK-7001"))
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/people/{person.id}"
    [deployment] = person.deployments
    assert (deployment.mission_id, deployment.unit_id, deployment.arrival_on) == (mission_a.id, unit.id,
                                                                                 date(2026, 11, 2))
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["person_created", "deployed"]
    page = admin_client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert "added to MISSA" in page and "Move to another mission or unit" in page


def test_add_a_person_without_a_deployment_offers_deploy_not_move(admin_client):
    response = admin_client.post("/admin/people/new", data=PERSON)
    person = db.session.scalar(select(User).filter_by(service_number="PK-7001"))
    assert response.status_code == 302 and person.deployments == []
    page = admin_client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert "Deploy to a mission" in page and ">Deploy</button>" in page


@pytest.mark.parametrize(("extra", "message"), [
    ({"mission": True, "arrival_on": ""}, "Give the arrival date in the mission."),
    ({"unit": True}, "Choose the unit’s mission too."),
    ({"mission": True, "other_unit": True, "arrival_on": "2026-11-02"}, "That unit belongs to another mission."),
])
def test_add_a_person_with_a_bad_deployment_adds_nobody(admin_client, mission_a, mission_b, extra, message):
    data = {**PERSON, "arrival_on": extra.get("arrival_on", "")}
    if extra.get("mission"):
        data["mission_id"] = mission_a.id
    if extra.get("unit"):
        data["unit_id"] = mission_a.units[0].id
    if extra.get("other_unit"):
        data["unit_id"] = mission_b.units[0].id
    before = _counts()
    response = admin_client.post("/admin/people/new", data=data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert _counts() == before


def test_deactivation_needs_the_confirmation_tick(admin_client, learner):
    page = admin_client.get(f"/admin/people/{learner.id}").get_data(as_text=True)
    assert 'name="confirm"' in page
    refused = admin_client.post(f"/admin/people/{learner.id}/deactivate", data={})
    assert refused.status_code == 400 and "Tick the box to confirm the deactivation." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, learner.id).is_active is True
    done = admin_client.post(f"/admin/people/{learner.id}/deactivate", data={"confirm": "y"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, learner.id).is_active is False
