"""Single sign-on in Chromium against a real OpenID provider that nobody here wrote: the npm
`oidc-provider` (tests/oidc/provider.mjs), started on a free loopback port for each test.

A roster person signs in through it and signs out of both; an identity that is nobody on the
roster is refused, nothing is created, the attempt is audited; a tampered `state` and a
tampered `nonce` (changed in the redirect to the provider) fail and sign nobody in, and so does
an ID token whose signature the provider's published keys do not verify.
"""

from __future__ import annotations

import threading
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from joserfc.jwk import KeySet, RSAKey
from playwright.sync_api import expect
from sqlalchemy import func, select
from werkzeug.serving import make_server

from accounts.models import ExternalIdentity, SignInSession, User
from audit.models import AuditEvent
from extensions import db
from tests import factories
from tests.browser.conftest import DESKTOP
from tests.browser.field_world import axe_violations
from tests.oidc.provider import CLIENT_ID, CLIENT_SECRET, running_provider

pytestmark = pytest.mark.browser

PROVIDER_NAME = "UN Test Identity"
ACCOUNTS = {
    "amina": {"email": "amina.diallo@un.example", "email_verified": True, "name": "Amina Diallo"},
    "stranger": {"email": "stranger@elsewhere.example", "email_verified": True, "name": "Not On Roster"},
}


@pytest.fixture
def sso_site(sqlite_only, app, make_app, browser):
    """(base URL, issuer, served app): the app served over HTTP with single sign-on set to a live provider."""
    served = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: served["app"](environ, start), threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    with running_provider(redirect_uri=f"{base}/sso/callback", post_logout_uri=f"{base}/sign-in",
                          accounts=ACCOUNTS) as issuer:
        served["app"] = make_app(WTF_CSRF_ENABLED=True, OIDC_ISSUER=issuer, OIDC_CLIENT_ID=CLIENT_ID,
                                 OIDC_CLIENT_SECRET=CLIENT_SECRET, OIDC_PROVIDER_NAME=PROVIDER_NAME,
                                 PUBLIC_BASE_URL="")
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield base, issuer, served["app"]
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)


def _context(browser, **options):
    context = browser.new_context(viewport=DESKTOP, **options)
    context.set_default_timeout(15_000)
    # The provider's development pages ask for a web font: nothing may leave the machine.
    context.route("**/*", lambda route: route.abort() if urlsplit(route.request.url).hostname != "127.0.0.1"
                  else route.fallback())
    return context


@pytest.fixture
def sso_page(browser, sso_site):
    context = _context(browser)
    yield context.new_page()
    context.close()


@pytest.fixture
def axe_sso_page(browser, sso_site):
    """For the accessibility check: axe is injected as a script the page's CSP would rightly block."""
    context = _context(browser, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def amina(app, mission_a):
    user = factories.make_user(mission=mission_a, email="Amina.Diallo@UN.example", name="Amina Diallo")
    db.session.commit()
    return user


def _sign_in_at_provider(page, base: str, login: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password: the development interaction takes it")
    page.locator("button[type=submit]").click()
    page.get_by_role("button", name="Continue").click()  # consent to the scopes
    page.wait_for_load_state()


def _events(action: str) -> list[AuditEvent]:
    db.session.commit()  # see what the server committed
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _tamper(page, base: str, parameter: str) -> None:
    """Change one parameter of the app's redirect to the provider, as an attacker in the middle would."""
    def handle(route):
        response = route.fetch(max_redirects=0)
        parts = urlsplit(response.headers["location"])
        query = [(k, v + "-tampered" if k == parameter else v) for k, v in parse_qsl(parts.query)]
        assert parameter in dict(query)
        route.fulfill(response=response,
                      headers={**response.headers, "location": urlunsplit(parts._replace(query=urlencode(query)))})

    page.route(f"{base}/sso/start", handle)


def test_a_roster_person_signs_in_with_the_provider_and_out_of_both(sso_site, sso_page, amina, screenshot):
    base, issuer, _app = sso_site
    page = sso_page
    _sign_in_at_provider(page, base, "amina")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert urlsplit(page.url).path == "/"
    screenshot(page, "signed-in-with-provider")

    identity = db.session.scalar(select(ExternalIdentity))
    assert (identity.user_id, identity.provider, identity.subject) == (amina.id, issuer, "amina")
    assert [e.details.get("method") for e in _events("sign_in")] == ["oidc"]
    assert db.session.scalar(select(func.count()).select_from(SignInSession).where(
        SignInSession.user_id == amina.id, SignInSession.ended_at.is_(None))) == 1

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(SignInSession).where(
        SignInSession.ended_at.is_(None))) == 0  # our session ended for good
    provider_sign_out = page.get_by_role("link", name=f"Sign out of {PROVIDER_NAME}")
    assert provider_sign_out.get_attribute("href").startswith(f"{issuer}/session/end?")
    screenshot(page, "signed-out-offering-provider-sign-out")
    provider_sign_out.click()
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{base}/sign-in*")

    # Signed out at the provider too: the next sign-in asks for the login again.
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    expect(page.locator("input[name=login]")).to_be_visible()


def test_an_identity_not_on_the_roster_is_refused_created_nowhere_and_audited(sso_site, axe_sso_page, amina,
                                                                               screenshot):
    base, issuer, _app = sso_site
    page = axe_sso_page
    people = db.session.scalar(select(func.count()).select_from(User))
    _sign_in_at_provider(page, base, "stranger")
    expect(page.get_by_role("heading", name="We do not know this account")).to_be_visible()
    screenshot(page, "unknown-identity")
    assert page.get_by_role("button", name="Sign out").count() == 0
    assert axe_violations(page) == []

    refused = _events("sso_refused")
    assert [(e.details["reason"], e.details["subject"], e.details["value"], e.details["provider"])
            for e in refused] == [("not_on_roster", "stranger", "stranger@elsewhere.example", issuer)]
    assert db.session.scalar(select(func.count()).select_from(User)) == people
    assert db.session.scalar(select(ExternalIdentity)) is None
    assert db.session.scalar(select(SignInSession)) is None
    assert _events("sign_in") == []


@pytest.mark.parametrize(("parameter", "reason"), [("state", "MismatchingStateError"),
                                                   ("nonce", "InvalidClaimError")])
def test_a_tampered_state_or_nonce_signs_nobody_in(sso_site, sso_page, amina, parameter, reason, screenshot):
    base, _issuer, _app = sso_site
    _tamper(sso_page, base, parameter)
    _sign_in_at_provider(sso_page, base, "amina")
    expect(sso_page.get_by_role("heading", name="Sign-in did not work")).to_be_visible()
    screenshot(sso_page, f"tampered-{parameter}")
    assert urlsplit(sso_page.url).path == "/sso/callback"
    assert [e.details["reason"] for e in _events("sso_failed")] == [reason]
    assert db.session.scalar(select(SignInSession)) is None
    assert db.session.scalar(select(ExternalIdentity)) is None
    assert _events("sign_in") == []


def test_an_id_token_the_published_keys_do_not_verify_signs_nobody_in(sso_site, sso_page, amina):
    base, _issuer, served = sso_site
    # The app's copy of the provider's keys is swapped for another key under the same key id, as if
    # the ID token had been signed by someone else: the signature check, not the key id, refuses it.
    with served.app_context():
        client = served.extensions["sso"].create_client("oidc")
        published = client.fetch_jwk_set()["keys"][0]
        impostor = RSAKey.generate_key(2048, parameters={"kid": published["kid"], "use": "sig", "alg": "RS256"})
        client.server_metadata["jwks"] = KeySet([impostor]).as_dict(private=False)
    _sign_in_at_provider(sso_page, base, "amina")
    expect(sso_page.get_by_role("heading", name="Sign-in did not work")).to_be_visible()
    assert [e.details["reason"] for e in _events("sso_failed")] == ["BadSignatureError"]
    assert db.session.scalar(select(SignInSession)) is None
    assert db.session.scalar(select(ExternalIdentity)) is None
