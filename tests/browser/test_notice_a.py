"""Issue 19 (part A) in a real browser: the profile language decides the certificate, which also
downloads in Arabic (same serial, both verify); a mistyped check code answered on /verify's form;
the top bar per role; the HQ table on a 360 px phone. Screenshots and the PDFs' pages as PNG go to
test-results/ for a person to look at."""

from __future__ import annotations

import io
import subprocess

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from certificates import keys, signing
from certificates.models import Certificate
from extensions import db
from tests import report_factories as rf
from tests.browser.conftest import sign_in
from tests.browser.field_world import (
    axe_violations,
    choose_language,
    describe,
    read_every_lesson,
    shipped_course,
    take_quiz,
)
from tests.certificate_factories import issue, make_course

pytestmark = pytest.mark.browser


def _download(page, link) -> bytes:
    with page.expect_download() as info:
        link.click()
    return info.value.path().read_bytes()


def _pdf_png(body: bytes, path) -> Image.Image:
    """The PDF's page as a picture, drawn by poppler (pdftoppm), as a person would see it."""
    pdf = path.with_suffix(".pdf")
    pdf.write_bytes(body)
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-singlefile", str(pdf), str(path.with_suffix(""))], check=True)
    return Image.open(path)


def test_learner_sets_french_gets_a_french_certificate_and_downloads_it_in_arabic(
        new_page, live_server, learner, mission_a, tmp_path, screenshot):
    course = shipped_course(tmp_path, ("01-why-child-protection",), required_in=mission_a)
    page = new_page()
    sign_in(page, live_server, learner)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My profile").click()
    page.get_by_label("Name on certificates (Latin letters)").fill("Lena Learner")
    page.get_by_label("Name on certificates in Arabic script (optional)").fill("لينا ليرنر")
    page.get_by_label("Language").first.select_option("fr")
    screenshot(page, "profile-filled")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Votre profil est enregistré.")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "fr"
    screenshot(page, "profile-saved-fr")

    # Study and pass the course (the quiz's own browser walk is in test_nojs_journey).
    module = course.modules[0]
    db.session.commit()  # drop the test's snapshot: the server wrote the profile meanwhile
    db.session.refresh(learner)
    assert learner.preferred_language == "fr"
    read_every_lesson(learner, module)
    take_quiz(learner, module, right=True)
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id))
    assert certificate.language == "fr" and certificate.holder_name_arabic == "لينا ليرنر"

    page.locator(".site-header nav").get_by_role("link", name="Mes certificats").click()
    screenshot(page, "my-certificates-fr")
    row = page.get_by_role("row").filter(has_text=certificate.serial)
    french = _download(page, row.get_by_role("link", name="PDF"))
    arabic = _download(page, row.get_by_role("link", name="العربية"))

    results = screenshot(page, "my-certificates-fr").parent
    public = keys.public_keys()
    payloads = []
    for label, body, words in (("fr", french, "Certificat de réussite"), ("ar", arabic, None)):
        text = PdfReader(io.BytesIO(body)).pages[0].extract_text()
        assert certificate.serial in text and certificate.check_code in text
        if words:
            assert words in text and "La protection de l'enfance" in text
        image = _pdf_png(body, results / f"certificate-{label}.png")
        [qr_text] = [found.text for found in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
        url, payload = qr_text.split("#p=")
        assert url == f"{live_server}/verify/{certificate.code}"
        claims = signing.verify_payload(payload, public)  # both verify, with the same signed claims
        assert claims.serial == certificate.serial
        payloads.append(payload)
    assert payloads[0] == payloads[1]

    page.goto(f"{live_server}/verify/{certificate.code}")
    expect(page.locator(".verdict")).to_contain_text("Valide")
    expect(page.locator("main")).to_contain_text("Lena Learner")
    screenshot(page, "verify-page")


def test_a_wrong_check_code_is_answered_on_the_form(page, live_server, learner, screenshot):
    certificate = issue(learner, make_course())
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Verify a certificate").first.click()
    page.get_by_label("Serial").fill(certificate.serial)
    page.get_by_label("Check code").fill("ZZZZZZ")
    page.get_by_role("button", name="Check").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("No certificate matches this serial and check code. Check both and try again.")
    assert page.get_by_label("Serial").input_value() == certificate.serial
    screenshot(page, "wrong-check-code")
    page.get_by_label("Check code").fill(certificate.check_code)
    page.get_by_role("button", name="Check").click()
    assert page.url == f"{live_server}/verify/{certificate.code}"


ROLES = {"learner": "learner", "trainer": "trainer", "lead": "lead", "hq": "hq", "admin": "admin"}


@pytest.mark.parametrize("who", list(ROLES))
def test_top_bar_per_role(request, who, new_page, live_server, screenshot):
    user = request.getfixturevalue(who)
    page = new_page(bypass_csp=True)
    sign_in(page, live_server, user)
    header = page.locator(".site-header")
    expect(header.get_by_role("link", name="My certificates")).to_be_visible()
    header.screenshot(path=str(screenshot(page, "home").parent / "top-bar.png"))
    phone = new_page(viewport={"width": 360, "height": 800}, is_mobile=True, has_touch=True, bypass_csp=True)
    sign_in(phone, live_server, user)
    choose_language(phone, live_server, "ar")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.locator(".site-header").screenshot(path=str(screenshot(phone, "home-ar-phone").parent / "top-bar-ar-phone.png"))
    violations = axe_violations(phone)
    assert not violations, describe({f"home [{who}, ar, phone]": violations})


@pytest.mark.parametrize("language", ["en", "ar"])
def test_hq_view_fits_a_phone(new_page, live_server, mission_a, mission_b, hq, language, screenshot):
    scenario = rf.build(mission_a, mission_b)
    phone = new_page(viewport={"width": 360, "height": 800}, is_mobile=True, has_touch=True, bypass_csp=True)
    sign_in(phone, live_server, hq)
    if language != "en":
        choose_language(phone, live_server, language)
    phone.goto(f"{live_server}/hq")
    phone.wait_for_load_state("networkidle")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll of the page
    row = phone.locator(".hq-table tbody tr").filter(has_text=scenario.mission.code)
    box = row.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360  # the whole mission block is on screen
    violations = axe_violations(phone)
    assert not violations, describe({f"hq [{language}, phone]": violations})
    screenshot(phone, f"hq-{language}-phone")


def test_dashboards_are_as_wide_as_their_header(page, live_server, mission_a, mission_b, hq, screenshot):
    rf.build(mission_a, mission_b)
    sign_in(page, live_server, hq)
    page.goto(f"{live_server}/hq")
    header = page.locator(".header-row").bounding_box()
    main = page.locator("main").bounding_box()
    assert abs(header["width"] - main["width"]) < 1 and abs(header["x"] - main["x"]) < 1
    screenshot(page, "hq-desktop")


def test_profile_and_verify_pages_in_arabic_on_a_phone(new_page, live_server, learner, screenshot):
    certificate = issue(learner, make_course())
    phone = new_page(viewport={"width": 360, "height": 800}, is_mobile=True, has_touch=True, bypass_csp=True)
    sign_in(phone, live_server, learner)  # the sign-in helper reads the English labels
    choose_language(phone, live_server, "ar")
    phone.goto(f"{live_server}/verify")
    phone.locator("#serial").fill(certificate.serial)
    phone.locator("#check_code").fill("ZZZZZZ")
    phone.locator("main form button[type=submit]").click()
    expect(phone.get_by_role("alert")).to_have_text(
        "لا توجد شهادة تطابق هذا الرقم التسلسلي ورمز التحقق. تحقّق من كليهما وحاول مرة أخرى.")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    violations = {"verify [ar, phone]": axe_violations(phone)}
    screenshot(phone, "verify-wrong-code-ar-phone")

    phone.goto(f"{live_server}/account/profile")
    assert phone.locator("html").get_attribute("dir") == "rtl"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    violations["profile [ar, phone]"] = axe_violations(phone)
    screenshot(phone, "profile-ar-phone")
    assert not any(violations.values()), describe(violations)
