"""The activation slips PDF (certificates.slips) checked as a reader would: its pages, its text, its
QR codes decoded from the rendered page, and that it streams.

The first page of each language is kept under test-results/slips/ (English, French, Arabic) to be
looked at: the Arabic one is the check that letters join and lines run right to left.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from certificates import slips

ARTEFACTS = Path(__file__).resolve().parent.parent / "test-results" / "slips"
BASE = "https://training.example.org"
NAMES = {"en": "Amina Diallo-Kouyaté", "fr": "Jean-Baptiste Lefèvre", "ar": "فاطمة الزهراء بن علي"}
EXPIRES = date(2027, 1, 3)


def _slips(language: str, count: int) -> list[dict]:
    return [{"name": f"{NAMES[language]} {i}", "service_number": f"DEMO-{i:05d}",
             "code": f"ABCD-EFGH-{i:04d}".replace("0", "X").replace("1", "Y"), "language": language,
             "expires_on": EXPIRES} for i in range(count)]


def _pdf(items: list[dict]) -> bytes:
    return b"".join(slips.stream_slips(items, base_url=BASE))


def _page_png(pdf_bytes: bytes, name: str, resolution: int = 150) -> Image.Image:
    assert shutil.which("pdftoppm"), "pdftoppm is missing: apt-get install poppler-utils"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    pdf_path = ARTEFACTS / f"{name}.pdf"
    pdf_path.write_bytes(pdf_bytes)
    subprocess.run(["pdftoppm", "-r", str(resolution), "-png", "-singlefile", str(pdf_path), str(ARTEFACTS / name)],
                   check=True, timeout=60)
    with Image.open(ARTEFACTS / f"{name}.png") as image:
        return image.convert("L")


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
def test_slips_read_back_as_text_and_their_qr_codes_hold_the_activation_link(language):
    items = _slips(language, 10)
    data = _pdf(items)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2  # eight a page
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4 portrait
    text = page.extract_text() + reader.pages[1].extract_text()
    # pypdf gives Arabic lines in drawing order, so the number after an Arabic name comes first.
    assert text.count(NAMES[language]) == 10
    for item in items:
        assert item["service_number"] in text and item["code"] in text
    assert "training.example.org/activate" in text
    image = _page_png(data, f"slips-{language}")
    found = sorted(unquote(hit.text) for hit in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode))
    assert found == sorted(f"{BASE}/activate?lang={language}#sn={i['service_number']}&code={i['code']}"
                           for i in items[:8])


def test_an_arabic_slip_runs_right_to_left():
    page = _page_png(_pdf(_slips("ar", 1)), "slips-ar-one", resolution=72)
    width = page.width
    slip = page.crop((0, 0, width // 2, page.height // 4))  # the first slip: top left
    dark = [x for x in range(slip.width) for y in range(0, slip.height, 2) if slip.getpixel((x, y)) < 128]
    # The QR code is on the slip's left and the text ends at its right edge.
    assert min(dark) < slip.width * 0.15 and max(dark) > slip.width * 0.85


def test_the_document_is_streamed_page_by_page():
    chunks = list(slips.stream_slips(_slips("en", 8 * 5), base_url=BASE))
    assert len(chunks) == 8  # one per page, then the fonts, the cross-reference table and the trailer
    assert chunks[0].startswith(b"%PDF-1.7") and chunks[-1].endswith(b"%%EOF\n")
    assert all(b"/FontFile2" not in chunk for chunk in chunks[:5]) and b"/FontFile2" in chunks[5]  # fonts once, at the end
    assert len(PdfReader(io.BytesIO(b"".join(chunks))).pages) == 5


def test_an_empty_list_is_still_a_valid_pdf():
    assert len(PdfReader(io.BytesIO(_pdf([]))).pages) == 1


def test_an_address_with_digits_reads_left_to_right_on_an_arabic_slip():
    # Without a left-to-right mark the "/" after an IP address's digits splits it in an Arabic
    # line, and the slip would read "activate/127.0.0.1:5000".
    items = _slips("ar", 1)
    text = PdfReader(io.BytesIO(b"".join(slips.stream_slips(items, base_url="http://127.0.0.1:5000")))) \
        .pages[0].extract_text()
    assert "127.0.0.1:5000/activate" in text and "activate/127" not in text
