"""Hostile input through the real screens: stored as text, shown escaped; ?next= stays on this
site; oversize and malformed bodies get a clear 400/413 page and change nothing.

Exports (formula cells) are in test_bad_inputs_exports.py, object ids in test_bad_inputs_idor.py.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from accounts.models import Unit, User
from certificates.models import Certificate
from extensions import db
from quizzes.models import Attempt, Question
from tests import factories
from tests.page_scan import page_problems
from training.models import Course, Lesson, Module

SCRIPT = '<script>alert("pk")</script>'
HANDLER = '"><img src=x onerror=alert(1)>'
NAME = f"Ana {SCRIPT}{HANDLER}"
MARKDOWN = (f"# Lesson\n\n{SCRIPT}\n\n<img src=x onerror=alert(2)>\n\n[click](javascript:alert(3))\n\n"
            f"![x](javascript:alert(4))\n\n<a href=\"  javascript:alert(5)\">a</a>\n\n<svg onload=alert(6)>")
ESCAPED = "&lt;script&gt;alert("


def _ok(response, what: str):
    assert response.status_code in (200, 302), f"{what}: {response.status_code}"
    return response


def _sweep(client, urls: list[str], who: str) -> int:
    """GET every URL; every HTML page must be free of smuggled markup. Returns how many pages were read."""
    read = 0
    for url in urls:
        response = client.get(url)
        if response.status_code != 200 or not response.mimetype.startswith("text/html"):
            continue
        read += 1
        problems = page_problems(response.get_data(as_text=True))
        assert not problems, f"{url} as {who}: {problems}"
    return read


def _urls(app, values: dict) -> list[str]:
    """Every GET route whose parameters `values` can fill (new routes are swept automatically)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or not rule.arguments <= values.keys():
            continue
        urls.append(rule.build({name: values[name] for name in rule.arguments})[1])
    return sorted(set(urls))


def test_xss_in_every_field_a_person_types_is_stored_as_text_and_never_runs(app, client, login, admin, trainer,
                                                                          learner, lead, hq, mission_a):
    app.config.update(SIGNIN_LIMIT_PER_ADDRESS="1000 per minute", SIGNIN_LIMIT_PER_ACCOUNT="1000 per minute")
    # Admin: a unit name, a person's name and rank (the learner's own, so it shows on their pages too).
    login(client, admin)
    _ok(client.post(f"/admin/missions/{mission_a.id}/units/new", data={"code": "XSS-1", "name": NAME}), "unit")
    _ok(client.post(f"/admin/people/{learner.id}", data={
        "person-service_number": learner.service_number, "person-name": NAME, "person-email": "",
        "person-category": "military", "person-rank": SCRIPT[:60], "person-preferred_language": "en"}), "person")
    assert db.session.scalar(select(Unit.name).filter_by(code="XSS-1")) == NAME
    assert db.session.get(User, learner.id).name == NAME  # stored exactly as typed
    client.post("/sign-out")

    # Trainer: a course, a module (title, summary, objectives, sources), a lesson, two questions.
    login(client, trainer)
    _ok(client.post("/training/author/courses/new", data={
        "code": "xss-course", "title_en": NAME, "description_en": MARKDOWN, "validity_months": "24",
        "renewal_window_days": "30", "languages": ["en"], "default_language": "en"}), "course")
    course = db.session.scalar(select(Course).filter_by(code="xss-course"))
    _ok(client.post(f"/training/author/courses/{course.id}/modules", data={"title": NAME}), "module")
    module = db.session.scalar(select(Module).filter_by(course_id=course.id))
    _ok(client.post(f"/training/author/modules/{module.id}/details?lang=en", data={
        "title": NAME, "summary": SCRIPT, "objectives": f"{SCRIPT}\n{HANDLER}", "minutes": "5",
        "sources": f"{SCRIPT}\njavascript:alert(7)"}), "details")
    _ok(client.post(f"/training/author/modules/{module.id}/lessons?lang=en", data={"title": NAME}), "lesson")
    lesson = db.session.scalar(select(Lesson).order_by(Lesson.id.desc()))
    _ok(client.post(f"/training/author/lessons/{lesson.id}?lang=en", data={"title": NAME, "body": MARKDOWN,
                                                                           "save": "y"}), "lesson text")
    for key, fmt in (("xss-plain", "plain"), ("xss-markdown", "markdown")):
        saved = (client.post(f"/quiz/author/module/{module.id}/questions/new?type=single_choice&lang=en", data={
            "key": key, "text": MARKDOWN, "format": fmt, "general_feedback": NAME,
            "options-0-text": NAME, "options-0-feedback": SCRIPT, "options-0-weight": "100",
            "options-1-text": HANDLER, "options-1-feedback": HANDLER, "options-1-weight": "0"}))
        assert saved.status_code == 302, f"question in {fmt} refused"
    assert db.session.scalar(select(func.count(Question.id)).where(Question.module_id == module.id)) == 2
    settings = client.post(f"/quiz/author/module/{module.id}/settings", data={
        "draw_count": "0", "pass_mark": "80", "cooldown_minutes": "0", "review_mode": "feedback",
        "review_when": "after_each", "layout": "one_per_page"})
    assert settings.status_code == 302, "quiz settings refused"
    _ok(client.post(f"/training/author/modules/{module.id}/publish"), "publish")
    db.session.expire_all()
    assert module.versions[-1].status == "published", "the hostile module could not be published"
    client.post("/sign-out")

    # The learner studies it, passes the quiz (the review shows the feedback) and gets a certificate.
    login(client, learner)
    published_lesson = module.versions[-1].lessons[0]
    _ok(client.post(f"/training/lessons/{published_lesson.id}/done"), "lesson done")
    started = _ok(client.post(f"/quiz/module/{module.id}/start"), "start")
    attempt_id = int(re.search(r"/quiz/attempts/(\d+)", started.headers["Location"]).group(1))
    attempt = db.session.get(Attempt, attempt_id)
    questions = {q["id"]: q for q in attempt.quiz_version.questions}
    for number, drawn in enumerate(attempt.drawn, 1):
        right = next(i for i, w in questions[drawn["id"]]["answer"]["weights"].items() if w == 1.0)
        _ok(client.post(f"/quiz/attempts/{attempt_id}/q/{number}", data={f"q{drawn['id']}": right, "next": "y"}), "answer")
    _ok(client.post(f"/quiz/attempts/{attempt_id}/finish", data={"submit": "y"}), "finish")
    certificate = db.session.scalar(select(Certificate).filter_by(user_id=learner.id))
    assert certificate is not None and certificate.holder_name == NAME
    result = client.get(f"/quiz/attempts/{attempt_id}/result").get_data(as_text=True)
    assert ESCAPED in result  # the feedback was shown, as text

    values = {"mission_id": mission_a.id, "unit_id": db.session.scalar(select(Unit.id).filter_by(code="XSS-1")),
              "user_id": learner.id, "person_id": learner.id, "course_id": course.id, "module_id": module.id,
              "lesson_id": published_lesson.id, "question_id": questions and next(iter(questions)),
              "attempt_id": attempt_id, "number": 1, "certificate_id": certificate.id, "code": certificate.code}
    urls = _urls(app, values)
    pages = _sweep(client, urls, "learner")
    for who in (trainer, admin, lead, hq):
        client.post("/sign-out")
        login(client, who)
        pages += _sweep(client, urls, who.name)
    client.post("/sign-out")
    pages += _sweep(client, urls, "anonymous")  # the public verification page shows the holder's name
    assert pages >= 40, f"only {pages} pages were read: the sweep is not reaching the hostile data"
    verify = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "&lt;script&gt;" in verify and SCRIPT not in verify


def test_roster_csv_with_markup_is_shown_and_stored_as_text(app, client, login, admin, mission_a):
    login(client, admin)
    csv_text = ("service_number,name,email,category,rank,mission,unit,arrival_on,language\n"
                f"XSS-900,\"{NAME.replace(chr(34), chr(34) * 2)}\",,military,Sgt,MISSA,A-BATT-1,2026-01-05,en\n")
    from io import BytesIO

    checked = client.post("/admin/roster", data={"file": (BytesIO(csv_text.encode()), "roster.csv")},
                          content_type="multipart/form-data")
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200 and not page_problems(page) and ESCAPED in page
    payload = re.search(r'name="payload" type="hidden" value="([^"]+)"|value="([^"]+)"[^>]*name="payload"', page)
    assert payload, "the dry run offers no Apply form"
    applied = client.post("/admin/roster/apply", data={"payload": payload.group(1) or payload.group(2), "apply_all": "y"})
    assert applied.status_code in (200, 302)
    assert db.session.scalar(select(User.name).filter_by(service_number="XSS-900")) == NAME
    people = client.get("/admin/people").get_data(as_text=True)
    assert ESCAPED in people and not page_problems(people)


def test_the_page_scanner_sees_what_it_must():
    found = page_problems('<script src="/static/a.js"></script><script>x()</script><img src=x onerror=alert(1)>'
                          '<a href=" java\tscript:alert(1)">a</a><iframe src="/"></iframe><img src="data:image/png;base64,AA">')
    assert len(found) == 5, found  # script tag + its inline text, handler, URL, iframe; the data: image is fine


# --- ?next= ------------------------------------------------------------------------------------

OFFSITE = ["//evil.example", "/\\evil.example", "////evil.example", "%2F%2Fevil.example", "/%5Cevil.example",
           "/%5cevil.example", "%2f%5cevil.example", "https:evil.example", "https://evil.example", "http:/evil.example",
           "/\t/evil.example", "/%09/evil.example", "\t//evil.example", "/\n/evil.example", "/%0A/evil.example",
           "/%0D%0A/evil.example", " //evil.example", "\\\\evil.example", "\\/evil.example", "/%2F/evil.example",
           "%252F%252Fevil.example", "javascript:alert(1)", "data:text/html,hi", "//evil.example@training.example",
           "/\\/evil.example", "/.//evil.example".replace("/.", ""), "ht\ttps://evil.example", "//evil%E3%80%82example"]


def _stays_here(location: str) -> bool:
    parts = urlsplit(location)
    return (not parts.scheme and not parts.netloc and location.startswith("/") and not location.startswith("//")
            and "\\" not in location and not re.search(r"[\x00-\x20]", location))


@pytest.mark.parametrize("target", OFFSITE)
def test_sign_in_next_never_leaves_the_site(client, learner, target):
    page = client.get("/sign-in", query_string={"next": target}).get_data(as_text=True)
    assert not page_problems(page)
    response = client.post("/sign-in", data={"identifier": learner.service_number, "password": factories.PASSWORD,
                                             "next": target})
    assert response.status_code == 302 and _stays_here(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("target", OFFSITE)
def test_language_next_never_leaves_the_site(client, target):
    response = client.post("/language", data={"lang": "fr", "next": target})
    assert response.status_code == 302 and _stays_here(response.headers["Location"]), response.headers["Location"]


# --- oversize and malformed bodies --------------------------------------------------------------

def _counts() -> dict:
    db.session.commit()
    return {table.name: db.session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables}


def _generic_page(response, status: int, words: str) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == status and words in page, (response.status_code, page[:300])
    assert "Traceback" not in page and "werkzeug" not in page.lower() and not page_problems(page)


POSTS = ["/sign-in", "/language", "/admin/roster", "/admin/people/new", "/training/author/courses/new", "/account/password"]


@pytest.mark.parametrize("path", POSTS)
def test_oversize_bodies_get_413_and_change_nothing(app, client, login, admin, path):
    login(client, admin)
    before = _counts()
    too_big = b"a=" + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    for content_type in ("application/x-www-form-urlencoded", "multipart/form-data; boundary=b"):
        _generic_page(client.post(path, data=too_big, content_type=content_type), 413, "larger than this site accepts")
    assert _counts() == before


@pytest.mark.parametrize("path", POSTS)
def test_malformed_and_undecodable_bodies_get_400_and_change_nothing(client, login, admin, path):
    login(client, admin)
    before = _counts()
    bodies = [
        ("multipart/form-data", b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--\r\n"),  # no boundary
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nunterminated"),
        ("application/x-www-form-urlencoded", b"name=%FF%FEAna&service_number=XSS-1&identifier=%C3%28"),
        ("application/x-www-form-urlencoded", "name=Ana\xa0L\xe9a&service_number=X&code=ab".encode("latin-1")),
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n\xff\xfe\r\n--x--\r\n"),
    ]
    for content_type, body in bodies:
        response = client.post(path, data=body, content_type=content_type)
        assert response.status_code == 400, (content_type, body, response.status_code)
        _generic_page(response, 400, "could not be understood")
    assert _counts() == before


def test_bad_json_to_json_endpoints_gets_400_and_changes_nothing(app, client, login, learner):
    from quizzes.attempts import start_attempt
    from tests import quiz_factories

    module = quiz_factories.make_module()
    quiz_factories.choice_question(module, "q1")
    attempt = start_attempt(learner, quiz_factories.make_quiz(module), language="en")
    db.session.commit()
    login(client, learner)
    json_routes = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods and "offline" in rule.endpoint]
    before = _counts()
    for rule in json_routes:
        url = rule.build({name: attempt.id for name in rule.arguments})[1]
        for body in (b"{not json", b"\xff\xfe", b"[" * 10_000, b'{"answers": "' + b"x" * 100 + b'"', b'{"answers": 7}'):
            response = client.post(url, data=body, content_type="application/json")
            assert response.status_code == 400, (url, body[:20], response.status_code)
            assert "Traceback" not in response.get_data(as_text=True)
    assert _counts() == before
