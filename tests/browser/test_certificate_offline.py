"""The offline checker in a real browser: WebCrypto Ed25519, keys from the page, no network request."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from certificates import documents, qr, services
from tests.certificate_factories import issue, make_course

pytestmark = pytest.mark.browser


def _flip(payload: str) -> str:
    prefix, body, signature = payload.split(".")
    middle = len(body) // 2
    return ".".join([prefix, body[:middle] + ("A" if body[middle] != "A" else "B") + body[middle + 1:], signature])


def test_offline_check_accepts_the_genuine_payload_and_rejects_one_changed_character(page, live_server, learner,
                                                                                  screenshot):
    certificate = issue(learner, make_course())
    text = qr.qr_text(documents.verify_url(certificate.code, live_server), services.payload_of(certificate))
    page.goto(f"{live_server}/verify/offline")
    page.wait_for_load_state("networkidle")
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    page.get_by_label("Text of the QR code").fill(text)
    page.get_by_role("button", name="Check the signature").click()
    result = page.locator("#offline-result")
    result.get_by_text("VALID: the signature matches").wait_for()
    assert "Lena Learner" in result.inner_text() and certificate.serial in result.inner_text()
    screenshot(page, "valid")

    page.get_by_label("Text of the QR code").fill(_flip(services.payload_of(certificate)))
    page.get_by_role("button", name="Check the signature").click()
    result.get_by_text("NOT VALID").wait_for()
    assert "the text was changed after it was signed" in result.inner_text()
    assert "Lena Learner" not in result.inner_text()
    screenshot(page, "tampered")

    page.get_by_label("Text of the QR code").fill("CPT1.e30.AAAA")
    page.get_by_role("button", name="Check the signature").click()
    page.wait_for_function("document.querySelector('#offline-result').innerText.includes('NOT VALID')")
    assert requests == []  # every check ran inside the browser


def test_scanned_link_shows_live_status_then_checks_the_signed_copy(page, live_server, learner):
    certificate = issue(learner, make_course())
    # What a phone camera opens: the verify URL with the payload in the fragment.
    page.goto(qr.qr_text(documents.verify_url(certificate.code, live_server), services.payload_of(certificate)))
    expect(page.get_by_text("This certificate is genuine and current.")).to_be_visible()
    page.get_by_role("link", name="Check the signed copy").click()
    page.locator("#offline-result").get_by_text("VALID: the signature matches").wait_for()


def test_a_payload_under_another_certificates_code_is_called_out(page, live_server, learner, trainer, screenshot):
    course = make_course()
    mine, other = issue(learner, course), issue(trainer, course)
    page.goto(qr.qr_text(documents.verify_url(mine.code, live_server), services.payload_of(other)))
    expect(page.locator("#payload-mismatch")).to_be_visible()
    assert "belongs to a different certificate" in page.locator("#payload-mismatch").inner_text()
    screenshot(page, "mismatch")
    # The other certificate's payload is not passed on to the offline checker as this one's.
    assert "#p=" not in page.get_by_role("link", name="Check the signed copy").get_attribute("href")
    # The genuine pairing shows no warning (a fresh load: a new fragment alone would not reload the page).
    page.goto("about:blank")
    page.goto(qr.qr_text(documents.verify_url(mine.code, live_server), services.payload_of(mine)))
    expect(page.get_by_text("This certificate is genuine and current.")).to_be_visible()
    expect(page.locator("#payload-mismatch")).to_be_hidden()
    page.get_by_role("link", name="Check the signed copy").click()
    page.locator("#offline-result").get_by_text("VALID: the signature matches").wait_for()


def test_without_javascript_the_page_says_it_needs_it(new_page, live_server):
    page = new_page(java_script_enabled=False)
    page.goto(f"{live_server}/verify/offline")
    # (Playwright's text locators skip <noscript>, so look the paragraph up by its class.)
    notice = page.locator("p.notice")
    assert notice.is_visible() and "This check needs JavaScript" in notice.inner_text()


def test_verification_page_fits_a_phone(phone_page, live_server, learner, screenshot):
    certificate = issue(learner, make_course())
    phone_page.goto(f"{live_server}/verify/{certificate.code}")
    expect(phone_page.get_by_text("This certificate is genuine and current.")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone_page, "verify-phone")
