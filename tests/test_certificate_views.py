"""The holder's pages (list, PDF, QR, badge) and the revocation screens of admins and course trainers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from audit.models import AuditEvent
from certificates import badge, keys, services
from certificates.models import Certificate
from extensions import db
from tests import factories
from tests.certificate_factories import issue, make_course
from tests.conftest import login_as


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_my_certificates_lists_status_and_downloads(app, client, learner):
    course = make_course()
    old = issue(learner, course, datetime.now(timezone.utc) - timedelta(days=720))
    new = issue(learner, course)
    login_as(client, learner)
    page = client.get("/certificates").get_data(as_text=True)
    assert new.serial in page and old.serial in page
    assert "status-valid" in page and "status-superseded" in page
    assert f"/certificates/{new.id}/certificate.pdf" in page and f"/certificates/{old.id}/certificate.pdf" not in page
    assert f"/certificates/{new.id}/badge.jwt" in page and f"/certificates/{new.id}/qr" in page


def test_my_certificates_needs_sign_in_and_home_card_links_to_it(app, client, learner):
    assert client.get("/certificates").status_code == 302
    login_as(client, learner)
    assert 'href="/certificates"' in client.get("/").get_data(as_text=True)
    assert "no certificate yet" in client.get("/certificates").get_data(as_text=True)


def test_download_is_audited(app, client, learner):
    certificate = issue(learner, make_course())
    login_as(client, learner)
    response = client.get(f"/certificates/{certificate.id}/certificate.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert f'filename="certificate-{certificate.serial}.pdf"' in response.headers["Content-Disposition"]
    [event] = _events("certificate_downloaded")
    assert event.actor_id == learner.id and event.target == f"certificate:{certificate.serial}"
    assert event.details == {"format": "pdf", "language": "en"}


@pytest.mark.parametrize("path", ["certificate.pdf", "badge.jwt", "qr"])
def test_holder_cannot_get_another_persons_certificate(app, client, learner, mission_a, path):
    someone = factories.make_user(mission=mission_a, name="Someone Else")
    certificate = issue(someone, make_course())
    login_as(client, learner)
    assert client.get(f"/certificates/{certificate.id}/{path}").status_code == 403
    assert client.get(f"/certificates/{certificate.id + 1000}/{path}").status_code == 404
    assert _events("certificate_downloaded") == []


def test_revoked_certificate_is_not_handed_out_again(app, client, learner, admin):
    certificate = issue(learner, make_course())
    services.revoke(certificate, actor=admin, reason="Error")
    db.session.commit()
    login_as(client, learner)
    assert client.get(f"/certificates/{certificate.id}/certificate.pdf").status_code == 403
    assert client.get(f"/certificates/{certificate.id}/badge.jwt").status_code == 403
    assert "Revoked" in client.get("/certificates").get_data(as_text=True)


def test_qr_page_shows_the_code_on_screen(app, client, learner):
    certificate = issue(learner, make_course())
    login_as(client, learner)
    page = client.get(f"/certificates/{certificate.id}/qr").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page and certificate.check_code in page and certificate.serial in page


def test_badge_is_an_open_badges_credential_signed_with_the_published_key(app, client, learner):
    certificate = issue(learner, make_course(description={"en": "Protecting children in peace operations."}))
    login_as(client, learner)
    response = client.get(f"/certificates/{certificate.id}/badge.jwt")
    assert response.status_code == 200 and response.mimetype == "application/jwt"
    published = {kid: entry["public_key"] for kid, entry in client.get("/verify/keys.json").get_json()["keys"].items()}
    claims = badge.verify(response.get_data(as_text=True), published)
    vc = claims  # the payload is the credential itself (Open Badges 3.0, 8.2.4.1)
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert vc["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert vc["id"] == f"http://localhost/verify/{certificate.code}" == claims["jti"]
    assert vc["credentialSubject"]["achievement"]["name"] == "Child Protection in Peace Operations"
    assert vc["credentialSubject"]["achievement"]["description"] == "Protecting children in peace operations."
    assert vc["credentialSubject"]["id"] == claims["sub"] and "Lena" not in response.get_data(as_text=True)
    assert vc["validFrom"].startswith(certificate.issued_at.date().isoformat())
    assert vc["validUntil"].startswith(certificate.expires_at.date().isoformat())
    assert claims["iss"] == vc["issuer"]["id"] == "http://localhost/badges/issuer"
    assert _events("certificate_downloaded")[-1].details == {"format": "badge"}


def test_badge_with_another_key_or_altered_fails_verification(app, client, learner):
    certificate = issue(learner, make_course())
    login_as(client, learner)
    token = client.get(f"/certificates/{certificate.id}/badge.jwt").get_data(as_text=True)
    published = keys.public_keys()
    header, payload, signature = token.split(".")
    altered = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    with pytest.raises(Exception):  # noqa: B017 - joserfc raises its own BadSignatureError
        badge.verify(f"{header}.{altered}.{signature}", published)
    other_key_id = keys.rotate()
    db.session.commit()
    with pytest.raises(ValueError, match="unknown signing key"):
        badge.verify(token, {other_key_id: keys.public_keys()[other_key_id]})


# --- revocation screens ---------------------------------------------------------------------------

@pytest.fixture
def owned_course(trainer):
    return make_course(owner=trainer)


def test_course_owner_revokes_with_a_reason_and_the_page_says_so(app, client, learner, trainer, owned_course):
    certificate = issue(learner, owned_course)
    login_as(client, trainer)
    assert certificate.serial in client.get("/certificates/manage").get_data(as_text=True)
    assert client.get(f"/certificates/{certificate.id}").status_code == 200
    missing_reason = client.post(f"/certificates/{certificate.id}/revoke", data={"revoke-reason": ""})
    assert missing_reason.status_code == 400
    db.session.refresh(certificate)
    assert certificate.status == "valid"
    response = client.post(f"/certificates/{certificate.id}/revoke", data={"revoke-reason": "Wrong person"})
    assert response.status_code == 302
    db.session.refresh(certificate)
    assert certificate.status == "revoked" and certificate.revoked_by_id == trainer.id
    assert _events("certificate_revoked")[-1].actor_id == trainer.id
    assert "Wrong person" in client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    again = client.post(f"/certificates/{certificate.id}/revoke", data={"revoke-reason": "Twice"})
    assert again.status_code == 400 and "already revoked" in again.get_data(as_text=True)


def test_unrevoke_is_logged_and_makes_it_valid(app, client, learner, admin):
    certificate = issue(learner, make_course())
    login_as(client, admin)
    client.post(f"/certificates/{certificate.id}/revoke", data={"revoke-reason": "Check pending"})
    response = client.post(f"/certificates/{certificate.id}/unrevoke", data={"unrevoke-reason": "Checked, it is right"})
    assert response.status_code == 302
    db.session.refresh(certificate)
    assert certificate.status == "valid" and certificate.revoked_at is None
    [event] = _events("certificate_unrevoked")
    assert event.actor_id == admin.id and event.details == {"reason": "Checked, it is right"}
    assert client.get(f"/verify/{certificate.code}.json").get_json()["status"] == "valid"


def test_co_author_may_revoke_but_another_trainer_may_not(app, client, learner, trainer):
    co_author = factories.make_user(roles=["trainer"], name="Co Author")
    outsider = factories.make_user(roles=["trainer"], name="Other Trainer")
    certificate = issue(learner, make_course(owner=trainer, co_authors=[co_author]))
    login_as(client, outsider)
    assert client.get(f"/certificates/{certificate.id}").status_code == 403
    assert client.post(f"/certificates/{certificate.id}/revoke", data={"revoke-reason": "x"}).status_code == 403
    assert certificate.serial not in client.get("/certificates/manage").get_data(as_text=True)
    db.session.refresh(certificate)
    assert certificate.status == "valid" and _events("certificate_revoked") == []
    client.post("/sign-out")
    login_as(client, co_author)
    assert client.post(f"/certificates/{certificate.id}/revoke", data={"revoke-reason": "x"}).status_code == 302
    db.session.refresh(certificate)
    assert certificate.status == "revoked"


def test_learner_and_lead_cannot_revoke(app, client, learner, lead):
    certificate = issue(learner, make_course())
    for user in (learner, lead):
        login_as(client, user)
        assert client.get("/certificates/manage").status_code == 403
        assert client.post(f"/certificates/{certificate.id}/revoke", data={"revoke-reason": "x"}).status_code == 403
        client.post("/sign-out")
    assert db.session.get(Certificate, certificate.id).status == "valid"


def test_manage_search_finds_by_serial_and_name(app, client, admin, learner, mission_a):
    course = make_course()
    mine = issue(learner, course)
    other = issue(factories.make_user(mission=mission_a, name="Omar Other"), course)
    login_as(client, admin)
    by_serial = client.get("/certificates/manage", query_string={"q": mine.serial.lower()}).get_data(as_text=True)
    assert mine.serial in by_serial and other.serial not in by_serial
    by_name = client.get("/certificates/manage", query_string={"q": "omar"}).get_data(as_text=True)
    assert other.serial in by_name and mine.serial not in by_name
