"""WCAG 2.1 A and AA: axe-core (npm, pinned) in Chromium on every main page, in English and in Arabic.

Each role signs in once, then every page it uses is checked in English, the language is
switched with the footer form (kept in the session), and every page is checked again in Arabic.
A page whose feature is not built yet (its endpoint is missing) is listed, never silently passed.
"""

from __future__ import annotations

import pytest
from flask import current_app, url_for
from sqlalchemy import select

from accounts.reset import request_link
from extensions import db
from quizzes.models import Question
from tests.browser.conftest import sign_in
from tests.browser.field_world import (
    axe_violations,
    choose_language,
    describe,
    lessons_of,
    read_every_lesson,
    shipped_course,
    take_quiz,
)
from tests.certificate_factories import issue
from training import versions

pytestmark = pytest.mark.browser

LANGUAGES = ("en", "ar")


@pytest.fixture
def axe_page(new_page):
    # axe is injected as a script the page did not ask for: the page's CSP would (rightly) block it.
    return new_page(bypass_csp=True)


@pytest.fixture
def course(tmp_path, mission_a, trainer):
    course = shipped_course(tmp_path, required_in=mission_a, quiz={"cooldown_minutes": 0, "attempt_limit": None})
    course.owner_id = trainer.id
    db.session.commit()
    return course


def _urls(*pairs) -> dict[str, str]:
    """{label: path} for the (label, endpoint, values) triples whose endpoint exists."""
    found = {}
    with current_app.test_request_context():
        for label, endpoint, values in pairs:
            if endpoint in current_app.view_functions:
                found[label] = url_for(endpoint, **values)
    return found


def _check(page, base_url: str, urls: dict[str, str]) -> dict[str, list[dict]]:
    problems = {}
    for lang in LANGUAGES:
        choose_language(page, base_url, lang)
        for label, path in urls.items():
            response = page.goto(base_url + path)
            assert response.status == 200, f"{label} ({path}) answered {response.status}"
            assert page.locator("html").get_attribute("lang") == lang
            violations = axe_violations(page)
            if violations:
                problems[f"{label} [{lang}] {path}"] = violations
    return problems


def test_learner_pages(axe_page, live_server, learner, course):
    module = course.modules[0]
    read_every_lesson(learner, module)
    reviewed = take_quiz(learner, module, right=False)
    open_attempt = take_quiz(learner, module, right=False, submit=False)
    certificate = issue(learner, course)
    lesson = lessons_of(learner, module)[0]
    urls = _urls(
        ("home", "core.home", {}),
        ("my training", "training.my_training", {}),
        ("course", "training.course", {"course_id": course.id}),
        ("module", "training.module", {"module_id": module.id}),
        ("lesson", "training.lesson", {"lesson_id": lesson.id}),
        ("quiz intro", "quizzes.intro", {"module_id": module.id}),
        ("quiz question", "quizzes.page", {"attempt_id": open_attempt.id, "number": 1}),
        ("quiz finish", "quizzes.finish", {"attempt_id": open_attempt.id}),
        ("quiz review", "quizzes.result", {"attempt_id": reviewed.id}),
        ("certificate list", "certificates.mine", {}),
        ("certificate QR", "certificates.show_qr", {"certificate_id": certificate.id}),
        ("password", "accounts.change_password", {}),
    )
    sign_in(axe_page, live_server, learner)

    problems = _check(axe_page, live_server, urls)

    assert not problems, "axe found WCAG A/AA violations:\n" + describe(problems)


def test_public_pages(axe_page, live_server, learner, course):
    certificate = issue(learner, course)
    _person, reset_token = request_link(learner.service_number, address="127.0.0.1")
    db.session.commit()
    urls = _urls(
        ("welcome", "core.home", {}),
        ("sign-in", "accounts.sign_in", {}),
        ("forgot password", "accounts.forgot_password", {}),
        ("choose a new password", "accounts.reset_password", {"token": reset_token}),
        ("activate", "accounts.activate", {}),
        ("verification page", "verify.certificate", {"code": certificate.code}),
        ("verify by code", "verify.check", {}),
        ("offline check", "verify.offline", {}),
    )

    problems = _check(axe_page, live_server, urls)

    assert not problems, "axe found WCAG A/AA violations:\n" + describe(problems)


def test_trainer_pages(axe_page, live_server, trainer, course):
    module = course.modules[0]
    question = db.session.scalar(select(Question).filter_by(module_id=module.id).order_by(Question.position))
    draft = versions.start_draft(module, actor=trainer)  # the editor shows a draft's lessons with their tools
    db.session.commit()
    urls = _urls(
        ("authoring home", "training_author.author_index", {}),
        ("course editor", "training_author.course_edit", {"course_id": course.id}),
        ("course overview", "training_author.course_overview", {"course_id": course.id}),
        ("module editor", "training_author.module_edit", {"module_id": module.id}),
        ("module details", "training_author.module_details", {"module_id": module.id}),
        ("lesson editor", "lesson_author.lesson_edit", {"lesson_id": draft.lessons[0].id}),
        ("question bank", "quiz_author.bank", {"module_id": module.id}),
        ("question editor", "quiz_author.question_edit", {"question_id": question.id}),
        ("quiz settings", "quiz_author.settings", {"module_id": module.id}),
        ("item analysis", "quiz_author.item_analysis", {"module_id": module.id}),
        ("certificates", "certificates.manage", {}),
        ("course package import", "coursepack.upload_package", {}),
    )
    assert {"module editor", "question editor"} <= set(urls)
    sign_in(axe_page, live_server, trainer)

    problems = _check(axe_page, live_server, urls)

    assert not problems, "axe found WCAG A/AA violations:\n" + describe(problems)


def test_admin_pages(axe_page, live_server, admin, learner, mission_a):
    urls = _urls(
        ("people", "admin.people", {}),
        ("person", "admin.person", {"user_id": learner.id}),
        ("missions", "admin.missions", {}),
        ("mission", "admin.mission", {"mission_id": mission_a.id}),
        ("roster import", "admin.roster_import", {}),
        ("audit log", "audit.index", {}),
    )
    sign_in(axe_page, live_server, admin)

    problems = _check(axe_page, live_server, urls)

    assert not problems, "axe found WCAG A/AA violations:\n" + describe(problems)


@pytest.mark.parametrize("who, endpoint", [("lead", "reports.mission"), ("hq", "reports.hq")])
def test_dashboards(request, axe_page, live_server, mission_a, learner, who, endpoint):
    if endpoint not in current_app.view_functions:
        pytest.fail(f"{endpoint} does not exist yet: the dashboards are not built", pytrace=False)
    from tests.inperson_factories import make_course, make_session
    from tests.training_factories import make_requirement

    # A required course and an in-person session: the delivery split and the sessions chart are drawn.
    course = make_course(modules=1)
    make_requirement(course, mission=mission_a)
    make_session(request.getfixturevalue("admin"), mission_a, course=course)
    user = request.getfixturevalue(who)
    values = {"mission_id": mission_a.id} if "mission_id" in _arguments(endpoint) else {}
    urls = _urls(("dashboard", endpoint, values))
    sign_in(axe_page, live_server, user)

    problems = _check(axe_page, live_server, urls)

    assert not problems, "axe found WCAG A/AA violations:\n" + describe(problems)


def _arguments(endpoint: str) -> set[str]:
    return {arg for rule in current_app.url_map.iter_rules(endpoint) for arg in rule.arguments}


def test_arabic_lesson_and_quiz_question_on_a_phone(phone_page, live_server, learner, mission_a, tmp_path, screenshot):
    course = shipped_course(tmp_path, ("05-meeting-children",), required_in=mission_a, picture=True)
    module = course.modules[0]
    read_every_lesson(learner, module)
    attempt = take_quiz(learner, module, right=False, submit=False)
    lesson = lessons_of(learner, module)[0]
    sign_in(phone_page, live_server, learner)
    choose_language(phone_page, live_server, "ar")

    for label, path in (("lesson", f"/training/lessons/{lesson.id}"), ("course", f"/training/courses/{course.id}"),
                        ("quiz-question", f"/quiz/attempts/{attempt.id}/q/1"),
                        ("quiz-question-2", f"/quiz/attempts/{attempt.id}/q/2")):
        phone_page.goto(live_server + path)
        assert phone_page.locator("html").get_attribute("dir") == "rtl"
        assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360, f"{label} scrolls sideways"
        heading = phone_page.get_by_role("heading", level=1).bounding_box()
        assert heading["x"] + heading["width"] > 360 - 24  # right-aligned: it starts on the right
        for arrow in phone_page.locator(".breadcrumbs [aria-hidden=true]").all():  # "›" points onwards: left
            assert arrow.evaluate("el => getComputedStyle(el).transform").startswith("matrix(-1, 0, 0, 1")
        screenshot(phone_page, f"{label}-ar-360")


def test_session_pages(axe_page, live_server, mission_a, admin):
    """In-person sessions: the list, planning (both steps), a session, and taking attendance."""
    from tests.inperson_factories import make_course, make_session, unit_people

    course = make_course(modules=2)
    session = make_session(admin, mission_a, course=course)
    unit_people(mission_a, mission_a.units[0], 3)
    urls = _urls(("sessions", "inperson.index", {"scope": "all"}), ("plan, step one", "inperson.plan", {}),
                 ("plan", "inperson.plan", {"course": course.id, "mission": mission_a.id}),
                 ("session", "inperson.show", {"session_id": session.id}),
                 ("attendance", "inperson.attendance", {"session_id": session.id}))
    sign_in(axe_page, live_server, admin)

    problems = _check(axe_page, live_server, urls)

    assert not problems, "axe found WCAG A/AA violations:\n" + describe(problems)
