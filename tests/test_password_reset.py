"""Forgotten passwords: the link arrives through a real SMTP server on loopback, works once,
expires after an hour, and dies when the person signs in or their password changes. Everyone
gets the same answer whatever they typed; the token never reaches the database, the audit log
or the application log in clear."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from accounts.models import PasswordReset, SignInSession
from accounts.passwords import verify_password
from audit.models import AuditEvent
from database import utcnow
from extensions import db
from tests import factories
from tests.conftest import login_as
from tests.mail_server import free_port

NEW_PASSWORD = "a brand new sentence"
LINK = re.compile(r"http://localhost/password/reset/([A-Za-z0-9_-]+)")


@pytest.fixture
def inbox(app, smtp_server):
    controller, box = smtp_server
    box.messages.clear()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=False, SMTP_USER="",
                      SMTP_TIMEOUT=5, MAIL_FROM="training@example.org", PUBLIC_BASE_URL="")
    return box


@pytest.fixture
def person(app, mission_a):
    user = factories.make_user(mission=mission_a, email="Amina.Diallo@example.org", name="Amina Diallo",
                               preferred_language="fr")
    db.session.commit()
    return user


def _ask(client, identifier: str):
    answer = client.post("/password/forgot", data={"identifier": identifier})
    answer.get_data()
    answer.close()  # as the server does once the body is sent: the mail leaves then
    return answer


def _token_from(inbox) -> str:
    assert len(inbox.messages) == 1
    found = LINK.search(inbox.messages[0].get_content())
    assert found, inbox.messages[0].get_content()
    return found.group(1)


def _reset(client, token: str, password: str = NEW_PASSWORD):
    return client.post(f"/password/reset/{token}", data={"new": password, "confirm": password})


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_the_sign_in_page_offers_the_link(client):
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'href="/password/forgot"' in page and "Forgot your password?" in page


def test_the_link_arrives_in_the_persons_language_and_works_once(app, client, inbox, person, caplog):
    caplog.set_level(logging.DEBUG)
    answer = _ask(client, "amina.diallo@EXAMPLE.org")
    assert answer.status_code == 200
    message = inbox.messages[0]
    assert message["To"] == "Amina.Diallo@example.org"
    assert message["Content-Language"] == "fr"
    token = _token_from(inbox)

    stored = db.session.scalar(select(PasswordReset))
    assert token not in stored.token_hash and stored.user_id == person.id
    assert stored.expires_at.replace(tzinfo=None) - stored.created_at.replace(tzinfo=None) == timedelta(hours=1)
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")]  # not the test's SMTP server
    assert not any(token in line for line in ours)
    assert all(token not in str(event.details) for event in db.session.scalars(select(AuditEvent)))

    assert client.get(f"/password/reset/{token}").status_code == 200  # opening it spends nothing
    assert _reset(client, token).headers["Location"] == "/sign-in"
    db.session.refresh(person)
    assert verify_password(person.password_hash, NEW_PASSWORD)
    assert [e.target for e in _events("password_reset_used")] == [f"user:{person.id}"]

    again = _reset(client, token, "yet another sentence")
    assert again.status_code == 404 and "This link no longer works" in again.get_data(as_text=True)
    db.session.refresh(person)
    assert verify_password(person.password_hash, NEW_PASSWORD)
    login_as(client, person, NEW_PASSWORD)


def test_the_answer_leaves_before_the_mail(client, inbox, person):
    answer = client.post("/password/forgot", data={"identifier": person.email})
    assert answer.status_code == 200 and inbox.messages == []  # the body is there, no SMTP round trip yet
    answer.close()  # what the server does once the body is sent
    assert [m["To"] for m in inbox.messages] == [person.email]


def test_everyone_gets_the_same_answer_whatever_they_typed(app, client, inbox, person, mission_a):
    no_email = factories.make_user(mission=mission_a, email=None)
    gone = factories.make_user(mission=mission_a, is_active=False)
    db.session.commit()
    answers = {typed: _ask(client, typed) for typed in
               (person.service_number, no_email.service_number, gone.email, "NOBODY-123", "x@nowhere.example")}
    bodies = {typed: re.sub(r'name="csrf_token"[^>]*>', "", a.get_data(as_text=True)) for typed, a in answers.items()}
    assert {a.status_code for a in answers.values()} == {200}
    assert len(set(bodies.values())) == 1
    page = next(iter(bodies.values()))
    assert "ask your unit's focal point or your mission lead for a new activation code".lower() in \
        page.replace("&#39;", "'").lower()
    assert [m["To"] for m in inbox.messages] == [person.email]  # the one person who has an address
    assert db.session.scalar(select(PasswordReset.user_id)) == person.id
    outcomes = [e.details["outcome"] for e in _events("password_reset_requested")]
    assert outcomes == ["link", "no_email", "unknown", "unknown", "unknown"]


def test_bad_passwords_are_refused_and_the_link_stays_usable(client, inbox, person):
    _ask(client, person.email)
    token = _token_from(inbox)
    short = _reset(client, token, "short")
    assert short.status_code == 200 and "Use at least 10 characters." in short.get_data(as_text=True)
    differ = client.post(f"/password/reset/{token}", data={"new": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert "The two passwords differ." in differ.get_data(as_text=True)
    db.session.refresh(person)
    assert verify_password(person.password_hash, factories.PASSWORD)
    assert _reset(client, token).status_code == 302


def test_the_link_expires_after_an_hour(client, inbox, person):
    start = utcnow()
    with freeze_time(start):
        _ask(client, person.email)
    token = _token_from(inbox)
    with freeze_time(start + timedelta(minutes=59)):
        assert client.get(f"/password/reset/{token}").status_code == 200
    with freeze_time(start + timedelta(minutes=61)):
        assert _reset(client, token).status_code == 404
    db.session.refresh(person)
    assert verify_password(person.password_hash, factories.PASSWORD)


def test_the_link_dies_when_the_person_signs_in(client, inbox, person):
    _ask(client, person.email)
    token = _token_from(inbox)
    login_as(client, person)
    assert _reset(client, token).status_code == 404


def test_the_link_dies_when_the_password_changes(app, client, inbox, person):
    _ask(client, person.email)
    token = _token_from(inbox)
    other = app.test_client()
    login_as(other, person)  # (signing in alone would void it too: ask for a fresh one)
    inbox.messages.clear()
    _ask(client, person.email)
    token = _token_from(inbox)
    changed = other.post("/account/password", data={"current": factories.PASSWORD, "new": NEW_PASSWORD,
                                                     "confirm": NEW_PASSWORD})
    assert changed.status_code == 302
    assert _reset(client, token, "someone else's choice").status_code == 404
    db.session.refresh(person)
    assert verify_password(person.password_hash, NEW_PASSWORD)


def test_a_newer_link_voids_the_older_one(client, inbox, person):
    _ask(client, person.email)
    first = _token_from(inbox)
    inbox.messages.clear()
    _ask(client, person.email)
    second = _token_from(inbox)
    assert _reset(client, first).status_code == 404
    assert _reset(client, second).status_code == 302


def test_a_reset_ends_every_session(client, app, inbox, person):
    signed_in = app.test_client()
    login_as(signed_in, person)
    assert signed_in.get("/account/password").status_code == 200
    _ask(client, person.email)
    assert _reset(client, _token_from(inbox)).status_code == 302
    assert signed_in.get("/account/password").status_code == 302  # back to the sign-in page
    assert db.session.scalar(select(SignInSession).where(SignInSession.ended_at.is_(None))) is None


def test_a_link_used_in_a_browser_signed_in_as_someone_else_signs_that_session_out(app, client, inbox, person,
                                                                                  learner):
    _ask(client, person.email)
    token = _token_from(inbox)
    login_as(client, learner)
    assert _reset(client, token).status_code == 302
    assert client.get("/account/password").status_code == 302  # signed out here
    assert db.session.scalar(select(SignInSession).where(SignInSession.user_id == learner.id,
                                                         SignInSession.ended_at.is_(None))) is None


def test_unknown_and_malformed_tokens_get_the_same_page(client, person):
    for token in ("nope", "A" * 43, "x" * 500):
        answer = client.get(f"/password/reset/{token}")
        assert answer.status_code == 404 and "This link no longer works" in answer.get_data(as_text=True)


def test_asking_is_rate_limited_per_account(app, client, inbox, person):
    app.config.update(RESET_LIMIT_PER_ACCOUNT="2 per hour", RESET_LIMIT_PER_ADDRESS="100 per hour")
    assert [_ask(client, person.email).status_code for _ in range(3)] == [200, 200, 429]
    assert len(inbox.messages) == 2
    assert _ask(client, person.service_number).status_code == 200  # another key: only the address counts


def test_asking_and_using_links_is_rate_limited_per_address(app, client, inbox, person):
    app.config.update(RESET_LIMIT_PER_ACCOUNT="100 per hour", RESET_LIMIT_PER_ADDRESS="3 per hour")
    assert [_ask(client, f"someone{n}@example.org").status_code for n in range(4)] == [200, 200, 200, 429]
    assert _reset(client, "A" * 43).status_code == 429


def test_without_smtp_the_page_says_so_and_nothing_is_made(app, client, person):
    app.config.update(SMTP_HOST="")
    page = client.get("/password/forgot").get_data(as_text=True)
    assert "This site cannot send email." in page and 'name="identifier"' not in page
    assert _ask(client, person.email).status_code == 200
    assert db.session.scalar(select(PasswordReset)) is None


def test_a_failed_send_is_audited_without_the_token(app, client, inbox, person):
    app.config.update(SMTP_PORT=free_port())  # nobody listens there
    assert _ask(client, person.email).status_code == 200
    assert [e.details["purpose"] for e in _events("mail_failed")] == ["password_reset"]
