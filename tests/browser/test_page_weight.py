"""Light pages: what a learner's browser downloads for each page, measured in Chromium.

Budget per page (issue 8): the HTML, CSS and JS it needs weigh under 60 KB uncompressed and
under 20 KB gzipped; no web font for the interface; no request leaves this server; static
files arrive gzipped, under content-hashed names, cached for a year. Each page is opened in a
fresh browser context (an empty cache, the learner's cookies), as on a first visit. The table
of weights is written to test-results/page-weight.txt.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from flask import current_app, url_for

from tests.browser.conftest import DESKTOP, sign_in
from tests.browser.field_world import lessons_of, read_every_lesson, shipped_course, take_quiz
from tests.certificate_factories import issue

pytestmark = pytest.mark.browser

BUDGET = 60 * 1024
BUDGET_GZIP = 20 * 1024
COUNTED = {"document", "stylesheet", "script"}
REPORT = Path(__file__).resolve().parents[2] / "test-results" / "page-weight.txt"


def _weigh(browser, base_url: str, path: str, state: dict | None) -> dict:
    context = browser.new_context(viewport=DESKTOP, storage_state=state)
    page = context.new_page()
    requests: list[str] = []
    responses = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("response", lambda response: responses.append(response))
    try:
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
        files = []
        for response in responses:
            kind = response.request.resource_type
            if kind not in COUNTED or response.status != 200:
                continue
            body = response.body()
            files.append({"url": response.url, "kind": kind, "bytes": len(body),
                          "gzip": len(gzip.compress(body, compresslevel=6)),
                          "encoding": response.headers.get("content-encoding", ""),
                          "cache": response.headers.get("cache-control", "")})
        fonts = page.evaluate("""() => [...document.fonts].length +
            performance.getEntriesByType("resource").filter(e => /\\.(woff2?|ttf|otf|eot)(\\?|$)/.test(e.name)).length""")
        return {"path": path, "files": files, "requests": requests, "fonts": fonts,
                "bytes": sum(f["bytes"] for f in files), "gzip": sum(f["gzip"] for f in files),
                "status": page.evaluate("document.title") and responses[0].status}
    finally:
        context.close()


def _paths(learner, course) -> tuple[dict[str, str], dict[str, str]]:
    """The learner's pages, and the public pages a learner (or someone checking them) opens."""
    module = course.modules[0]
    read_every_lesson(learner, module)
    reviewed = take_quiz(learner, module, right=False)
    open_attempt = take_quiz(learner, module, right=False, submit=False)
    certificate = issue(learner, course)
    lessons = [lesson for each in course.modules for lesson in lessons_of(learner, each)]
    wanted = [
        ("home", "core.home", {}),
        ("my training", "training.my_training", {}),
        ("course", "training.course", {"course_id": course.id}),
        ("module", "training.module", {"module_id": module.id}),
        *[(f"lesson {n}", "training.lesson", {"lesson_id": lesson.id}) for n, lesson in enumerate(lessons, 1)],
        *[(f"module {n} for printing", "training.module_print", {"module_id": each.id})
          for n, each in enumerate(course.modules, 1)],
        ("quiz intro", "quizzes.intro", {"module_id": module.id}),
        ("quiz question", "quizzes.page", {"attempt_id": open_attempt.id, "number": 1}),
        ("quiz finish", "quizzes.finish", {"attempt_id": open_attempt.id}),
        ("quiz review", "quizzes.result", {"attempt_id": reviewed.id}),
        ("my certificates", "certificates.mine", {}),
        ("certificate QR", "certificates.show_qr", {"certificate_id": certificate.id}),
        ("password", "accounts.change_password", {}),
    ]
    public = [("sign-in", "accounts.sign_in", {}), ("verification page", "verify.certificate", {"code": certificate.code})]
    with current_app.test_request_context():
        return ({label: url_for(endpoint, **values) for label, endpoint, values in wanted},
                {label: url_for(endpoint, **values) for label, endpoint, values in public})


def _state_in(browser, base_url: str, lang: str, user=None) -> dict:
    """Cookies of a (signed-in or anonymous) visitor who chose `lang` with the footer form."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        if user is not None:
            sign_in(page, base_url, user)
        else:
            page.goto(f"{base_url}/sign-in")
        page.locator("#lang-select").select_option(lang)
        page.locator(".lang-form button[type=submit]").click()
        page.wait_for_load_state()
        return context.storage_state()
    finally:
        context.close()


def test_every_learner_page_is_within_budget_in_english_and_arabic(browser, live_server, learner, mission_a, tmp_path):
    course = shipped_course(tmp_path, ("03-six-grave-violations", "05-meeting-children"), required_in=mission_a,
                            quiz={"cooldown_minutes": 0})
    paths, public = _paths(learner, course)
    measured = []
    for lang in ("en", "ar"):
        for who, pages in ((learner, paths), (None, public)):
            state = _state_in(browser, live_server, lang, who)
            measured += [(f"{label} [{lang}]", _weigh(browser, live_server, path, state)) for label, path in pages.items()]

    REPORT.parent.mkdir(exist_ok=True)
    lines = [f"{'page':28} {'files':>5} {'bytes':>8} {'gzip':>7}"]
    lines += [f"{label:28} {len(w['files']):5} {w['bytes']:8} {w['gzip']:7}" for label, w in measured]
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")

    problems = []
    for label, weight in measured:
        if weight["status"] != 200:
            problems.append(f"{label}: answered {weight['status']}")
        if weight["bytes"] >= BUDGET or weight["gzip"] >= BUDGET_GZIP:
            problems.append(f"{label}: {weight['bytes']} bytes, {weight['gzip']} gzipped (budget {BUDGET} / {BUDGET_GZIP})")
        if weight["fonts"]:
            problems.append(f"{label}: loads {weight['fonts']} web font(s)")
        problems += [f"{label}: request left this server: {url}" for url in weight["requests"]
                     if not url.startswith(live_server) and not url.startswith("data:")]
        for file in weight["files"]:
            if file["kind"] == "document":
                continue
            if "/static/" not in file["url"] or file["encoding"] != "gzip":
                problems.append(f"{label}: {file['url']} is not a gzipped static file ({file['encoding'] or 'plain'})")
            if file["cache"] != "public, max-age=31536000, immutable":
                problems.append(f"{label}: {file['url']} is cached as {file['cache']!r}")
    assert not problems, "\n".join(problems) + "\n\n" + REPORT.read_text(encoding="utf-8")
    assert any(w["files"] and any(f["kind"] == "script" for f in w["files"]) for _, w in measured)  # JS counted
