from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from accounts import services
from accounts.models import SignInSession, User
from audit.models import AuditEvent
from extensions import db
from tests.conftest import login_as
from tests.factories import PASSWORD


def test_sign_in_with_service_number_and_email(client, learner):
    assert client.post("/sign-in", data={"identifier": learner.service_number.lower(), "password": PASSWORD}).status_code == 302
    client.post("/sign-out")
    response = client.post("/sign-in", data={"identifier": learner.email.upper(), "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert b"Lena Learner" in client.get("/").data


def test_the_sign_in_lookup_searches_indexes_not_the_whole_table(app, learner, engine_name):
    """Service number or e-mail in any case: two index searches (ix_users_email_lower), not a
    read of everyone, on every sign-in, reset link and single sign-on."""
    sent = []
    listener = lambda _conn, _cursor, statement, parameters, *_rest: sent.append((statement, parameters))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert services.find_user_for_sign_in(learner.email.upper()).id == learner.id
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    statement, parameters = next((s, p) for s, p in sent if "lower(users.email)" in s)
    raw = db.session.connection().connection.driver_connection
    if engine_name == "sqlite":
        plan = [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters)]
        assert not [step for step in plan if step.startswith("SCAN")], plan
        assert any("ix_users_email_lower" in step for step in plan), plan
    else:
        # The planner may prefer a scan on a table this small; without scans it must find the index.
        with raw.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = " ".join(row[0] for row in cursor.fetchall())
        assert "ix_users_email_lower" in plan and "Seq Scan" not in plan, plan


def _comparable(page: bytes, service_number: str) -> bytes:
    """The page less what the person typed and the CSRF tokens (signed with a timestamp, so two
    requests a second apart carry different ones whoever signs in)."""
    page = page.replace(b"NOBODY-123", b"").replace(service_number.encode(), b"")
    return re.sub(rb'name="csrf_token" value="[^"]*"', b"", page)


def test_unknown_account_and_wrong_password_get_the_same_answer(client, learner):
    wrong = client.post("/sign-in", data={"identifier": learner.service_number, "password": "not the password"})
    unknown = client.post("/sign-in", data={"identifier": "NOBODY-123", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 200
    assert _comparable(wrong.data, learner.service_number) == _comparable(unknown.data, learner.service_number)
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "sign_in_failed")) == 2


def test_deactivated_account_cannot_sign_in(client, learner):
    learner.is_active = False
    db.session.commit()
    response = client.post("/sign-in", data={"identifier": learner.service_number, "password": PASSWORD})
    assert response.status_code == 200 and b"do not match an active account" in response.data


@pytest.mark.parametrize("target", [
    "//evil.example", "/\\evil.example", "////evil.example", "https://evil.example/", "%2F%2Fevil.example",
    "/%2F%2Fevil.example".replace("/%2F", "%2F%2F"), "%2f%5cevil.example", "javascript:alert(1)", "\\\\evil.example",
    "/%09/evil.example", "http:/evil.example",
])
def test_next_never_leaves_the_site(client, learner, target):
    response = client.post("/sign-in", data={"identifier": learner.service_number, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_goes_to_a_local_path(client, learner):
    response = client.post("/sign-in", data={"identifier": learner.service_number, "password": PASSWORD,
                                              "next": "/account/password?x=1"})
    assert response.headers["Location"] == "/account/password?x=1"


def test_protected_page_sends_anonymous_to_sign_in_with_next(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and "/sign-in?next=" in response.headers["Location"]


def _cookie_jar(client) -> dict[str, str]:
    return {cookie.key: cookie.value for cookie in client._cookies.values()}


def _replay(app, cookies: dict[str, str]):
    thief = app.test_client()
    for key, value in cookies.items():
        thief.set_cookie(key, value)
    return thief.get("/account/password")


def test_cookie_copied_before_sign_out_stops_working(app, client, learner):
    login_as(client, learner, remember=True)
    stolen = _cookie_jar(client)
    assert "remember_token" in stolen
    assert _replay(app, stolen).status_code == 200
    client.post("/sign-out")
    assert _replay(app, stolen).status_code == 302
    only_remember = {"remember_token": stolen["remember_token"]}
    assert _replay(app, only_remember).status_code == 302


def test_cookie_copied_before_password_change_stops_working(app, client, learner):
    login_as(client, learner)
    other_device = app.test_client()
    login_as(other_device, learner, remember=True)
    stolen = _cookie_jar(other_device)
    response = client.post("/account/password", data={"current": PASSWORD, "new": "a brand new passphrase",
                                                      "confirm": "a brand new passphrase"})
    assert response.status_code == 302
    assert _replay(app, stolen).status_code == 302
    assert client.get("/account/password").status_code == 200  # the device that changed it stays in


def test_cookie_copied_before_deactivation_stops_working(app, client, learner, admin):
    login_as(client, learner, remember=True)
    stolen = _cookie_jar(client)
    from accounts.services import set_active

    set_active(db.session.get(User, learner.id), False, actor=admin)
    db.session.commit()
    assert _replay(app, stolen).status_code == 302


def test_session_expires(app, client, learner):
    login_as(client, learner)
    row = db.session.scalar(select(SignInSession))
    row.expires_at = row.expires_at - timedelta(days=30)
    db.session.commit()
    assert client.get("/account/password").status_code == 302


def test_remember_cookie_flags(app, client, learner):
    response = client.post("/sign-in", data={"identifier": learner.service_number, "password": PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    assert "HttpOnly" in remember and "SameSite=Lax" in remember and "Expires=" in remember
    session = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session


def test_admin_set_password_must_be_changed(client, learner, admin):
    from accounts.services import set_password

    set_password(db.session.get(User, learner.id), "temporary pass 123", actor=admin, must_change=True)
    db.session.commit()
    response = client.post("/sign-in", data={"identifier": learner.service_number, "password": "temporary pass 123"})
    assert response.headers["Location"] == "/account/password"
    assert client.get("/").headers["Location"] == "/account/password"
    weak = client.post("/account/password", data={"current": "temporary pass 123", "new": "short", "confirm": "short"})
    assert b"at least 10 characters" in weak.data
    client.post("/account/password", data={"current": "temporary pass 123", "new": "my own passphrase",
                                           "confirm": "my own passphrase"})
    assert client.get("/").status_code == 200
    assert db.session.get(User, learner.id).must_change_password is False


def test_wrong_current_password_changes_nothing(client, learner):
    login_as(client, learner)
    before = db.session.scalar(select(User.password_hash).where(User.id == learner.id))
    response = client.post("/account/password", data={"current": "wrong", "new": "a brand new passphrase",
                                                      "confirm": "a brand new passphrase"})
    assert b"current password is wrong" in response.data
    db.session.expire_all()
    assert db.session.scalar(select(User.password_hash).where(User.id == learner.id)) == before


def test_passwords_are_argon2id(learner):
    assert learner.password_hash.startswith("$argon2id$")


def test_sign_in_is_rate_limited_per_account(make_app, learner):
    """Failed sign-ins count per account and address (tests/test_signin_limits.py has the rest)."""
    app = make_app(SIGNIN_LIMIT_PER_ACCOUNT="3 per minute", SIGNIN_LIMIT_PER_ADDRESS="100 per minute")
    client = app.test_client()
    codes = [client.post("/sign-in", data={"identifier": learner.service_number, "password": "bad"}).status_code
             for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    other = client.post("/sign-in", data={"identifier": "someone-else", "password": "bad"})
    assert other.status_code == 200


def test_sign_in_is_rate_limited_per_address(make_app, learner):
    app = make_app(SIGNIN_LIMIT_PER_ACCOUNT="100 per minute", SIGNIN_LIMIT_PER_ADDRESS="3 per minute")
    client = app.test_client()
    codes = [client.post("/sign-in", data={"identifier": f"user{i}", "password": "bad"}).status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    assert "Retry-After" in client.post("/sign-in", data={"identifier": "x", "password": "y"}).headers


def test_the_sign_in_form_is_shown_whatever_the_limits(make_app, learner):
    """The limits are on signing in (POST), not on showing the form: its GET is a view of its own."""
    app = make_app(SIGNIN_LIMIT_PER_ACCOUNT="1 per minute", SIGNIN_LIMIT_PER_ADDRESS="2 per minute")
    client = app.test_client()
    assert [client.get("/sign-in").status_code for _ in range(5)] == [200] * 5
    codes = [client.post("/sign-in", data={"identifier": learner.service_number, "password": "bad"}).status_code
             for _ in range(3)]
    assert codes == [200, 429, 429]
    page = client.get("/sign-in?next=/training")
    assert page.status_code == 200 and b'name="next" type="hidden" value="/training"' in page.data


def test_the_session_identifier_is_not_hashed_while_session_protection_is_off(app, client, learner, monkeypatch):
    """Sign-ins are server-side rows, so Flask-Login's session protection is off; its identifier
    (a SHA-512 of address and browser) is made only if a setting turns protection on."""
    import flask_login.utils

    from accounts import sessions

    made = []  # Flask-Login hashes the identifier with its module's sha512, whoever asks for it
    real = flask_login.utils.sha512
    monkeypatch.setattr(flask_login.utils, "sha512", lambda *args: made.append(1) or real(*args))
    assert client.post("/sign-in", data={"identifier": learner.service_number, "password": PASSWORD}).status_code == 302
    assert b"Lena Learner" in client.get("/").data
    assert made == []
    app.config["SESSION_PROTECTION"] = "basic"
    with app.test_request_context("/", headers={"User-Agent": "Chromium"}):
        assert re.fullmatch(r"[0-9a-f]{128}", sessions.session_identifier())
    assert made == [1]
