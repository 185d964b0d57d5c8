"""Setting required training: leads for their own missions, admins for any mission and kind-wide; all audited."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from audit.models import AuditEvent
from demo.cli import SEED_STEPS
from demo.course import seed_requirements
from extensions import db
from tests import training_factories as tf
from training.models import Requirement

EVERYONE = ["military", "police", "civilian"]


@pytest.fixture
def course(app, trainer):
    course = tf.make_course(owner=trainer, title={"en": "Protecting children"})
    tf.make_module(course)
    db.session.commit()
    return course


def _count() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count(Requirement.id)))


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_lead_requires_a_course_in_their_mission(client, login, lead, learner, course, mission_a):
    login(client, lead)

    response = client.post(f"/missions/{mission_a.id}/requirements",
                           data={"course_id": course.id, "categories": ["military", "police"], "due_days": "-7"})

    assert response.status_code == 302
    requirement = db.session.scalar(select(Requirement))
    assert (requirement.mission_id, requirement.mission_kind, requirement.categories, requirement.due_days) == (
        mission_a.id, None, "military,police", -7)
    [event] = _events("requirement_added")
    assert event.actor_id == lead.id and event.details["scope"] == f"mission:{mission_a.id}"
    page = client.get(f"/missions/{mission_a.id}/requirements").get_data(as_text=True)
    assert "Protecting children" in page and "7 days before arrival" in page and "Military, Police" in page

    reader = client.application.test_client()
    login(reader, learner)
    required = reader.get("/training").get_data(as_text=True).split("Other courses")[0]
    assert "Protecting children" in required and "Overdue since" in required  # arrived 30 days ago


def test_a_lead_cannot_touch_another_mission(client, login, lead, course, mission_b):
    other = tf.make_requirement(course, mission=mission_b)
    db.session.commit()
    login(client, lead)

    assert client.get(f"/missions/{mission_b.id}/requirements").status_code == 403
    assert client.post(f"/missions/{mission_b.id}/requirements",
                       data={"course_id": course.id, "categories": EVERYONE, "due_days": "5"}).status_code == 403
    assert client.get(f"/training/requirements/{other.id}").status_code == 403
    assert client.post(f"/training/requirements/{other.id}", data={"categories": "police", "due_days": "1"}).status_code == 403
    assert client.post(f"/training/requirements/{other.id}/remove").status_code == 403
    db.session.refresh(other)
    assert _count() == 1 and other.is_active and other.due_days == 30 and other.categories == ",".join(EVERYONE)
    assert _events("requirement_changed") == [] and _events("requirement_removed") == []


def test_hq_reads_but_does_not_set(client, login, hq, course, mission_a):
    login(client, hq)

    page = client.get(f"/missions/{mission_a.id}/requirements")
    refused = client.post(f"/missions/{mission_a.id}/requirements",
                          data={"course_id": course.id, "categories": EVERYONE, "due_days": "5"})

    assert page.status_code == 200 and "Add requirement" not in page.get_data(as_text=True)
    assert refused.status_code == 403 and _count() == 0
    assert client.post("/training/requirements", data={"course_id": course.id, "mission_kind": "political",
                                                       "categories": EVERYONE, "due_days": "5"}).status_code == 403


@pytest.mark.parametrize("who", ["learner", "trainer"])
def test_learners_and_trainers_cannot_see_or_set_requirements(request, client, login, who, course, mission_a):
    login(client, request.getfixturevalue(who))

    assert client.get(f"/missions/{mission_a.id}/requirements").status_code == 403
    assert client.get("/training/requirements").status_code == 403
    assert client.post(f"/missions/{mission_a.id}/requirements",
                       data={"course_id": course.id, "categories": EVERYONE, "due_days": "5"}).status_code == 403
    assert _count() == 0


def test_only_admins_set_kind_wide_requirements(client, login, admin, lead, course):
    login(client, lead)
    assert client.post("/training/requirements", data={"course_id": course.id, "mission_kind": "peacekeeping",
                                                        "categories": EVERYONE, "due_days": "30"}).status_code == 403
    assert _count() == 0

    admin_client = client.application.test_client()
    login(admin_client, admin)
    response = admin_client.post("/training/requirements", data={
        "course_id": course.id, "mission_kind": "peacekeeping", "categories": EVERYONE, "due_days": "30"})

    assert response.status_code == 302
    requirement = db.session.scalar(select(Requirement))
    assert requirement.mission_id is None and requirement.mission_kind == "peacekeeping"
    assert "every peacekeeping mission" in admin_client.get("/training/requirements").get_data(as_text=True)
    lead_page = client.get("/training/requirements").get_data(as_text=True)
    assert "Protecting children" in lead_page and "Add requirement" not in lead_page
    assert client.get(f"/training/requirements/{requirement.id}").status_code == 403  # kind-wide: admins only


def test_a_lead_changes_and_removes_their_missions_requirement(client, login, lead, learner, course, mission_a):
    requirement = tf.make_requirement(course, mission=mission_a, due_days=60)
    db.session.commit()
    login(client, lead)

    form = client.get(f"/training/requirements/{requirement.id}").get_data(as_text=True)
    assert 'value="60"' in form
    response = client.post(f"/training/requirements/{requirement.id}", data={"categories": ["police"], "due_days": "14"})

    assert response.status_code == 302 and response.headers["Location"] == f"/missions/{mission_a.id}/requirements"
    db.session.refresh(requirement)
    assert (requirement.categories, requirement.due_days) == ("police", 14)
    [event] = _events("requirement_changed")
    assert event.details["before"] == {"categories": ",".join(EVERYONE), "due_days": 60, "satisfied_by": "either"}
    assert event.details["after"] == {"categories": "police", "due_days": 14, "satisfied_by": "either"}

    client.post(f"/training/requirements/{requirement.id}/remove")
    db.session.refresh(requirement)
    assert requirement.is_active is False and len(_events("requirement_removed")) == 1
    assert client.get(f"/training/requirements/{requirement.id}").status_code == 404
    page = client.get(f"/missions/{mission_a.id}/requirements").get_data(as_text=True)
    assert "Set for this mission</h2>\n<p>None yet.</p>" in page


@pytest.mark.parametrize("data", [
    {"categories": [], "due_days": "10"},
    {"categories": EVERYONE, "due_days": "1000"},
    {"categories": EVERYONE, "due_days": "soon"},
    {"categories": ["pilots"], "due_days": "10"},
])
def test_bad_input_is_refused_and_stores_nothing(client, login, lead, course, mission_a, data):
    login(client, lead)

    response = client.post(f"/missions/{mission_a.id}/requirements", data={"course_id": course.id, **data})

    assert response.status_code == 200 and 'class="error"' in response.get_data(as_text=True)
    assert _count() == 0 and _events("requirement_added") == []


def test_the_demo_seed_requires_the_shipped_course_once_if_it_exists(app):
    assert "not imported yet" in seed_requirements()
    assert _count() == 0

    tf.make_course(code="cp-peace-ops")
    assert "required in every peacekeeping mission" in seed_requirements()
    assert "already required" in seed_requirements()
    db.session.commit()

    [requirement] = db.session.scalars(select(Requirement)).all()
    assert (requirement.mission_kind, requirement.categories, requirement.due_days) == (
        "peacekeeping", ",".join(EVERYONE), 30)
    steps = [name for name, _step in SEED_STEPS]
    assert steps.index("training requirements") > steps.index("shipped course")


def test_a_requirement_says_what_satisfies_it(client, login, lead, learner, course, mission_a):
    """Online, in person, or either (the default): set when added, changed later, audited, shown."""
    login(client, lead)
    client.post(f"/missions/{mission_a.id}/requirements",
                data={"course_id": course.id, "categories": EVERYONE, "due_days": "14", "satisfied_by": "in_person"})
    requirement = db.session.scalars(select(Requirement)).one()
    assert requirement.satisfied_by == "in_person"
    assert _events("requirement_added")[0].details["satisfied_by"] == "in_person"
    page = client.get(f"/missions/{mission_a.id}/requirements").get_data(as_text=True)
    assert "in person only (a session with a pass mark)" in page

    client.post(f"/training/requirements/{requirement.id}",
                data={"categories": EVERYONE, "due_days": "14", "satisfied_by": "online"})
    db.session.refresh(requirement)
    assert requirement.satisfied_by == "online"
    [event] = _events("requirement_changed")
    assert (event.details["before"]["satisfied_by"], event.details["after"]["satisfied_by"]) == ("in_person", "online")

    refused = client.post(f"/training/requirements/{requirement.id}",
                          data={"categories": EVERYONE, "due_days": "14", "satisfied_by": "by_post"})
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)
    db.session.refresh(requirement)
    assert requirement.satisfied_by == "online"
