"""Who a verified OpenID identity is here (accounts.sso.resolve), and when the button shows.
The protocol itself runs against a real provider in tests/browser/test_sso.py."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from accounts import sso
from accounts.models import ExternalIdentity, User
from audit.models import AuditEvent
from extensions import db
from tests import factories

ISSUER = "https://login.un.example"


@pytest.fixture
def configured(app):
    app.config.update(OIDC_ISSUER=ISSUER, OIDC_CLIENT_ID="client", OIDC_CLIENT_SECRET="secret",
                      OIDC_USER_CLAIM="email", OIDC_USER_FIELD="", OIDC_PROVIDER_NAME="UN Login")
    return app


@pytest.fixture
def amina(app, mission_a):
    user = factories.make_user(mission=mission_a, email="Amina.Diallo@un.example", service_number="PK-7001")
    db.session.commit()
    return user


def _identities() -> list[tuple[int, str, str]]:
    return [(i.user_id, i.provider, i.subject) for i in db.session.scalars(select(ExternalIdentity))]


def test_a_verified_email_links_the_roster_person_once(configured, amina):
    user, why = sso.resolve({"sub": "abc-1", "email": "amina.diallo@UN.example", "email_verified": True})
    assert (user, why) == (amina, "new_link")
    assert _identities() == [(amina.id, ISSUER, "abc-1")]
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.target == f"user:{amina.id}")) \
        == "external_identity_linked"
    # Later the subject decides, whatever the e-mail has become at the provider.
    assert sso.resolve({"sub": "abc-1", "email": "renamed@un.example"}) == (amina, "linked")
    assert len(_identities()) == 1


@pytest.mark.parametrize(("claims", "reason"), [
    ({"sub": "x", "email": "nobody@un.example"}, "not_on_roster"),
    ({"sub": "x"}, "not_on_roster"),  # no identifying claim at all
    ({"sub": "x", "email": "amina.diallo@un.example", "email_verified": False}, "not_on_roster"),
    ({"sub": "x", "email": "  "}, "not_on_roster"),
])
def test_identities_that_are_nobody_here_create_nothing(configured, amina, claims, reason):
    people = db.session.scalar(select(func.count()).select_from(User))
    assert sso.resolve(claims) == (None, reason)
    assert _identities() == []
    assert db.session.scalar(select(func.count()).select_from(User)) == people


def test_a_deactivated_person_is_refused_linked_or_not(configured, amina):
    sso.resolve({"sub": "abc-1", "email": amina.email})
    amina.is_active = False
    db.session.commit()
    assert sso.resolve({"sub": "abc-1"}) == (None, "deactivated")
    assert sso.resolve({"sub": "abc-2", "email": amina.email}) == (None, "deactivated")


def test_a_second_identity_at_the_same_provider_is_not_linked(configured, amina):
    sso.resolve({"sub": "abc-1", "email": amina.email})
    assert sso.resolve({"sub": "someone-else", "email": amina.email}) == (None, "other_identity_linked")
    assert _identities() == [(amina.id, ISSUER, "abc-1")]


def test_a_service_number_claim_finds_the_person_by_service_number(configured, amina):
    configured.config.update(OIDC_USER_CLAIM="employee_number")
    assert sso.user_field() == "service_number"
    assert sso.resolve({"sub": "s-9", "employee_number": "pk-7001", "email": "other@un.example"}) \
        == (amina, "new_link")


def test_the_refusal_is_audited_without_secrets(configured, amina):
    sso.record_refusal({"sub": "x", "email": "nobody@un.example"}, "not_on_roster")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sso_refused"))
    assert event.details == {"provider": ISSUER, "subject": "x", "reason": "not_on_roster", "claim": "email",
                             "value": "nobody@un.example"}


def test_a_token_answer_without_an_id_token_is_refused(configured):
    with pytest.raises(sso.MissingIdToken):
        sso.claims_of({"access_token": "a", "token_type": "Bearer"})


def test_the_button_shows_only_when_configured(make_app):
    plain = make_app()
    client = plain.test_client()
    assert "Sign in with" not in client.get("/sign-in").get_data(as_text=True)
    assert client.get("/sso/start").status_code == 404
    assert client.get("/sso/callback?code=x&state=y").status_code == 404
    configured_app = make_app(OIDC_ISSUER=ISSUER, OIDC_CLIENT_ID="client", OIDC_CLIENT_SECRET="secret",
                              OIDC_PROVIDER_NAME="UN Login")
    page = configured_app.test_client().get("/sign-in").get_data(as_text=True)
    assert 'href="/sso/start"' in page and "Sign in with UN Login" in page
    wrong = configured_app.test_client().post("/sign-in", data={"identifier": "nobody", "password": "wrong one"})
    assert "Sign in with UN Login" in wrong.get_data(as_text=True)  # still offered after a wrong password


def test_a_callback_that_matches_no_state_fails_and_is_audited(make_app, app):
    configured_app = make_app(OIDC_ISSUER=ISSUER, OIDC_CLIENT_ID="client", OIDC_CLIENT_SECRET="secret")
    answer = configured_app.test_client().get("/sso/callback?code=x&state=forged")
    assert answer.status_code == 400 and "Sign-in did not work" in answer.get_data(as_text=True)
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sso_failed"))
    assert event.details["reason"] == "MismatchingStateError"
    assert "forged" not in str(event.details)
