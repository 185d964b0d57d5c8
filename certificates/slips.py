"""Activation slips: A4 pages of eight slips with cut lines, one per person, in their language
(no database; accounts.activation issues the codes, reports.slips_views serves this). The fixed
words come from the gettext catalogues (certificates.wording), looked up once per document.

Each slip: name, service number, the activation code, a QR code with the activation link, the
expiry date and three short steps; slips in a right-to-left language (core.languages) are mirrored. The typesetting is
the certificates' (typeset: fonts parsed once, HarfBuzz shaping, bidi; pdfdoc: Type0 fonts with
ToUnicode, so the code can be read back as text; qr: zxing-cpp's encoder).

The document is streamed: `stream_slips` yields each page's bytes as soon as it is drawn, and
keeps only what the end of the file needs (object offsets, the page numbers, and the set of
glyphs used, which the fonts bound), so memory stays flat whether a unit of 20 or a mission of
20,000 is printed. The font objects are reserved when first used and written after the last
page, as subsets of every glyph the document drew.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timezone
from functools import cache, lru_cache
from urllib.parse import quote

from babel.dates import format_date

from certificates import pdfdoc, qr
from certificates.typeset import Font, FontSet, ShapedLine, Shaper
from certificates.wording import slip_labels
from core import languages as site_languages

WIDTH, HEIGHT = 595.28, 841.89  # A4 portrait, points
COLUMNS, ROWS = 2, 4
SLIP_W, SLIP_H = WIDTH / COLUMNS, HEIGHT / ROWS  # 105 x 74 mm
PER_PAGE = COLUMNS * ROWS
PAD = 18
QR_SIZE = 92
NAVY: pdfdoc.Colour = (0.07, 0.22, 0.42)
INK: pdfdoc.Colour = (0.1, 0.1, 0.12)
GREY: pdfdoc.Colour = (0.35, 0.37, 0.4)



def activation_link(base_url: str, service_number: str, code: str, language: str) -> str:
    """What the QR code holds. The code and service number go in the fragment, which browsers
    never send, so they reach no server log; static/js/activate-link.js fills the form from it."""
    return (f"{base_url.rstrip('/')}/activate?lang={quote(language)}"
            f"#sn={quote(service_number, safe='')}&code={quote(code, safe='')}")


@lru_cache(maxsize=512)
def _format_day(day: date, language: str) -> str:
    return format_date(day, format="long", locale=language)


class _StreamedObjects(pdfdoc._Objects):
    """pdfdoc's object table, but each object is written out as soon as it is put."""

    def __init__(self, header: bytes) -> None:
        # Offsets by object number (8 bytes each, 0 until written): the one thing that grows
        # with the document, as the cross-reference table at its end needs every offset.
        self.offsets = array("Q")
        self.position = 0
        self.count = 0
        self._pending: list[bytes] = []
        self._write(header)

    def _write(self, data: bytes) -> None:
        self._pending.append(data)
        self.position += len(data)

    def reserve(self) -> int:
        self.count += 1
        self.offsets.append(0)
        return self.count

    def put(self, number: int, body: bytes | str) -> int:
        data = body.encode("latin-1") if isinstance(body, str) else body
        self.offsets[number - 1] = self.position
        self._write(b"%d 0 obj\n" % number + data + b"\nendobj\n")
        return number

    def drain(self) -> bytes:
        out = b"".join(self._pending)
        self._pending.clear()
        return out


class SlipRenderer:
    """Fonts and shaped labels, prepared once per process; `stream` may be called repeatedly."""

    def __init__(self, fonts: FontSet | None = None):
        self.shaper = Shaper(fonts or FontSet.load())

    def stream(self, slips: Iterable[dict], *, base_url: str, created: datetime | None = None,
               title: str = "Activation slips", labels: Mapping[str, dict] | None = None) -> Iterator[bytes]:
        """The PDF, page by page. Each slip: name, service_number, code, language, expires_on.

        `labels`: the words per language (certificates.wording.slip_labels), looked up before the
        stream starts, as it may run after the request has ended; a language not in it is looked
        up in the shipped catalogues."""
        words = dict(labels or {})  # this document's: the renderer is shared by concurrent streams
        created = created or datetime.now(timezone.utc)
        objects = _StreamedObjects(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        catalog, pages = objects.reserve(), objects.reserve()
        font_numbers: dict[Font, int] = {}
        font_names: dict[Font, str] = {}
        glyphs: dict[Font, dict[int, str]] = {}
        page_numbers = array("L")
        languages: set[str] = set()
        batch: list[dict] = []
        for slip in slips:
            batch.append(slip)
            languages.add(slip.get("language") or "en")
            if len(batch) == PER_PAGE:
                page_numbers.append(self._page(objects, batch, base_url, pages, font_numbers, font_names, glyphs, words))
                batch = []
                yield objects.drain()
        if batch or not page_numbers:
            page_numbers.append(self._page(objects, batch, base_url, pages, font_numbers, font_names, glyphs, words))
        for font, number in font_numbers.items():
            pdfdoc._embed_font(objects, font, glyphs[font], number=number)
        objects.put(pages, f"<< /Type /Pages /Kids [{' '.join(f'{n} 0 R' for n in page_numbers)}] "
                           f"/Count {len(page_numbers)} >>")
        language = next(iter(languages)) if len(languages) == 1 else "en"
        objects.put(catalog, f"<< /Type /Catalog /Pages {pages} 0 R /Lang ({language}) "
                             f"/ViewerPreferences << /DisplayDocTitle true >> >>")
        info = objects.add(f"<< /Title {pdfdoc._utf16_hex(title)} /Creator (Child Protection Training) "
                           f"/Producer (certificates.slips) /CreationDate ({pdfdoc._pdf_date(created)}) >>")
        xref = objects.position
        yield objects.drain() + b"xref\n0 %d\n0000000000 65535 f \n" % (objects.count + 1)
        for start in range(0, objects.count, 4096):  # 80 KB at a time
            yield b"".join(b"%010d 00000 n \n" % offset for offset in objects.offsets[start:start + 4096])
        file_id = hashlib.md5(f"{title}{created.isoformat()}{objects.count}".encode(),
                              usedforsecurity=False).hexdigest()
        yield (f"trailer\n<< /Size {objects.count + 1} /Root {catalog} 0 R /Info {info} 0 R "
               f"/ID [<{file_id}> <{file_id}>] >>\nstartxref\n{xref}\n%%EOF\n").encode()

    # --- one page -------------------------------------------------------------------------------
    def _page(self, objects: _StreamedObjects, batch: list[dict], base_url: str, pages: int,
              font_numbers: dict, font_names: dict, glyphs: dict, words: dict[str, dict]) -> int:
        canvas = pdfdoc.Canvas(WIDTH, HEIGHT)
        # Every page names each font the same way, so one font object serves the whole document.
        canvas.font_names = font_names
        self._cut_lines(canvas)
        for index, slip in enumerate(batch):
            column, row = index % COLUMNS, index // COLUMNS
            self._slip(canvas, slip, base_url, column * SLIP_W, HEIGHT - (row + 1) * SLIP_H, words)
        content = objects.stream(canvas.content())
        image_refs = []
        for name, columns, rows, pixels in canvas.images:
            extra = (f" /Type /XObject /Subtype /Image /Width {columns} /Height {rows} "
                     f"/ColorSpace /DeviceGray /BitsPerComponent 8 /Interpolate false")
            image_refs.append(f"/{name} {objects.stream(pixels, extra)} 0 R")
        images = " ".join(image_refs)
        for font, used in canvas.glyph_text.items():
            if font not in font_numbers:
                font_numbers[font] = objects.reserve()
            known = glyphs.setdefault(font, {})
            for glyph_id, text in used.items():
                if text and not known.get(glyph_id):
                    known[glyph_id] = text
                known.setdefault(glyph_id, "")
        fonts = " ".join(f"/{font_names[font]} {font_numbers[font]} 0 R" for font in canvas.glyph_text)
        return objects.add(f"<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 {pdfdoc._num(WIDTH)} "
                           f"{pdfdoc._num(HEIGHT)}] /Resources << /Font << {fonts} >> /XObject << {images} >> >> "
                           f"/Contents {content} 0 R >>")

    @staticmethod
    def _cut_lines(canvas: pdfdoc.Canvas) -> None:
        parts = ["q 0.6 0.6 0.6 RG 0.5 w [4 3] 0 d"]
        for column in range(1, COLUMNS):
            parts.append(f"{column * SLIP_W:.2f} 0 m {column * SLIP_W:.2f} {HEIGHT:.2f} l S")
        for row in range(1, ROWS):
            parts.append(f"0 {row * SLIP_H:.2f} m {WIDTH:.2f} {row * SLIP_H:.2f} l S")
        parts.append("Q")
        canvas.raw("\n".join(parts))

    def _slip(self, canvas: pdfdoc.Canvas, slip: dict, base_url: str, x0: float, y0: float,
              words: dict[str, dict]) -> None:
        language = slip.get("language") if site_languages.known(slip.get("language")) else "en"
        labels = words.get(language) or words.setdefault(language, slip_labels(language))
        rtl = site_languages.define(language).is_rtl
        line = self.shaper.line
        top = y0 + SLIP_H - PAD
        text_width = SLIP_W - 2 * PAD - QR_SIZE - 8
        x = x0 + SLIP_W - PAD if rtl else x0 + PAD
        align = "right" if rtl else "left"

        def put(shaped: ShapedLine, y: float, size: float, colour, width: float = text_width,
                smallest: float = 6) -> None:
            canvas.text(shaped, x, y, _fit(shaped, size, width, smallest), align=align, colour=colour)

        put(line(labels["title"], bold=True, rtl=rtl), top - 9, 9, NAVY)
        # Names and codes are unique: shaping them is cheap and caching them would only hold memory.
        put(line(slip["name"], bold=True, cache=False), top - 27, 12.5, INK)
        put(line(labels["service"], rtl=rtl), top - 41, 7.5, GREY)
        put(line(slip["service_number"], bold=True, rtl=False, cache=False), top - 53, 10.5, INK)
        put(line(labels["code"], rtl=rtl), top - 67, 7.5, GREY)
        put(line(slip["code"], bold=True, rtl=False, cache=False), top - 86, 17, INK)
        valid = f"{labels['valid']} {_format_day(slip['expires_on'], language)}"
        put(line(valid, rtl=rtl), top - 101, 8.5, INK)

        link = activation_link(base_url, slip["service_number"], slip["code"], language)
        symbol = qr.matrix(link)
        qr_x = x0 + PAD if rtl else x0 + SLIP_W - PAD - QR_SIZE
        qr_y = top - QR_SIZE + 2
        module = QR_SIZE / (symbol.size + 8)  # 4 modules of white quiet zone all round
        canvas.grey_image(symbol.modules, symbol.size, symbol.size, qr_x + 4 * module, qr_y + 4 * module,
                          symbol.size * module, symbol.size * module)

        y = top - 118
        url = base_url.rstrip("/").split("://", 1)[-1] + "/activate"
        full_width = SLIP_W - 2 * PAD
        for step in labels["steps"]:
            # LRM before the address: its digits (an IP address) then read left to right with the
            # rest of it, instead of the "/" splitting it in an Arabic line (UAX #9, rule W7).
            text = step.format(url=f"\u200e{url}\u200e" if rtl else url)
            for shaped in self.shaper.wrap(text, 8.5, full_width, rtl=rtl):
                put(shaped, y, 8.5, INK, full_width)
                y -= 11.5


def _fit(shaped: ShapedLine, size: float, max_width: float, smallest: float) -> float:
    width = shaped.width(size)
    return size if width <= max_width else max(smallest, size * max_width / width)


@cache
def default_renderer() -> SlipRenderer:
    return SlipRenderer()


def stream_slips(slips: Iterable[dict], *, base_url: str, created: datetime | None = None,
                 title: str = "Activation slips") -> Iterator[bytes]:
    """The slips PDF, streamed; the words of every configured language are looked up now, in the caller's app."""
    labels = {code: slip_labels(code) for code in site_languages.codes()}
    return default_renderer().stream(slips, base_url=base_url, created=created, title=title, labels=labels)
