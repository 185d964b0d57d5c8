"""Who is offered an optional course (issue 19): publishing a trainer's course no longer shows it to
every learner in the world. Its authors choose missions (by name or kind), categories and
languages; nobody until they do. Required courses reach whoever the requirement names."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from audit.models import AuditEvent
from extensions import db
from tests import factories
from tests import training_factories as tf
from training import learning


@pytest.fixture
def optional(app, trainer):
    course = tf.make_course(owner=trainer, title={"en": "Interviewing children", "fr": "Entretiens avec des enfants"})
    tf.make_module(course)
    db.session.commit()
    return course


def _offered(client, user) -> bool:
    return "Interviewing children" in client.get("/training").get_data(as_text=True)


def _person(mission, **overrides):
    values = {"mission": mission, "category": "military", "preferred_language": "en", **overrides}
    return factories.make_user(**values)


def test_a_published_course_is_offered_to_nobody_until_chosen(client, login, optional, mission_a):
    person = _person(mission_a)
    db.session.commit()
    login(client, person)
    assert not _offered(client, person)
    assert optional.audience is None and not learning.offered_to(optional, person)


def test_the_audience_chooses_missions_kinds_categories_and_languages(app, optional, mission_a, mission_b):
    mission_b.kind = "political"
    optional.audience = {"missions": [mission_a.id], "kinds": ["political"], "categories": ["military", "police"],
                         "languages": ["fr"]}
    db.session.commit()
    cases = [
        (_person(mission_a, preferred_language="fr"), True),                          # the mission named
        (_person(mission_b, category="police", preferred_language="fr"), True),      # a mission of the kind
        (_person(mission_a, category="civilian", preferred_language="fr"), False),   # another category
        (_person(mission_a, preferred_language="en"), False),                        # another language
        (factories.make_user(category="military", preferred_language="fr"), False),  # not deployed
    ]
    other = factories.make_mission(kind="peacekeeping")
    cases.append((_person(other, preferred_language="fr"), False))                   # neither named nor of the kind
    db.session.commit()
    assert [learning.offered_to(optional, person) for person, _ in cases] == [expected for _, expected in cases]


def test_required_courses_reach_whom_the_requirement_names_whatever_the_audience(client, login, optional, mission_a):
    tf.make_requirement(optional, mission=mission_a, due_days=30)
    person = _person(mission_a, preferred_language="ar")
    db.session.commit()
    login(client, person)
    page = client.get("/training").get_data(as_text=True)
    assert "Interviewing children" in page.split("Other courses you can take")[0]


def test_the_owner_chooses_the_audience_on_a_form(client, login, optional, trainer, mission_a):
    login(client, trainer)
    page = client.get(f"/training/author/courses/{optional.id}/audience").get_data(as_text=True)
    assert "MISSA" in page or mission_a.code in page
    assert 'name="languages" type="checkbox" value="ar"' not in page and 'value="fr"' in page  # the course's languages
    response = client.post(f"/training/author/courses/{optional.id}/audience",
                           data={"missions": [str(mission_a.id)], "categories": ["military"], "languages": ["en"]})
    assert response.status_code == 302
    db.session.refresh(optional)
    assert optional.audience == {"missions": [mission_a.id], "kinds": [], "categories": ["military"],
                                 "languages": ["en"]}
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "course_audience_set")) is not None
    overview = client.get(f"/training/author/courses/{optional.id}").get_data(as_text=True)
    assert f"{mission_a.code} · Military · English" in overview

    learner = _person(mission_a)
    db.session.commit()
    other = client.application.test_client()
    login(other, learner)
    assert _offered(other, learner)

    # Unticking everything withdraws the offer.
    assert client.post(f"/training/author/courses/{optional.id}/audience", data={}).status_code == 302
    db.session.refresh(optional)
    assert optional.audience is None and not _offered(other, learner)


@pytest.mark.parametrize(("data", "message"), [
    ({"categories": ["military"], "languages": ["en"]}, "Choose at least one mission or kind of mission."),
    ({"kinds": ["political"], "languages": ["en"]}, "Choose at least one category."),
    ({"kinds": ["political"], "categories": ["police"]}, "Choose at least one language."),
    ({"kinds": ["political"], "categories": ["police"], "languages": ["ar"]}, "is not a valid choice"),
])
def test_an_incomplete_audience_says_what_is_missing_and_changes_nothing(client, login, optional, trainer, data,
                                                                         message):
    login(client, trainer)
    response = client.post(f"/training/author/courses/{optional.id}/audience", data=data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    db.session.refresh(optional)
    assert optional.audience is None


def test_only_its_authors_choose(client, login, optional, mission_a):
    stranger = factories.make_user(roles=["trainer"])
    db.session.commit()
    login(client, stranger)
    assert client.get(f"/training/author/courses/{optional.id}/audience").status_code == 403
    assert client.post(f"/training/author/courses/{optional.id}/audience",
                       data={"kinds": ["peacekeeping"], "categories": ["military"], "languages": ["en"]}).status_code == 403
    db.session.refresh(optional)
    assert optional.audience is None
