"""Control and bidirectional characters (issue 16, item 4): refused by core.request_checks before any
view, on every POST route, in uploads and in JSON; bidi controls refused in identifiers and removed
from names. Runs on both engines: a NUL byte reaching PostgreSQL was a 500.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from accounts.models import User
from audit.models import AuditEvent
from extensions import db
from tests import training_factories
from tests.conftest import login_as

CONTROLS = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\x7f"] + [chr(c) for c in range(0x80, 0xA0)]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
        "\u200e", "\u200f", "\u061c"]
FIELDS = ["identifier", "password", "service_number", "name", "email", "code", "slug", "title", "text",
          "body", "reason", "q", "key", "person-name", "person-service_number", "options-0-text", "payload"]
CONTROL_TEXT = b"control characters"


def _counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count(User.id))), db.session.scalar(select(func.count(AuditEvent.id))))


@pytest.fixture
def world(app, admin, mission_a, learner):
    course = training_factories.make_course(owner=admin)
    module = training_factories.make_module(course, lessons=1)
    db.session.commit()
    ids = {"mission_id": mission_a.id, "unit_id": mission_a.units[0].id, "user_id": learner.id,
           "course_id": course.id, "module_id": module.id, "lesson_id": module.versions[0].lessons[0].id}
    routes = sorted({rule.build({name: ids.get(name, 1) for name in rule.arguments})[1]
                     for rule in app.url_map.iter_rules() if "POST" in rule.methods})
    return routes


def test_every_post_route_refuses_control_characters_with_a_400(app, client, admin, world):
    login_as(client, admin)
    before = _counts()

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(route=st.sampled_from(world), field=st.sampled_from(FIELDS), bad=st.sampled_from(CONTROLS),
           text=st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12))
    def refused(route, field, bad, text):
        response = client.post(route, data={field: text + bad + text})
        assert response.status_code == 400, (route, field, repr(bad), response.status_code)
        assert CONTROL_TEXT in response.data

    refused()
    for route in world:  # and every route for certain, not only those hypothesis drew
        for bad in ("\x00", "\x85"):
            assert client.post(route, data={"identifier": f"a{bad}b", "text": "ok"}).status_code == 400, route
    assert _counts() == before  # nothing stored, not even an audit event


def test_any_text_through_every_form_is_never_a_500(app, client, admin, world):
    """The views do run here: bidi controls and ordinary text reach them in any field."""
    login_as(client, admin)

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(route=st.sampled_from([r for r in world if not r.endswith(("sign-out", "/deactivate"))]),
           field=st.sampled_from(FIELDS),
           text=st.text(st.sampled_from(BIDI + CONTROLS + ["a", "\t", "\n", "é", "ع", "\x00"]), max_size=8))
    def clean(route, field, text):
        response = client.post(route, data={field: text})
        assert response.status_code < 500, (route, field, repr(text), response.status_code)

    clean()


def test_nul_in_sign_in_is_a_clear_400_on_both_engines(client, learner):
    response = client.post("/sign-in", data={"identifier": learner.service_number + "\x00", "password": "x"})
    assert response.status_code == 400 and CONTROL_TEXT in response.data
    assert client.get("/verify/AB%00CD").status_code == 404  # the plain answer for any malformed code


def test_nul_in_a_query_string_is_refused(client, admin):
    login_as(client, admin)
    assert client.get("/admin/people?q=BAD%00").status_code == 400


def test_bidi_refused_in_a_service_number_and_removed_from_a_name(client, admin):
    login_as(client, admin)
    person = {"service_number": "PK-\u202e4321", "name": "Amina", "email": "", "category": "military",
              "rank": "", "preferred_language": "en"}
    refused = client.post("/admin/people/new", data=person)
    assert refused.status_code == 400 and b"text-direction" in refused.data
    assert db.session.scalar(select(User).filter_by(service_number="PK-\u202e4321")) is None
    created = client.post("/admin/people/new", data={**person, "service_number": "PK-4321",
                                                     "name": "Amina \u202eDiallo\u2069"})
    assert created.status_code == 302
    assert db.session.scalar(select(User.name).filter_by(service_number="PK-4321")) == "Amina Diallo"


def test_a_nul_in_an_uploaded_roster_or_gift_file_is_refused(client, admin, trainer):
    login_as(client, admin)
    before = _counts()
    csv = b"service_number,name,email,category,rank,mission,unit,arrival_on,language\nBAD\x00-2,Ana,,military,,MISSA,A-BATT-1,2026-01-01,en\n"
    response = client.post("/admin/roster", data={"file": (io.BytesIO(csv), "roster.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and CONTROL_TEXT in response.data
    assert _counts() == before
    response = client.post("/quiz/author/module/1/import", data={"file": (io.BytesIO(b"::Q::A\x01? {T}"), "q.gift")},
                           content_type="multipart/form-data")
    assert response.status_code == 400


def test_roster_rows_with_bidi_identifiers_are_refused_and_names_cleaned():
    from accounts.roster import parse_roster

    header = "service_number,name,email,category,rank,mission,unit,arrival_on,language\n"
    parsed = parse_roster(header + "PK\u202e-1,Ana,,military,,MISSA,A-BATT-1,2026-01-01,en\n"
                                   "PK-2,Ali \u202eBa,,military,,MISSA,A-BATT-1,2026-01-01,en\n")
    assert list(parsed.problems) == [2] and "text-direction" in parsed.problems[2][0]
    assert [row.name for row in parsed.rows] == ["Ali Ba"]


def test_tab_and_newline_stay_allowed_in_text_but_not_in_identifiers(client, learner):
    response = client.post("/sign-in", data={"identifier": "SN\t1", "password": "x"})
    assert response.status_code == 400
