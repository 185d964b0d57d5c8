"""Offline study, server side: the service worker route, a course's offline manifest, the JSON
endpoint for answers given offline (idempotent, CSRF-checked, owner only), and sign-out clearing
the device's copy. The browser side is in tests/browser/test_offline.py."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from database import utcnow
from extensions import db
from quizzes.attempts import start_attempt, submit
from quizzes.models import Answer, Attempt
from quizzes.services import quiz_for_module
from tests import factories
from tests import quiz_factories as qf
from tests.conftest import login_as
from training import versions
from training.models import ModuleVersion


def _quiz():
    module = qf.make_module(lessons=2)
    first = qf.choice_question(module, "c1")
    second = qf.multi_question(module, "m1")
    qf.make_quiz(module)
    db.session.commit()
    return module, first, second


def _attempt(user, module) -> Attempt:
    attempt = start_attempt(user, quiz_for_module(module.id), language="en")
    db.session.commit()
    return attempt


def _rows(attempt: Attempt) -> list[tuple[int, list]]:
    db.session.commit()
    return sorted(db.session.execute(select(Answer.question_id, Answer.response)
                                     .where(Answer.attempt_id == attempt.id)).all())


def test_service_worker_is_served_from_the_root_and_never_cached_long(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert b'addEventListener("fetch"' in response.data
    assert b"/result" not in response.data  # results are never matched, so never kept


def test_course_manifest_lists_the_published_lessons_images_and_static_files(client, learner):
    module, _first, _second = _quiz()
    version = db.session.scalar(select(ModuleVersion).where(ModuleVersion.module_id == module.id))
    draft = versions.start_draft(module, actor=None)  # a draft's lessons are never listed
    db.session.commit()
    login_as(client, learner)

    body = client.get(f"/offline/courses/{module.course_id}.json").json

    lesson_pages = [f"/training/lessons/{lesson.id}" for lesson in version.lessons]
    assert body["course"] == module.course_id
    assert body["pages"] == ["/training", f"/training/courses/{module.course_id}", f"/training/modules/{module.id}",
                             *lesson_pages, "/offline/unavailable"]
    assert not {f"/training/lessons/{lesson.id}" for lesson in draft.lessons} & set(body["pages"])
    assert all(re.fullmatch(r"/static/[\w/]+\.[0-9a-f]{12}\.(css|svg|js)", url) for url in body["assets"])
    assert body["images"] == [] and len(body["version"]) == 16
    assert not [url for url in body["pages"] if url.startswith("/quiz")]


def test_course_manifest_needs_a_visible_course_and_a_signed_in_person(client, learner):
    module, _first, _second = _quiz()
    assert client.get(f"/offline/courses/{module.course_id}.json").status_code == 302  # to sign in
    module.course.is_archived = True
    db.session.commit()
    login_as(client, learner)
    assert client.get(f"/offline/courses/{module.course_id}.json").status_code == 404
    assert client.get("/offline/courses/999999.json").status_code == 404


def test_answers_sent_twice_are_stored_once(client, learner):
    module, first, second = _quiz()
    attempt = _attempt(learner, module)
    login_as(client, learner)
    right = qf.right_option(first)
    payload = {"answers": {str(first.id): [right], str(second.id): attempt.drawn[1]["options"][:2]}}

    for _ in range(3):  # a retry after a lost reply, a second tab
        response = client.post(f"/offline/attempts/{attempt.id}/answers", json=payload)
        assert response.status_code == 200
        assert response.json == {"saved": sorted([first.id, second.id]), "ignored": []}

    rows = _rows(attempt)
    assert [question for question, _response in rows] == sorted([first.id, second.id])
    assert dict(rows)[first.id] == [right]
    changed = client.post(f"/offline/attempts/{attempt.id}/answers",
                          json={"answers": {str(first.id): [qf.wrong_option(first)]}})
    assert changed.status_code == 200
    assert dict(_rows(attempt))[first.id] == [qf.wrong_option(first)] and len(_rows(attempt)) == 2
    db.session.refresh(attempt)
    assert attempt.submitted_at is None and attempt.score is None  # nothing is graded here


def test_unknown_questions_and_options_are_ignored(client, learner):
    module, first, _second = _quiz()
    attempt = _attempt(learner, module)
    login_as(client, learner)
    response = client.post(f"/offline/attempts/{attempt.id}/answers",
                           json={"answers": {str(first.id): ["not-an-option"], "999999": ["x"]}})
    assert response.status_code == 200 and response.json["ignored"] == [999999]
    assert _rows(attempt) == [(first.id, [])]


def test_malformed_answers_are_refused_and_change_nothing(client, learner):
    module, first, _second = _quiz()
    attempt = _attempt(learner, module)
    login_as(client, learner)
    for payload in ({}, {"answers": []}, {"answers": {}}, {"answers": {"abc": ["x"]}},
                    {"answers": {str(first.id): "x"}}, {"answers": {str(first.id): [1]}},
                    {"answers": {str(first.id): ["x" * 65]}}):
        response = client.post(f"/offline/attempts/{attempt.id}/answers", json=payload)
        assert response.status_code == 400, payload
    assert client.post(f"/offline/attempts/{attempt.id}/answers", data="not json").status_code == 400
    assert _rows(attempt) == []


def test_only_the_owner_may_send_answers_and_anonymous_people_are_told_to_sign_in(client, learner, mission_a):
    module, first, _second = _quiz()
    attempt = _attempt(learner, module)
    payload = {"answers": {str(first.id): [qf.right_option(first)]}}
    anonymous = client.post(f"/offline/attempts/{attempt.id}/answers", json=payload)
    assert anonymous.status_code == 401 and anonymous.json["error"] == "signed_out"
    other = factories.make_user(mission=mission_a, name="Other Learner")
    db.session.commit()
    login_as(client, other)
    assert client.post(f"/offline/attempts/{attempt.id}/answers", json=payload).status_code == 403
    assert client.post("/offline/attempts/999999/answers", json=payload).status_code == 404
    assert _rows(attempt) == []


def test_answers_for_a_closed_attempt_are_refused(client, learner):
    module, first, _second = _quiz()
    attempt = _attempt(learner, module)
    submit(attempt)
    db.session.commit()
    login_as(client, learner)
    response = client.post(f"/offline/attempts/{attempt.id}/answers",
                           json={"answers": {str(first.id): [qf.right_option(first)]}})
    assert response.status_code == 409 and response.json["error"] == "closed"
    assert all(answer == [] for _question, answer in _rows(attempt))  # graded blank at submit, unchanged


def test_answers_arriving_after_the_time_limit_are_refused_and_the_attempt_is_graded(client, learner):
    module, first, _second = _quiz()
    qf.make_quiz(module, time_limit_minutes=5)
    attempt = _attempt(learner, module)
    attempt.deadline_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    login_as(client, learner)
    response = client.post(f"/offline/attempts/{attempt.id}/answers",
                           json={"answers": {str(first.id): [qf.right_option(first)]}})
    assert response.status_code == 409
    db.session.refresh(attempt)
    assert attempt.submitted_at is not None


def test_the_answer_endpoint_checks_csrf(make_app, learner):
    module, first, _second = _quiz()
    attempt = _attempt(learner, module)
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/sign-in", data={"identifier": learner.service_number, "password": factories.PASSWORD,
                                  "csrf_token": token})
    payload = {"answers": {str(first.id): [qf.right_option(first)]}}

    assert client.post(f"/offline/attempts/{attempt.id}/answers", json=payload).status_code == 400
    assert _rows(attempt) == []
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/training").get_data(as_text=True)).group(1)
    sent = client.post(f"/offline/attempts/{attempt.id}/answers", json=payload, headers={"X-CSRFToken": token})
    assert sent.status_code == 200
    assert _rows(attempt) == [(first.id, [qf.right_option(first)])]


def test_signing_out_tells_the_browser_to_drop_the_device_copy(client, learner):
    login_as(client, learner)
    assert "Clear-Site-Data" not in client.get("/training").headers
    response = client.post("/sign-out")
    assert response.status_code == 302 and response.headers["Clear-Site-Data"] == '"storage"'


def test_pages_of_signed_in_people_carry_the_status_line_and_the_script(client, learner):
    assert "offline-status" not in client.get("/sign-in").get_data(as_text=True)
    login_as(client, learner)
    page = client.get("/training").get_data(as_text=True)
    assert 'id="offline-status"' in page and f'data-user="{learner.id}"' in page
    assert re.search(r'<script src="/static/js/offline\.[0-9a-f]{12}\.js" defer></script>', page)
    assert client.get("/offline/unavailable").status_code == 200


def test_one_row_per_question_even_when_the_form_and_the_json_endpoint_both_save(client, learner):
    module, first, _second = _quiz()
    attempt = _attempt(learner, module)
    login_as(client, learner)
    right = qf.right_option(first)
    client.post(f"/offline/attempts/{attempt.id}/answers", json={"answers": {str(first.id): [right]}})
    client.post(f"/quiz/attempts/{attempt.id}/q/1", data={f"q{first.id}": right, "next": "y"})
    db.session.commit()
    assert db.session.scalar(select(func.count(Answer.id)).where(Answer.attempt_id == attempt.id)) == 1
