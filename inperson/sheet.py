"""The printable attendance sheet of a session (pure: no Flask, no database).

`render(data)` takes a plain dict (inperson.views builds it):

    language      a language code (right-to-left languages get mirrored columns)
    labels        optional: the fixed words, inperson.wording.sheet_labels(language)
    course        the course title;  modules: titles of the modules taught, [] for the whole course
    mission, units, place, trainers   text;  held_on: datetime.date;  pass_mark: int (percent)
    people        [{"name", "service_number"}] in sheet order
    created       datetime (the PDF's creation date)

A4 portrait; each page repeats the session's details and the table header, then up to
ROWS_PER_PAGE people with a numbered row, a signature box and a score box, and the last page
ends with blank rows for walk-ins. Typesetting is the certificates' (certificates.typeset and
pdfdoc: fonts parsed once, HarfBuzz shaping, bidi, searchable text).
"""

from __future__ import annotations

from datetime import date
from functools import cache

from babel.dates import format_date

from certificates import pdfdoc
from certificates.typeset import FontSet, ShapedLine, Shaper
from core import languages
from inperson.wording import sheet_labels

WIDTH, HEIGHT = 595.28, 841.89
MARGIN = 40
ROW_H = 24
ROWS_PER_PAGE = 22
BLANK_ROWS = 5
NAVY: pdfdoc.Colour = (0.07, 0.22, 0.42)
INK: pdfdoc.Colour = (0.1, 0.1, 0.12)
GREY: pdfdoc.Colour = (0.35, 0.37, 0.4)
# (key, width in points), in reading order; they add up to WIDTH - 2 * MARGIN.
COLUMNS = (("number", 30), ("name", 190), ("service", 110), ("signature", 120), ("score", 65.28))



class SheetRenderer:
    def __init__(self, fonts: FontSet | None = None):
        self.shaper = Shaper(fonts or FontSet.load())

    def render(self, data: dict) -> bytes:
        language = data.get("language") if languages.known(data.get("language")) else "en"
        labels = data.get("labels") or sheet_labels(language)
        rtl = languages.define(language).is_rtl
        rows: list[dict | None] = list(data["people"]) + [None] * BLANK_ROWS
        pages = [rows[i:i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)]
        font_names: dict = {}
        canvases = []
        for index, page_rows in enumerate(pages):
            canvas = pdfdoc.Canvas(WIDTH, HEIGHT)
            canvas.font_names = font_names  # one font object per face for the whole document
            top = self._header(canvas, data, labels, language, rtl)
            self._table(canvas, page_rows, index * ROWS_PER_PAGE, top, labels, rtl)
            self._footer(canvas, labels, rtl, index + 1, len(pages), last=index == len(pages) - 1)
            canvases.append(canvas)
        title = f"{labels['title']} – {data['course']} – {data['held_on'].isoformat()}"
        return pdfdoc.build_pages(canvases, title=title, author=data.get("trainers") or "", subject=data["course"],
                                  language=language, created=data["created"])

    # --- parts ----------------------------------------------------------------------------
    def _x(self, x: float, width: float, rtl: bool) -> float:
        """Left edge of a box that starts `x` points from the reading-start margin."""
        return WIDTH - MARGIN - x - width if rtl else MARGIN + x

    def _put(self, canvas, text: str, x: float, y: float, size: float, width: float, *, rtl: bool,
             bold: bool = False, colour=INK, cache: bool = True) -> None:
        # Labels take the sheet's direction; names and values (not cached) find their own.
        shaped = self.shaper.line(text, bold=bold, rtl=rtl if cache else None, cache=cache)
        left = self._x(x, width, rtl)
        anchor, align = (left + width, "right") if rtl else (left, "left")
        canvas.text(shaped, anchor, y, _fit(shaped, size, width), align=align, colour=colour)

    def _header(self, canvas, data: dict, labels: dict, language: str, rtl: bool) -> float:
        full = WIDTH - 2 * MARGIN
        y = HEIGHT - MARGIN - 14
        self._put(canvas, labels["title"], 0, y, 18, full, rtl=rtl, bold=True, colour=NAVY)
        y -= 22
        self._put(canvas, data["course"], 0, y, 12.5, full, rtl=rtl, bold=True, cache=False)
        y -= 16
        modules = ", ".join(data.get("modules") or []) or labels["whole"]
        details = [
            (labels["modules"], modules),
            (labels["mission"], data["mission"]),
            (labels["units"], data["units"]),
            (labels["place"], data["place"]),
            (labels["date"], _format_day(data["held_on"], language)),
            (labels["trainers"], data.get("trainers") or ""),
        ]
        for label, value in details:
            self._put(canvas, label, 0, y, 9, 80, rtl=rtl, colour=GREY)
            self._put(canvas, value, 84, y, 9.5, full - 84, rtl=rtl, cache=False)
            y -= 13
        self._put(canvas, labels["pass"].format(n=data["pass_mark"]), 0, y, 9.5, full, rtl=rtl, bold=True)
        return y - 14

    def _table(self, canvas, rows: list[dict | None], first_number: int, top: float, labels: dict, rtl: bool) -> None:
        canvas.stroke_colour(GREY)
        y = top
        x = 0.0
        canvas.fill_colour((0.92, 0.94, 0.97))
        canvas.rect(MARGIN, y - ROW_H, WIDTH - 2 * MARGIN, ROW_H, fill=True)
        for key, width in COLUMNS:
            self._put(canvas, labels[key], x + 4, y - 16, 9, width - 8, rtl=rtl, bold=True, colour=NAVY)
            x += width
        y -= ROW_H
        for offset, person in enumerate(rows):
            x = 0.0
            for key, width in COLUMNS:
                if person is not None and key in ("number", "name", "service"):
                    text = {"number": str(first_number + offset + 1), "name": person["name"],
                            "service": person["service_number"]}[key]
                    # Names and numbers keep their own direction; the cell is aligned to the sheet's.
                    self._put(canvas, text, x + 4, y - 16, 10, width - 8, rtl=rtl, cache=False)
                x += width
            y -= ROW_H
        # Grid: rows, then column rules from the header down.
        bottom = y
        for row in range(len(rows) + 2):
            line_y = top - row * ROW_H
            canvas.line(MARGIN, line_y, WIDTH - MARGIN, line_y, 0.6)
        x = 0.0
        for _key, width in (*COLUMNS, ("end", 0)):
            edge = WIDTH - MARGIN - x if rtl else MARGIN + x
            canvas.line(edge, top, edge, bottom, 0.6)
            x += width

    def _footer(self, canvas, labels: dict, rtl: bool, number: int, total: int, last: bool) -> None:
        full = WIDTH - 2 * MARGIN
        if last:
            self._put(canvas, labels["walk_in"], 0, MARGIN + 34, 8.5, full, rtl=rtl, colour=GREY)
        self._put(canvas, f"{labels['trainer_sign']}: ______________________", 0, MARGIN + 14, 9, full * 0.6, rtl=rtl)
        page = labels["page"].format(n=number, total=total)
        self._put(canvas, page, full * 0.7, MARGIN + 14, 8.5, full * 0.3, rtl=rtl, colour=GREY)


def _fit(shaped: ShapedLine, size: float, max_width: float, smallest: float = 6) -> float:
    width = shaped.width(size)
    return size if width <= max_width else max(smallest, size * max_width / width)


def _format_day(day: date, language: str) -> str:
    return format_date(day, format="long", locale=language)


@cache
def default_renderer() -> SheetRenderer:
    return SheetRenderer()


def render(data: dict) -> bytes:
    return default_renderer().render(data)
