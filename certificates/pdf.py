"""The certificate PDF: A4 landscape, in the holder's language, from a plain dict (no database objects).

`render(data)` takes the dict that `certificate_document()` in certificates.documents builds:

    language       a language code (core.languages: right-to-left languages are laid out mirrored;
                   one Babel does not know prints in English)
    labels         optional: the fixed words, certificates.wording.certificate_labels(language)
    holder_name, course_title, serial, check_code, key_id
    holder_name_arabic  optional: on Arabic PDFs, printed above the (signed) Latin name
    issued_on, expires_on   datetime.date
    verify_url     <base>/verify/<code>        (printed, and inside the QR code)
    qr_text        <verify_url>#p=<payload>    (what the QR code holds)
    issuer         optional: replaces the default line at the top
    delivery_mode  optional: online (default) | in_person | mixed | recognised, printed under the course

The fixed parts are prepared once per process by `CertificateRenderer`: the parsed fonts, the
frame artwork, and the shaped labels (cached with course titles and dates). Per certificate
only the name, the QR code and the page assembly are new work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from functools import cache, lru_cache

from babel.dates import format_date

from certificates import pdfdoc, qr
from certificates.typeset import FontSet, ShapedLine, Shaper
from certificates.wording import certificate_labels
from core import languages

WIDTH, HEIGHT = 841.89, 595.28  # A4 landscape, points
NAVY: pdfdoc.Colour = (0.07, 0.22, 0.42)
GOLD: pdfdoc.Colour = (0.72, 0.56, 0.22)
INK: pdfdoc.Colour = (0.1, 0.1, 0.12)
GREY: pdfdoc.Colour = (0.35, 0.37, 0.4)



@dataclass
class _Layout:
    rtl: bool

    def start(self, inset: float) -> float:
        """x of the reading-start edge, `inset` points in from the page side."""
        return WIDTH - inset if self.rtl else inset

    @property
    def start_align(self) -> str:
        return "right" if self.rtl else "left"


class CertificateRenderer:
    """Holds everything that is the same for every certificate; `render` is safe to call repeatedly."""

    def __init__(self, fonts: FontSet | None = None):
        self.shaper = Shaper(fonts or FontSet.load())
        self._frame = self._frame_operators()

    def render(self, data: dict) -> bytes:
        language = data.get("language") if languages.known(data.get("language")) else "en"
        labels = data.get("labels") or certificate_labels(language)
        layout = _Layout(rtl=languages.define(language).is_rtl)
        line = self.shaper.line
        canvas = pdfdoc.Canvas(WIDTH, HEIGHT)
        canvas.raw(self._frame)
        middle = WIDTH / 2
        rtl = layout.rtl

        canvas.text(line(data.get("issuer") or labels["issuer"], rtl=rtl), middle, 500, 12, align="center", colour=GREY)
        canvas.text(line(labels["title"], bold=True, rtl=rtl), middle, 448, 34, align="center", colour=NAVY)
        canvas.text(line(labels["certifies"], rtl=rtl), middle, 404, 14, align="center", colour=GREY)
        # Names are many and unique: shaping them is cheap and caching them would only hold memory.
        name = line(data["holder_name"], bold=True, cache=False)
        if rtl and data.get("holder_name_arabic"):
            arabic = line(data["holder_name_arabic"], bold=True, rtl=True, cache=False)
            canvas.text(arabic, middle, 366, self._fit(arabic, 28, 640, 14), align="center", colour=INK)
            canvas.text(name, middle, 343, self._fit(name, 13, 640, 8), align="center", colour=GREY)
        else:
            canvas.text(name, middle, 360, self._fit(name, 32, 640, 16), align="center", colour=INK)
        canvas.stroke_colour(GOLD)
        canvas.line(middle - 260, 336, middle + 260, 336, 0.8)
        canvas.text(line(labels["completed"], rtl=rtl), middle, 308, 14, align="center", colour=GREY)
        self._course_title(canvas, data["course_title"], middle)
        delivery = labels["delivery"].get(data.get("delivery_mode") or "online", labels["delivery"]["online"])
        canvas.text(line(delivery, rtl=rtl), middle, 234, 10.5, align="center", colour=GREY)
        self._dates(canvas, data, language, labels, layout)
        self._footer(canvas, data, labels, layout)
        title = f"{labels['title']} – {data['holder_name']} – {data['serial']}"
        created = datetime.combine(data["issued_on"], time(0, 0), tzinfo=timezone.utc)
        return pdfdoc.build(canvas, title=title, author=data.get("issuer") or labels["issuer"],
                            subject=data["course_title"], language=language, created=created)

    # --- parts --------------------------------------------------------------------------------
    def _course_title(self, canvas: pdfdoc.Canvas, title: str, middle: float) -> None:
        size = 21
        lines = self.shaper.wrap(title, size, 640, bold=True)
        while len(lines) > 2 and size > 12:
            size -= 1
            lines = self.shaper.wrap(title, size, 640, bold=True)
        y = 276 if len(lines) == 1 else 280  # two lines: clear of the "has completed" line above
        for shaped in lines[:3]:
            canvas.text(shaped, middle, y, self._fit(shaped, size, 680, 9), align="center", colour=NAVY)
            y -= size * 1.35

    def _dates(self, canvas: pdfdoc.Canvas, data: dict, language: str, labels: dict, layout: _Layout) -> None:
        columns = (WIDTH / 2 - 150, WIDTH / 2 + 150)
        if layout.rtl:
            columns = columns[::-1]
        items = (("issued", data["issued_on"]), ("expires", data["expires_on"]))
        for x, (key, day) in zip(columns, items, strict=True):
            canvas.text(self.shaper.line(labels[key], rtl=layout.rtl), x, 212, 11, align="center", colour=GREY)
            canvas.text(self.shaper.line(self.format_day(day, language), bold=True, rtl=layout.rtl), x, 192, 15,
                        align="center", colour=INK)

    def _footer(self, canvas: pdfdoc.Canvas, data: dict, labels: dict, layout: _Layout) -> None:
        line, rtl = self.shaper.line, layout.rtl
        qr_size = 128
        qr_x = 62 if rtl else WIDTH - 62 - qr_size
        symbol = qr.matrix(data["qr_text"])
        module = qr_size / (symbol.size + 8)  # and 4 modules of white quiet zone all round
        canvas.fill_colour((1, 1, 1))
        canvas.rect(qr_x, 62, qr_size, qr_size, fill=True)
        canvas.grey_image(symbol.modules, symbol.size, symbol.size, qr_x + 4 * module, 62 + 4 * module,
                          symbol.size * module, symbol.size * module)
        canvas.text(line(labels["scan"], rtl=rtl), qr_x + qr_size / 2, 52, 7.5, align="center", colour=GREY)
        x = layout.start(70)
        rows = ((labels["serial"], data["serial"], 15), (labels["check"], data["check_code"], 15))
        y = 150
        for label, value, size in rows:
            canvas.text(line(label, rtl=rtl), x, y, 9.5, align=layout.start_align, colour=GREY)
            canvas.text(line(value, bold=True, rtl=False), x, y - 18, size, align=layout.start_align, colour=INK)
            y -= 46
        canvas.text(line(labels["verify"], rtl=rtl), x, 62, 9.5, align=layout.start_align, colour=GREY)
        url = line(data["verify_url"], rtl=False, cache=False)
        canvas.text(url, x, 49, self._fit(url, 8.5, 430, 5), align=layout.start_align, colour=INK)
        key = line(f"{labels['key']}: \u200e{data['key_id']}", rtl=rtl)  # LRM: the id reads left to right
        canvas.text(key, x, 36, 6.5, align=layout.start_align, colour=GREY)

    @staticmethod
    def _fit(shaped: ShapedLine, size: float, max_width: float, smallest: float) -> float:
        width = shaped.width(size)
        return size if width <= max_width else max(smallest, size * max_width / width)

    @staticmethod
    @lru_cache(maxsize=4096)
    def format_day(day: date, language: str) -> str:
        return format_date(day, format="long", locale=language)

    @staticmethod
    def _frame_operators() -> str:
        """The border artwork: the same on every page, so built once."""
        inset, inner = 22, 32
        parts = [
            f"q {NAVY[0]} {NAVY[1]} {NAVY[2]} RG 5 w {inset} {inset} {WIDTH - 2 * inset:.2f} {HEIGHT - 2 * inset:.2f} re S",
            f"{GOLD[0]} {GOLD[1]} {GOLD[2]} RG 0.9 w {inner} {inner} {WIDTH - 2 * inner:.2f} {HEIGHT - 2 * inner:.2f} re S",
        ]
        for x, y in ((inner, inner), (WIDTH - inner, inner), (inner, HEIGHT - inner), (WIDTH - inner, HEIGHT - inner)):
            parts.append(f"{GOLD[0]} {GOLD[1]} {GOLD[2]} rg {x - 5:.2f} {y - 5:.2f} 10 10 re f")
        # A thin band under the title block
        parts.append(f"{NAVY[0]} {NAVY[1]} {NAVY[2]} rg {WIDTH / 2 - 40:.2f} 428 80 2.2 re f Q")
        return "\n".join(parts)


@cache
def default_renderer() -> CertificateRenderer:
    """One renderer per process: fonts parsed and artwork prepared on first use."""
    return CertificateRenderer()


def render(data: dict) -> bytes:
    return default_renderer().render(data)
