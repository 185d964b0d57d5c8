"""Text for PDF pages: fonts loaded once, bidi runs, HarfBuzz shaping (pure: no Flask).

A line of text becomes a `ShapedLine`: runs in visual (left-to-right) order, each in one font
and one direction, holding glyph ids and advances in font units. Shaping does not depend on the
point size, so a line is shaped once and drawn at any size; labels and course titles are cached.

Bidi levels come from python-bidi (the Rust unicode-bidi crate: the whole Unicode algorithm,
UAX #9, with isolates, brackets and explicit embeddings); this module reorders the shaped runs by
those levels (rule L2). Bidi controls and LRM / RLM / ALM count in the levels and are not drawn.
"""

from __future__ import annotations

import re
import struct
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import uharfbuzz as hb
from bidi import get_base_level, get_display

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT_FILES = {
    ("latin", False): "NotoSans-Regular.ttf",
    ("latin", True): "NotoSans-Bold.ttf",
    ("arabic", False): "NotoNaskhArabic-Regular.ttf",
    ("arabic", True): "NotoNaskhArabic-Bold.ttf",
}
_ARABIC_RANGES = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))
_NOT_DRAWN = {"\u200e", "\u200f", "\u061c", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
              "\u2066", "\u2067", "\u2068", "\u2069"}


def is_arabic(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _ARABIC_RANGES)


@dataclass(eq=False)
class Font:
    """One font file, parsed once: HarfBuzz face and font plus what a PDF font descriptor needs."""

    key: str
    data: bytes
    face: hb.Face
    hb_font: hb.Font
    upem: int
    postscript_name: str
    ascent: int
    descent: int
    cap_height: int
    bbox: tuple[int, int, int, int]

    @classmethod
    def load(cls, path: Path, key: str) -> Font:
        data = path.read_bytes()
        face = hb.Face(hb.Blob(data))
        font = hb.Font(face)
        extents = font.get_font_extents("ltr")
        head = face.reference_table("head").data
        bbox = struct.unpack(">hhhh", head[36:44])
        cap = font.get_metric_position_with_fallback(hb.OTMetricsTag.CAP_HEIGHT)
        name = face.get_name(hb.OTNameIdPredefined.POSTSCRIPT_NAME) or path.stem
        return cls(key=key, data=data, face=face, hb_font=font, upem=face.upem, postscript_name=name,
                   ascent=extents.ascender, descent=extents.descender, cap_height=cap or extents.ascender,
                   bbox=bbox)

    def has_glyph(self, char: str) -> bool:
        return self.hb_font.get_nominal_glyph(ord(char)) is not None

    def advance(self, glyph_id: int) -> int:
        return self.hb_font.get_glyph_h_advance(glyph_id)

    def subset(self, glyph_ids: Iterable[int]) -> bytes:
        """A TrueType file holding only `glyph_ids` (ids kept, so the content stream needs no remap)."""
        subset_input = hb.SubsetInput()
        for glyph_id in glyph_ids:
            subset_input.glyph_set.add(glyph_id)
        subset_input.flags = hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.NO_HINTING
        for tag in ("GSUB", "GPOS", "GDEF", "DSIG", "kern", "JSTF", "meta"):
            subset_input.drop_table_tag_set.add(struct.unpack(">I", tag.encode().ljust(4))[0])
        return hb.subset(self.face, subset_input).blob.data


@dataclass
class FontSet:
    """The four faces a certificate uses: Latin and Arabic, regular and bold."""

    fonts: dict[tuple[str, bool], Font]

    @classmethod
    def load(cls, folder: Path = FONT_DIR) -> FontSet:
        return cls({(script, bold): Font.load(folder / name, f"{script}-{'bold' if bold else 'regular'}")
                    for (script, bold), name in FONT_FILES.items()})

    def for_char(self, char: str, bold: bool) -> Font:
        return self.fonts[("arabic" if is_arabic(char) else "latin", bold)]

    def latin(self, bold: bool) -> Font:
        return self.fonts[("latin", bold)]


@dataclass(frozen=True)
class Glyph:
    glyph_id: int
    advance: int     # font units, kerning included
    x_offset: int
    y_offset: int
    text: str        # the characters this glyph stands for ("" for the 2nd+ glyph of a cluster)


@dataclass(frozen=True)
class Run:
    font: Font
    rtl: bool
    glyphs: tuple[Glyph, ...]

    @property
    def width_units(self) -> int:
        return sum(glyph.advance for glyph in self.glyphs)


@dataclass(frozen=True)
class ShapedLine:
    text: str
    rtl: bool                  # paragraph direction
    runs: tuple[Run, ...]      # visual order, left to right

    def width(self, size: float) -> float:
        """Width in points at `size` points."""
        return sum(run.width_units * size / run.font.upem for run in self.runs)


# --- bidi -----------------------------------------------------------------------------------

# Characters that can make a level other than 0 in a left-to-right paragraph; without any, every
# level is 0 and the algorithm need not run (Latin names, serials, dates).
_NEEDS_BIDI = frozenset(("R", "AL", "AN", "LRE", "LRO", "RLE", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"))
_NUMBER = re.compile(r"\d+")


def paragraph_is_rtl(text: str) -> bool:
    """The direction of the first strong character (rules P2, P3); left-to-right if there is none."""
    return get_base_level(text) == 1


def bidi_levels(text: str, rtl: bool) -> list[int]:
    """Embedding level of each character (even: left-to-right, odd: right-to-left)."""
    if not text:
        return []
    if not rtl and not any(unicodedata.bidirectional(char) in _NEEDS_BIDI for char in text):
        return [0] * len(text)
    # python-bidi hands its levels out only in its debug report (documented: "debug: True to display
    # the Unicode levels as seen by the algorithm"): the Rust BidiInfo, one level per UTF-8 byte.
    report = get_display(text, base_dir="R" if rtl else "L", debug=True)
    start, end = report.index("\n    levels: ["), report.index("\n    paragraphs: [")
    per_byte = [int(number) for number in _NUMBER.findall(report, start, end)]
    if len(per_byte) != len(text.encode()):
        raise RuntimeError("python-bidi's debug report changed shape: check the pinned version")
    levels, position = [], 0
    for char in text:
        levels.append(per_byte[position])
        code = ord(char)
        position += 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
    return levels


def _reorder(items: list, levels: list[int]) -> list:
    """Rule L2: from the highest level down to the lowest odd one, reverse each run at or above it."""
    if not items:
        return items
    order = list(range(len(items)))
    highest, lowest_odd = max(levels), min((lvl for lvl in levels if lvl % 2), default=None)
    if lowest_odd is None:
        return items
    for level in range(highest, lowest_odd - 1, -1):
        position = 0
        while position < len(order):
            if levels[order[position]] >= level:
                end = position
                while end < len(order) and levels[order[end]] >= level:
                    end += 1
                order[position:end] = reversed(order[position:end])
                position = end
            else:
                position += 1
    return [items[index] for index in order]


# --- shaping --------------------------------------------------------------------------------

def _font_for_each_char(text: str, fonts: FontSet, bold: bool) -> list[Font]:
    """Arabic letters in the Arabic face, the rest in the Latin one; neutrals follow their neighbour."""
    chosen: list[Font | None] = [fonts.for_char(char, bold) if not _is_neutral(char) else None for char in text]
    last = None
    for index, font in enumerate(chosen):
        if font is None:
            if last is not None and last.has_glyph(text[index]):
                chosen[index] = last
        else:
            last = font
    following = None
    for index in range(len(text) - 1, -1, -1):
        if chosen[index] is None:
            chosen[index] = following if following is not None and following.has_glyph(text[index]) \
                else fonts.latin(bold)
        else:
            following = chosen[index]
    return chosen  # type: ignore[return-value]


def _is_neutral(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("WS", "ON", "CS", "ES", "ET", "S", "B", "BN")


def _shape_run(text: str, font: Font, rtl: bool) -> Run:
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    buffer.direction = "rtl" if rtl else "ltr"
    hb.shape(font.hb_font, buffer, {"kern": True, "liga": True})
    infos, positions = buffer.glyph_infos, buffer.glyph_positions
    # uharfbuzz numbers clusters by code point; a glyph stands for its cluster's characters.
    starts = sorted({info.cluster for info in infos})
    ends = {start: (starts[i + 1] if i + 1 < len(starts) else len(text)) for i, start in enumerate(starts)}
    seen: set[int] = set()
    glyphs = []
    for info, position in zip(infos, positions, strict=True):
        cluster_text = ""
        if info.cluster not in seen:
            seen.add(info.cluster)
            cluster_text = text[info.cluster:ends[info.cluster]]
        glyphs.append(Glyph(info.codepoint, position.x_advance, position.x_offset, position.y_offset, cluster_text))
    return Run(font=font, rtl=rtl, glyphs=tuple(glyphs))


def shape(text: str, fonts: FontSet, bold: bool = False, rtl: bool | None = None) -> ShapedLine:
    """Shape one line. `rtl` is the paragraph direction; None takes it from the first letter."""
    text = " ".join(text.split())  # one line: tabs and newlines are spaces
    paragraph_rtl = paragraph_is_rtl(text) if rtl is None else rtl
    levels = bidi_levels(text, paragraph_rtl)
    chosen = _font_for_each_char(text, fonts, bold)
    pieces: list[tuple[str, Font, int]] = []
    for char, font, level in zip(text, chosen, levels, strict=True):
        if char in _NOT_DRAWN:
            continue
        if pieces and pieces[-1][1] is font and pieces[-1][2] == level:
            pieces[-1] = (pieces[-1][0] + char, font, level)
        else:
            pieces.append((char, font, level))
    runs = [_shape_run(piece, font, level % 2 == 1) for piece, font, level in pieces]
    ordered = _reorder(runs, [level for _piece, _font, level in pieces])
    return ShapedLine(text=text, rtl=paragraph_rtl, runs=tuple(ordered))


class Shaper:
    """Shapes with one FontSet and remembers lines it has seen (labels, course titles, dates)."""

    def __init__(self, fonts: FontSet, cache_size: int = 2048):
        self.fonts = fonts
        self._cached = lru_cache(maxsize=cache_size)(self._shape)

    def _shape(self, text: str, bold: bool, rtl: bool | None) -> ShapedLine:
        return shape(text, self.fonts, bold, rtl)

    def line(self, text: str, bold: bool = False, rtl: bool | None = None, cache: bool = True) -> ShapedLine:
        return self._cached(text, bold, rtl) if cache else shape(text, self.fonts, bold, rtl)

    def wrap(self, text: str, size: float, max_width: float, bold: bool = False,
             rtl: bool | None = None) -> list[ShapedLine]:
        """Break `text` at spaces into lines no wider than `max_width` (a long word stays whole)."""
        words, lines, current = text.split(), [], ""
        for word in words:
            candidate = f"{current} {word}".strip()
            if current and self.line(candidate, bold, rtl).width(size) > max_width:
                lines.append(self.line(current, bold, rtl))
                current = word
            else:
                current = candidate
        if current:
            lines.append(self.line(current, bold, rtl))
        return lines
