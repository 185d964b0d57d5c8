"""Browser tests: a live server in a thread and the system Chromium driven by Playwright.

Browser tests run on SQLite only. Each one exercises the HTML, the CSS and the browser; the
database engine underneath is covered by the rest of the suite, so the PostgreSQL run of the
same test would only repeat it. Screenshots go to test-results/<test name>/ (gitignored).
"""

from __future__ import annotations

import os
import re
import socket
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def sqlite_only(database):
    """Run a browser test once: on SQLite. The PostgreSQL parameter would repeat it, not add to it."""
    if database["engine"] != "sqlite":
        pytest.skip("browser tests run once, on SQLite; the PostgreSQL run would only repeat them")


# Set by tests/browser/test_offline.py's cut_network: the server end of the link is down too.
LINK_DOWN = threading.Event()


def _unplugged_when_down(wsgi_app):
    """While LINK_DOWN is set, every request's connection is closed unanswered, as a dead link
    would leave it: Chromium's offline emulation reaches a freshly opened document a moment late,
    so its first request can still leave the browser, and it must not arrive either."""
    def app(environ, start_response):
        if LINK_DOWN.is_set():
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)  # werkzeug then drops the connection
            start_response("503 Service Unavailable", [("Content-Length", "0")])
            return [b""]
        return wsgi_app(environ, start_response)
    return app


@pytest.fixture
def live_server(sqlite_only, app, make_app):
    """Base URL of the app served over real HTTP from a background thread.

    It depends on `app` so that tables are emptied after the test and so that the test can
    create data in its app context (commit it before the browser asks for it). The served
    app checks CSRF like production does, so the real forms are exercised.
    """
    served = make_app(WTF_CSRF_ENABLED=True)
    LINK_DOWN.clear()
    server = make_server("127.0.0.1", 0, _unplugged_when_down(served), threaded=True)
    # A short poll interval so that shutdown() returns at once instead of after half a second.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server",
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium per xdist worker."""
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is missing: install it with `apt-get install chromium`"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _new_page(browser, **options):
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture
def page(browser, live_server):
    """A desktop-sized page in a fresh context (no cookies shared between tests)."""
    context, new_page = _new_page(browser, viewport=DESKTOP)
    yield new_page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    """A 360 px wide phone page (touch, mobile viewport) in a fresh context."""
    context, new_page = _new_page(browser, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    yield new_page
    context.close()


@pytest.fixture
def new_page(browser, live_server):
    """Make extra pages with their own context options (e.g. java_script_enabled=False)."""
    contexts = []

    def make(**options):
        context, made = _new_page(browser, **{"viewport": DESKTOP, **options})
        contexts.append(context)
        return made

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot(request):
    """Save a full-page screenshot to test-results/<test name>/<label>.png and return its path."""
    folder = request.config.rootpath / "test-results" / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")

    def take(target_page, label: str) -> Path:
        from playwright.sync_api import Error as PlaywrightError

        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{label}.png"
        try:
            target_page.screenshot(path=str(path), full_page=True)
        except PlaywrightError as error:  # Chromium now and then answers "Unable to capture screenshot"
            if "Unable to capture screenshot" not in str(error):  # on a busy machine: one more try
                raise
            target_page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page, base_url: str, user, password: str = PASSWORD) -> None:
    """Sign in through the real form, as a person would."""
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email or service number").fill(user.service_number)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
