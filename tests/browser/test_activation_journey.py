"""From a roster to a signed-in peacekeeper, in Chromium: an admin imports 20 people for a unit,
prints the unit's activation slips from the mission dashboard, and one of them opens the link in
their slip's QR code (decoded from the rendered PDF), chooses a password, lands on My training,
signs out and signs in again. The slips' first page is kept in test-results/ to be looked at."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, timedelta
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from extensions import db
from tests.browser.conftest import sign_in, sign_out

pytestmark = pytest.mark.browser

HEADER = "service_number,name,email,category,rank,mission,unit,arrival_on,language"
LANGUAGES = ("en", "fr", "ar")
NAMES = ["Aïcha Traoré", "Jean Mukendi", "سارة الحسن", "Kofi Mensah", "Marie Dubois"]
PASSWORD = "my own long passphrase"


def _roster(mission, unit, count: int = 20) -> str:
    arrival = (date.today() - timedelta(days=5)).isoformat()
    lines = [HEADER]
    for i in range(1, count + 1):
        name = f"{NAMES[i % len(NAMES)]} {i}"
        lines.append(f"PK-ACT-{i:03d},{name},,military,Pte,{mission.code},{unit.code},{arrival},{LANGUAGES[i % 3]}")
    return "\n".join(lines) + "\n"


def test_a_unit_gets_in_with_printed_slips(page, live_server, mission_a, admin, tmp_path, screenshot, request):
    unit = mission_a.units[0]
    db.session.commit()
    roster = tmp_path / "roster.csv"
    roster.write_text(_roster(mission_a, unit), encoding="utf-8")
    folder = screenshot(page, "start").parent

    # The admin imports the roster through the existing screen.
    sign_in(page, live_server, admin)
    page.goto(f"{live_server}/admin/roster")
    page.locator("input[type=file]").set_input_files(str(roster))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_role("button", name="Apply", exact=True).click()
    # The import runs as a background job; its page says when it is done and offers the new people's slips.
    expect(page.get_by_text("Done.")).to_be_visible(timeout=30_000)
    assert "20" in page.locator("dt:has-text('People created') + dd").inner_text()
    page.get_by_role("link", name="Print the activation slips of the people created").click()
    assert page.get_by_role("button", name="Print 20 activation slips (PDF)").is_visible()  # or from the dashboard:

    # The mission dashboard counts them as never signed in and prints their slips.
    page.goto(f"{live_server}/missions/{mission_a.id}/dashboard")
    row = page.locator("table", has=page.locator("caption", has_text="Never signed in, by unit")) \
        .locator("tbody tr", has_text=unit.code)
    cells = row.locator("td").all_inner_texts()
    assert cells[:2] == ["20", "20"]
    screenshot(page, "dashboard-never-signed-in")
    with page.expect_download() as download_info:
        row.get_by_role("button", name=re.compile("never signed in")).click()
    download = download_info.value
    assert download.suggested_filename.startswith(f"activation-slips-{mission_a.code}-{unit.code}-")
    pdf_path = folder / "slips.pdf"
    download.save_as(pdf_path)
    reader = PdfReader(pdf_path)
    assert len(reader.pages) == 3  # 20 slips, eight a page
    text = "".join(p.extract_text() for p in reader.pages)
    codes = re.findall(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b", text)
    assert len(codes) == len(set(codes)) == 20

    # Page 1 rendered as it would be printed; its QR codes decoded as a phone would.
    assert shutil.which("pdftoppm")
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", "-f", "1", "-l", "1", str(pdf_path),
                    str(folder / "slips-page-1")], check=True, timeout=60)
    with Image.open(folder / "slips-page-1.png") as image:
        links = [hit.text for hit in zxingcpp.read_barcodes(image.convert("L"),
                                                            formats=zxingcpp.BarcodeFormat.QRCode)]
    assert len(links) == 8
    link = sorted(links)[0]  # whoever's slip it is
    number = unquote(re.search(r"sn=([^&]+)", link).group(1))
    code = unquote(re.search(r"code=([^&]+)", link).group(1))
    assert number.startswith("PK-ACT-")
    assert code in codes and link.startswith(f"{live_server}/activate?lang=")
    sign_out(page)

    # The person opens the link from the QR code: the form is filled from the link's fragment.
    page.goto(link)
    assert "#" not in page.url  # the code is dropped from the address bar and history
    assert page.get_by_label("Service number").input_value() == number
    assert page.get_by_label("Activation code").input_value() == code
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("The same password again").fill(PASSWORD)
    page.get_by_label("Your language").select_option("en")
    screenshot(page, "activate")
    page.get_by_role("button", name="Activate and sign in").click()
    page.wait_for_load_state()
    assert page.url == f"{live_server}/training"
    assert page.get_by_role("heading", level=1).inner_text() == "My training"

    # Signs out, and in again with the password they chose.
    sign_out(page)
    sign_in(page, live_server, SimpleNamespace(service_number=number), PASSWORD)
    page.goto(f"{live_server}/training")
    assert page.get_by_role("heading", level=1).inner_text() == "My training"

    # The same code does not work twice.
    sign_out(page)
    page.goto(f"{live_server}/activate")
    page.get_by_label("Service number").fill(number)
    page.get_by_label("Activation code").fill(code.lower().replace("-", ""))
    page.get_by_label("Choose a password").fill("yet another passphrase")
    page.get_by_label("The same password again").fill("yet another passphrase")
    page.get_by_role("button", name="Activate and sign in").click()
    page.wait_for_load_state()
    assert "do not match a valid code" in page.locator(".flash").first.inner_text()
