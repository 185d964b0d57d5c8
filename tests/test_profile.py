"""The profile page (names on certificates, language, e-mail), the footer's "keep this language",
and a certificate downloaded in each of its course's languages with the same signed claims."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from accounts.models import User
from audit.models import AuditEvent
from certificates import keys, services, signing
from extensions import db
from tests import factories
from tests.certificate_factories import issue, make_course
from tests.conftest import login_as

FORM = {"name": "Amina Diallo", "name_arabic": "أمينة ديالو", "preferred_language": "fr",
        "email": "Amina.Diallo@Example.org"}


def _reloaded(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_profile_saves_names_language_and_email_and_switches_the_screen(app, client, learner):
    login_as(client, learner)
    assert client.get("/account/profile").status_code == 200
    response = client.post("/account/profile", data=FORM)
    assert response.status_code == 302 and response.headers["Location"] == "/account/profile"
    user = _reloaded(learner)
    assert (user.name, user.name_arabic, user.preferred_language, user.email) == (
        "Amina Diallo", "أمينة ديالو", "fr", "amina.diallo@example.org")
    page = client.get("/account/profile").get_data(as_text=True)
    assert '<html lang="fr"' in page and "Mon profil" in page
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "profile_changed")).all()
    assert event.actor_id == learner.id and event.details == {"fields": "name,name_arabic,preferred_language,email"}
    assert "Amina" not in str(event.details)  # which fields changed, never their values


def test_profile_saves_when_the_email_is_unchanged(app, client, learner):
    login_as(client, learner)
    response = client.post("/account/profile", data={**FORM, "email": learner.email.upper()})
    assert response.status_code == 302
    assert _reloaded(learner).preferred_language == "fr"


def test_profile_refuses_bad_input_and_changes_nothing(app, client, learner, mission_a):
    someone = factories.make_user(mission=mission_a, email="taken@example.org")
    db.session.commit()
    login_as(client, learner)
    cases = [
        ({"name": ""}, "This field is required."),
        ({"name": "أمينة"}, "Write your name in Latin letters, as in your passport."),
        ({"name_arabic": "Amina"}, "Write this name in Arabic script only, or leave it empty."),
        ({"email": "TAKEN@example.org"}, "Another person already uses this email address."),
        ({"email": "not an address"}, "Invalid email address."),
        ({"preferred_language": "de"}, "Not a valid choice."),
    ]
    for change, message in cases:
        response = client.post("/account/profile", data={**FORM, **change})
        assert response.status_code == 200 and message in response.get_data(as_text=True), change
    user = _reloaded(learner)
    assert (user.name, user.name_arabic, user.preferred_language) == ("Lena Learner", None, "en")
    assert someone.email == "taken@example.org"


def test_profile_strips_bidi_controls_from_names(app, client, learner):
    login_as(client, learner)
    client.post("/account/profile", data={**FORM, "name": "Amina\u202e Diallo"})
    assert _reloaded(learner).name == "Amina Diallo"


def test_footer_switch_keeps_the_language_only_when_asked(app, client, learner):
    login_as(client, learner)
    client.post("/language", data={"lang": "ar", "next": "/"})
    assert _reloaded(learner).preferred_language == "en"  # the screen only
    client.post("/language", data={"lang": "fr", "next": "/", "keep": "y"})
    assert _reloaded(learner).preferred_language == "fr"


def test_signed_out_footer_offers_no_keep_box_and_the_choice_still_works(app, client):
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'name="keep"' not in page
    assert client.post("/language", data={"lang": "fr", "next": "/", "keep": "y"}).status_code == 302
    assert '<html lang="fr"' in client.get("/sign-in").get_data(as_text=True)


def _pdf_text(body: bytes) -> str:
    return PdfReader(io.BytesIO(body)).pages[0].extract_text()


def test_certificate_is_issued_in_the_profile_language_and_downloads_in_every_course_language(
        app, client, learner):
    learner.preferred_language = "fr"
    learner.name_arabic = "لينا"
    db.session.commit()
    course = make_course()
    certificate = issue(learner, course)
    assert certificate.language == "fr" and certificate.holder_name_arabic == "لينا"
    assert certificate.course_title == "Protection de l’enfance dans les opérations de paix"
    login_as(client, learner)
    page = client.get("/certificates").get_data(as_text=True)
    for code in ("en", "ar"):
        assert f"/certificates/{certificate.id}/certificate.pdf?lang={code}" in page
    assert "certificate.pdf?lang=fr" not in page  # the issue language is the plain PDF link

    french = client.get(f"/certificates/{certificate.id}/certificate.pdf")
    arabic = client.get(f"/certificates/{certificate.id}/certificate.pdf?lang=ar")
    english = client.get(f"/certificates/{certificate.id}/certificate.pdf?lang=en")
    assert {french.status_code, arabic.status_code, english.status_code} == {200}
    assert f'certificate-{certificate.serial}-ar.pdf' in arabic.headers["Content-Disposition"]
    assert "Certificat de réussite" in _pdf_text(french.data)
    assert "Child Protection in Peace Operations" in _pdf_text(english.data)
    for body in (french.data, arabic.data, english.data):
        text = _pdf_text(body)
        assert certificate.serial in text and certificate.check_code in text
    # The signed claims are those of the issue, whatever the PDF's language.
    claims = signing.verify_payload(services.payload_of(certificate), keys.public_keys())
    assert claims.course == certificate.course_title and claims.name == "Lena Learner"


def test_certificate_download_refuses_a_language_the_course_does_not_offer(app, client, learner):
    certificate = issue(learner, make_course(languages="en,fr"))
    login_as(client, learner)
    assert client.get(f"/certificates/{certificate.id}/certificate.pdf?lang=ar").status_code == 404
    assert client.get(f"/certificates/{certificate.id}/certificate.pdf?lang=xx").status_code == 404
    assert client.get(f"/certificates/{certificate.id}/certificate.pdf?lang=fr").status_code == 200
