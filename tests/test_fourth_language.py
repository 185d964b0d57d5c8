"""A fourth language is a setting and a catalogue (README, Adding a language): nothing in the code
names en, fr or ar. Swahili (left to right) is configured beside the three with a tiny catalogue
of its own; Persian (right to left) with none, to show the direction comes from the definition.
"""

from __future__ import annotations

import io
import subprocess
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from PIL import Image
from pypdf import PdfReader

from accounts.models import User
from app import create_app
from certificates import pdf
from config import TestConfig
from core import languages
from extensions import db
from reports.reminder_text import Item, compose
from tests import report_factories as rf
from tests.certificate_factories import issue, make_course
from tests.conftest import _empty_tables, login_as

SHIPPED = Path(__file__).resolve().parent.parent / "translations"
# A few Swahili messages: some of the interface, some printed on the certificate, some of the reminder.
SWAHILI = {
    (None, "My profile"): "Wasifu wangu",
    ("certificate", "Certificate of completion"): "Cheti cha kukamilisha",
    ("certificate", "Valid until"): "Halali hadi",
    ("reminder e-mail", "Reminder: child protection training to complete"):
        "Kikumbusho: mafunzo ya ulinzi wa mtoto ya kukamilisha",
    ("reminder e-mail", "Hello {name},"): "Habari {name},",
}


def _catalogue(root: Path) -> Path:
    """translations/sw/LC_MESSAGES/messages.mo under `root`, as `pybabel compile` would write it."""
    catalogue = Catalog(locale="sw")
    for (context, text), translation in SWAHILI.items():
        catalogue.add(text, translation, context=context)
    folder = root / "sw" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as handle:
        write_mo(handle, catalogue)
    return root


@pytest.fixture
def app(make_app, tmp_path):
    """The shared `app` fixture, with Swahili configured: the conftest fixtures (client, learner, ...) use it."""
    directories = f"{SHIPPED};{_catalogue(tmp_path / 'translations')}"
    app = make_app(LANGUAGES=("en", "fr", "ar", "sw"), BABEL_TRANSLATION_DIRECTORIES=directories)
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.rollback()
    _empty_tables()
    Path(app.config["AUDIT_CHECKPOINT_PATH"]).unlink(missing_ok=True)
    db.session.remove()
    ctx.pop()


def _reloaded(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_the_language_switcher_lists_it_and_pages_speak_it(app, client):
    page = client.get("/").get_data(as_text=True)
    assert '<option value="sw" lang="sw" dir="ltr" >Kiswahili</option>' in page
    assert client.post("/language", data={"lang": "sw", "next": "/"}).status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="sw" dir="ltr">' in page
    assert '<option value="sw" lang="sw" dir="ltr" selected>Kiswahili</option>' in page


def test_a_person_picks_it_in_their_profile_and_the_site_follows(app, client, learner):
    login_as(client, learner)
    form = client.get("/account/profile").get_data(as_text=True)
    assert '<option value="sw">Kiswahili</option>' in form
    response = client.post("/account/profile", data={"name": "Lena Learner", "name_arabic": "",
                                                     "preferred_language": "sw", "email": ""})
    assert response.status_code == 302
    assert _reloaded(learner).preferred_language == "sw"  # no CHECK constraint, no migration
    page = client.get("/account/profile").get_data(as_text=True)
    assert '<html lang="sw" dir="ltr">' in page and "Wasifu wangu" in page


def test_a_certificate_is_printed_in_it(app, client, learner):
    learner.preferred_language = "sw"
    db.session.commit()
    course = make_course(title={"en": "Child Protection in Peace Operations",
                                "sw": "Ulinzi wa mtoto katika operesheni za amani"}, languages="en,sw")
    certificate = issue(learner, course)
    assert certificate.language == "sw"
    login_as(client, learner)
    response = client.get(f"/certificates/{certificate.id}/certificate.pdf")
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Cheti cha kukamilisha" in text and "Halali hadi" in text  # from the Swahili catalogue
    assert "Ulinzi wa mtoto katika operesheni za amani" in text
    # Dates in Swahili (Babel's CLDR data), words the catalogue lacks in English rather than missing.
    months = ["Januari", "Februari", "Machi", "Aprili", "Mei", "Juni", "Julai", "Agosti", "Septemba", "Oktoba",
              "Novemba", "Desemba"]
    assert months[certificate.issued_at.month - 1] in text
    assert "This certifies that" in text


def test_a_reminder_is_written_in_it(app, runner, mission_a, mission_b, smtp_server):
    controller, inbox = smtp_server
    inbox.messages.clear()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=False, SMTP_USER="",
                      SMTP_TIMEOUT=5, MAIL_FROM="training@example.org")
    scenario = rf.build(mission_a, mission_b)
    scenario.people["overdue1"].preferred_language = "sw"
    db.session.commit()
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    message = inbox.by_recipient()["over1@example.org"]
    assert message["Subject"] == "Kikumbusho: mafunzo ya ulinzi wa mtoto ya kukamilisha"
    assert message["Content-Language"] == "sw"
    assert "Habari Alpha Overdue One," in message.get_body(("plain",)).get_content()


def test_compose_in_a_language_with_no_catalogue_falls_back_to_english(app):
    subject, body = compose("fa", "Dara", [Item("Course", "due", date(2027, 1, 3))], "https://x/training")
    assert subject == "Reminder: child protection training to complete" and "Hello Dara," in body


# --- right to left, from the definition alone -----------------------------------------------------

def test_a_right_to_left_fourth_language_gets_rtl_pages_without_any_catalogue(make_app):
    app = make_app(LANGUAGES=("en", "fr", "ar", "fa"))
    client = app.test_client()
    with app.app_context():
        persian = languages.configured().get("fa")
    assert (persian.name, persian.direction, persian.start) == ("فارسی", "rtl", "right")
    page = client.get("/").get_data(as_text=True)
    assert '<option value="fa" lang="fa" dir="rtl" >فارسی</option>' in page
    client.post("/language", data={"lang": "fa", "next": "/"})
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in page


def _qr_on_the_left(body: bytes, tmp_path: Path) -> bool:
    (tmp_path / "page.pdf").write_bytes(body)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", str(tmp_path / "page.pdf"), str(tmp_path / "page")],
                   check=True, timeout=60)
    with Image.open(tmp_path / "page.png") as image:
        [found] = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
        return found.position.top_left.x < image.width / 2


def test_a_right_to_left_language_lays_the_certificate_out_mirrored(tmp_path):
    # Urdu is not configured and has no catalogue: the renderer reads the direction from its definition.
    base = dict(serial="CP-2026-ABCDEF", check_code="H7K2PQ", key_id="202611-abcdef12", holder_name="Dara",
                issued_on=date(2026, 1, 31), expires_on=date(2028, 1, 31), course_title="Course",
                verify_url="https://example.org/verify/abc", qr_text="https://example.org/verify/abc#p=CPT1.e30.AA")
    assert _qr_on_the_left(pdf.render(dict(base, language="ur")), tmp_path)
    assert not _qr_on_the_left(pdf.render(dict(base, language="sw")), tmp_path)


def test_a_language_babel_does_not_know_or_too_long_for_the_columns_stops_the_start():
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    for codes in (("en", "fr", "xx-nope"), ("en", "zh_Hant"), ("fr", "ar")):
        with pytest.raises(RuntimeError, match="LANGUAGES setting"):
            create_app({**settings, "LANGUAGES": codes})
