"""The PDF checked as a reader would: its text, its rendered page, and the QR code on it.

Rendered pages are kept under test-results/certificates/ (English, French and Arabic) so that
a person can look at them; the Arabic one is the check that letters join and run right to left.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from certificates import keys, pdf, qr, signing
from certificates.typeset import FontSet, bidi_levels, shape
from tests import factories
from tests.certificate_factories import issue, make_course
from tests.conftest import login_as

ARTEFACTS = Path(__file__).resolve().parent.parent / "test-results" / "certificates"


def _page_png(pdf_bytes: bytes, name: str, resolution: int = 110) -> Image.Image:
    """Render page 1 with poppler's pdftoppm, keep the PNG as an artefact, return it."""
    assert shutil.which("pdftoppm"), "pdftoppm is missing: apt-get install poppler-utils"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    pdf_path = ARTEFACTS / f"{name}.pdf"
    pdf_path.write_bytes(pdf_bytes)
    subprocess.run(["pdftoppm", "-r", str(resolution), "-png", "-singlefile", str(pdf_path),
                    str(ARTEFACTS / name)], check=True, timeout=60)
    with Image.open(ARTEFACTS / f"{name}.png") as image:
        return image.convert("L")


def _qr_texts(image: Image.Image) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def _download(client, user, certificate) -> bytes:
    login_as(client, user)
    response = client.get(f"/certificates/{certificate.id}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.data


def test_pdf_text_has_the_name_serial_and_dates(app, client, learner):
    certificate = issue(learner, make_course())
    reader = PdfReader(io.BytesIO(_download(client, learner, certificate)))
    page = reader.pages[0]
    text = page.extract_text()
    assert len(reader.pages) == 1
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape
    assert round(float(page.mediabox.width)) == 842 and round(float(page.mediabox.height)) == 595  # A4
    assert learner.name in text and certificate.serial in text and certificate.check_code in text
    assert "Child Protection in Peace Operations" in text
    assert f"/verify/{certificate.code}" in text
    assert certificate.expires_at.strftime("%B %-d, %Y") in text  # Babel's English long date
    # Fonts are embedded subsets, not the whole files (a ZIP of 5,000 must stay small).
    fonts = page["/Resources"]["/Font"]
    assert all(fonts[name]["/BaseFont"][7] == "+" for name in fonts)
    assert len(reader.stream.getvalue()) < 60_000


def test_qr_code_on_the_page_opens_the_verify_url_and_carries_a_payload_that_verifies(app, client, learner):
    certificate = issue(learner, make_course())
    image = _page_png(_download(client, learner, certificate), "english")
    [text] = _qr_texts(image)
    assert _qr_centre_x(image) > image.width / 2
    url, _, payload = text.partition(qr.FRAGMENT)
    assert url == f"http://localhost/verify/{certificate.code}"
    claims = signing.verify_payload(payload, keys.public_keys())
    assert (claims.serial, claims.name) == (certificate.serial, learner.name)
    assert claims.expires == certificate.expires_at.date()
    # The URL really is the verification page of this certificate.
    assert client.get(url.removeprefix("http://localhost")).status_code == 200


def test_arabic_certificate_renders_right_to_left_with_joined_letters(app, client, mission_a):
    holder = factories.make_user(mission=mission_a, name="محمد عبد الله الحسيني", preferred_language="ar")
    certificate = issue(holder, make_course())
    assert certificate.language == "ar" and certificate.course_title == "حماية الطفل في عمليات السلام"
    body = _download(client, holder, certificate)
    image = _page_png(body, "arabic")
    [text] = _qr_texts(image)
    claims = signing.verify_payload(qr.payload_from_text(text), keys.public_keys())
    assert claims.name == "محمد عبد الله الحسيني"
    page = PdfReader(io.BytesIO(body)).pages[0]
    assert certificate.serial in page.extract_text()
    # Readers that honour /ActualText copy the name in reading order.
    assert "محمد عبد الله الحسيني".encode("utf-16-be").hex().upper() in _content(page)
    # Mirrored layout: the QR code at the bottom left (bottom right in English), the serial block right.
    assert _qr_centre_x(image) < image.width / 2
    ink = _ink(image, left=0.55, right=0.95, top=0.78, bottom=0.9)  # where the serial and check code go
    assert ink > 500


def test_french_certificate_uses_french_labels_and_dates(app, client, mission_a):
    holder = factories.make_user(mission=mission_a, name="Aïssatou Diallo", preferred_language="fr")
    certificate = issue(holder, make_course())
    body = _download(client, holder, certificate)
    text = PdfReader(io.BytesIO(body)).pages[0].extract_text()
    assert "Certificat de réussite" in text and "Aïssatou Diallo" in text
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre"]
    assert f"{certificate.issued_at.day} {months[certificate.issued_at.month - 1]} {certificate.issued_at.year}" in text
    _page_png(body, "french", resolution=60)


def _content(page) -> str:
    return page.get_contents().get_data().decode("latin-1")


def _ink(image: Image.Image, left: float, right: float, top: float, bottom: float) -> int:
    """Dark pixels in a box given as fractions of the page."""
    width, height = image.size
    box = image.crop((int(width * left), int(height * top), int(width * right), int(height * bottom)))
    return sum(box.histogram()[:128])


def _qr_centre_x(image: Image.Image) -> float:
    [found] = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    position = found.position
    return (position.top_left.x + position.top_right.x) / 2


# --- shaping and bidi, without a database ---------------------------------------------------------

@pytest.fixture(scope="module")
def fonts():
    return FontSet.load()


def test_arabic_letters_take_their_joined_forms(fonts):
    line = shape("محمد", fonts)
    [run] = line.runs
    nominal = {fonts.fonts[("arabic", False)].hb_font.get_nominal_glyph(ord(ch)) for ch in "محمد"}
    assert run.rtl and line.rtl
    # Joined (initial / medial / final) forms are other glyphs than the isolated ones.
    assert len({glyph.glyph_id for glyph in run.glyphs} - nominal) >= 2
    # Drawn right to left: the leftmost glyph is the last letter.
    assert run.glyphs[0].text == "د" and run.glyphs[-1].text == "م"


def test_latin_and_digits_stay_left_to_right_inside_arabic(fonts):
    line = shape("الرقم التسلسلي CP-2026-7KQ3MX", fonts, rtl=True)
    left_to_right = "".join(glyph.text for run in line.runs for glyph in (run.glyphs[::-1] if run.rtl else run.glyphs))
    # Visually: the Latin serial on the left, then the Arabic words, read right to left.
    assert left_to_right.startswith("CP-2026-7KQ3MX")
    assert bidi_levels("٢٩ نوفمبر ٢٠٢٦", rtl=True) == [2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2]
    assert bidi_levels("29/11/2026", rtl=True) == [2] * 10
    assert set(bidi_levels("Jean Dupont", rtl=False)) == {0}


def test_brackets_around_latin_inside_arabic_stay_a_pair():
    # The whole bidi algorithm (python-bidi): rule N0 gives both brackets one direction, so an
    # Arabic course title ending "(CPT-101) 2026" does not print as "(CPT-101 (2026".
    text = "حماية الطفل (CPT-101) 2026"
    levels = bidi_levels(text, rtl=True)
    assert levels[text.index("(")] == levels[text.index(")")] == 1
    assert set(levels[text.index("C"):text.index(")")]) == {2}
    mixed = "محمد Smith-Kouyaté 2026 (رقم ٤٢) الحسيني"
    levels = bidi_levels(mixed, rtl=True)
    assert levels[mixed.index("S"):mixed.index(" (")] == [2] * len("Smith-Kouyaté 2026")
    assert levels[mixed.index("(")] == levels[mixed.index(")")] == 1
    assert [levels[i] for i in range(mixed.index("٤"), mixed.index(")"))] == [2, 2]


def test_every_language_renders_without_the_database():
    base = dict(serial="CP-2026-ABCDEF", check_code="H7K2PQ", key_id="202611-abcdef12",
                issued_on=date(2026, 1, 31), expires_on=date(2028, 1, 31),
                verify_url="https://example.org/verify/abc", qr_text="https://example.org/verify/abc#p=CPT1.e30.AA")
    for language, name in (("en", "Nguyễn Văn An"), ("fr", "Zoë Ødegård"), ("ar", "فاطمة الزهراء"), ("xx", "X")):
        body = pdf.render(dict(base, language=language, holder_name=name, course_title="Course"))
        assert body.startswith(b"%PDF-1.7") and body.rstrip().endswith(b"%%EOF")
        assert name in PdfReader(io.BytesIO(body)).pages[0].extract_text() or language == "ar"


def test_a_very_long_name_and_title_still_fit(fonts):
    renderer = pdf.default_renderer()
    name = "Maria Fernanda de los Ángeles Rodríguez-Villanueva y Castañeda-Montenegro"
    title = "An exceptionally long course title " * 6
    body = renderer.render(dict(language="en", holder_name=name, course_title=title, serial="S", check_code="C",
                                key_id="k", issued_on=date(2026, 1, 1), expires_on=date(2027, 1, 1),
                                verify_url="https://example.org/verify/x", qr_text="https://example.org/verify/x"))
    text = PdfReader(io.BytesIO(body)).pages[0].extract_text()
    assert name in text
    line = renderer.shaper.line(name, bold=True)
    assert renderer._fit(line, 32, 640, 16) * line.width(1) <= 640.5
