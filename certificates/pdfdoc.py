"""A one-page PDF writer for certificates (pure: no Flask, no database).

Why not fpdf2 or WeasyPrint: both parse the font files and subset them with fontTools for every
document (docs/pdf.md: 40-125 ms a page, measured), which caps a bulk ZIP at 10-30
certificates a second. Here the fonts are parsed once (typeset.FontSet), text is shaped with
HarfBuzz, and each document embeds only the glyphs it uses through HarfBuzz's C subsetter
(about 0.3 ms a font). What remains per page is string building and zlib.

Fonts are embedded as Type0 / CIDFontType2 with Identity-H encoding (glyph ids in the content
stream), a /W width array and a ToUnicode map, so text can be searched, copied and extracted.
Lines containing right-to-left text also carry /ActualText in logical order.
"""

from __future__ import annotations

import hashlib
import zlib
from datetime import datetime

from certificates.typeset import Font, Run, ShapedLine

Colour = tuple[float, float, float]


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _utf16_hex(text: str) -> str:
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


class Canvas:
    """The page's content stream, plus the glyphs each font has drawn (for subsets and ToUnicode)."""

    def __init__(self, width: float, height: float):
        self.width, self.height = width, height
        self._parts: list[str] = []
        self.font_names: dict[Font, str] = {}
        self.glyph_text: dict[Font, dict[int, str]] = {}
        self.images: list[tuple[str, int, int, bytes]] = []

    # --- graphics -------------------------------------------------------------------------
    def raw(self, operators: str) -> None:
        self._parts.append(operators)

    def fill_colour(self, colour: Colour) -> None:
        self._parts.append(f"{_num(colour[0])} {_num(colour[1])} {_num(colour[2])} rg")

    def stroke_colour(self, colour: Colour) -> None:
        self._parts.append(f"{_num(colour[0])} {_num(colour[1])} {_num(colour[2])} RG")

    def rect(self, x: float, y: float, w: float, h: float, *, fill: bool = False, stroke: float = 0) -> None:
        operator = "B" if fill and stroke else ("f" if fill else "S")
        width = f"{_num(stroke)} w " if stroke else ""
        self._parts.append(f"{width}{_num(x)} {_num(y)} {_num(w)} {_num(h)} re {operator}")

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float) -> None:
        self._parts.append(f"{_num(width)} w {_num(x1)} {_num(y1)} m {_num(x2)} {_num(y2)} l S")

    def grey_image(self, pixels: bytes, columns: int, rows: int, x: float, y: float, w: float, h: float) -> None:
        """An 8-bit grey image (0 black, 255 white) drawn into the box without smoothing (QR codes)."""
        name = f"Im{len(self.images) + 1}"
        self.images.append((name, columns, rows, pixels))
        self._parts.append(f"q {_num(w)} 0 0 {_num(h)} {_num(x)} {_num(y)} cm /{name} Do Q")

    # --- text -----------------------------------------------------------------------------
    def text(self, line: ShapedLine, x: float, y: float, size: float, *, align: str = "left",
             colour: Colour | None = None) -> float:
        """Draw `line` with its baseline at y; `align` says whether x is its left, centre or right."""
        width = line.width(size)
        left = x - width / 2 if align == "center" else (x - width if align == "right" else x)
        parts = ["BT"]
        if colour is not None:
            parts.append(f"{_num(colour[0])} {_num(colour[1])} {_num(colour[2])} rg")
        actual = any(run.rtl for run in line.runs)
        if actual:  # readers that honour it copy Arabic in reading order, not drawing order
            parts.append(f"/Span <</ActualText {_utf16_hex(line.text)}>> BDC")
        pen = left
        for run in line.runs:
            pen = self._run(parts, run, pen, y, size)
        if actual:
            parts.append("EMC")
        parts.append("ET")
        self._parts.append("\n".join(parts))
        return width

    def _run(self, parts: list[str], run: Run, pen: float, y: float, size: float) -> float:
        font = run.font
        name = self.font_names.setdefault(font, f"F{len(self.font_names) + 1}")
        used = self.glyph_text.setdefault(font, {})
        scale = size / font.upem
        parts.append(f"/{name} {_num(size)} Tf")
        segment: list[str] = []
        segment_start = pen

        def flush() -> None:
            if segment:
                parts.append(f"1 0 0 1 {_num(segment_start)} {_num(y)} Tm [{''.join(segment)}] TJ")
                segment.clear()

        for glyph in run.glyphs:
            if glyph.text and not used.get(glyph.glyph_id):
                used[glyph.glyph_id] = glyph.text
            used.setdefault(glyph.glyph_id, "")
            code = f"<{glyph.glyph_id:04X}>"
            if glyph.x_offset or glyph.y_offset:  # a mark placed over its base letter
                flush()
                parts.append(f"1 0 0 1 {_num(pen + glyph.x_offset * scale)} {_num(y + glyph.y_offset * scale)} Tm "
                             f"[{code}] TJ")
                pen += glyph.advance * scale
                segment_start = pen
                continue
            if not segment:
                segment_start = pen
            segment.append(code)
            # TJ moves the pen by the /W width; correct it to HarfBuzz's advance (kerning).
            adjust = font.advance(glyph.glyph_id) - glyph.advance
            if adjust:
                segment.append(f" {_num(adjust * 1000 / font.upem)} ")
            pen += glyph.advance * scale
        flush()
        return pen

    def content(self) -> bytes:
        return "\n".join(self._parts).encode("latin-1")


class _Objects:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def reserve(self) -> int:
        self.bodies.append(b"")
        return len(self.bodies)

    def put(self, number: int, body: bytes | str) -> int:
        self.bodies[number - 1] = body.encode("latin-1") if isinstance(body, str) else body
        return number

    def add(self, body: bytes | str) -> int:
        return self.put(self.reserve(), body)

    def stream(self, data: bytes, extra: str = "", compress: bool = True) -> int:
        if compress:
            data = zlib.compress(data, 6)
            extra += " /Filter /FlateDecode"
        return self.add(b"<< /Length %d%s >>\nstream\n" % (len(data), extra.encode()) + data + b"\nendstream")


def _subset_tag(glyph_ids: list[int]) -> str:
    digest = hashlib.sha256(",".join(map(str, glyph_ids)).encode()).digest()
    return "".join(chr(ord("A") + byte % 26) for byte in digest[:6])


def _to_unicode(glyph_text: dict[int, str]) -> bytes:
    entries = [f"<{gid:04X}> <{text.encode('utf-16-be').hex().upper()}>"
               for gid, text in sorted(glyph_text.items()) if text]
    blocks = []
    for start in range(0, len(entries), 100):  # at most 100 entries per bfchar block
        chunk = entries[start:start + 100]
        blocks.append(f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar")
    return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            + "\n".join(blocks) + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend").encode()


def _embed_font(objects: _Objects, font: Font, glyph_text: dict[int, str], number: int | None = None) -> int:
    """Embed the subset of `font` holding these glyphs; the Type0 font object goes to `number` if given
    (a streamed document reserves it before its pages, and writes the font after them)."""
    glyph_ids = sorted(set(glyph_text) | {0})
    base_name = f"{_subset_tag(glyph_ids)}+{font.postscript_name}"
    font_file = font.subset(glyph_ids)
    file_ref = objects.stream(font_file, f" /Length1 {len(font_file)}")
    to_1000 = 1000 / font.upem
    x_min, y_min, x_max, y_max = (round(v * to_1000) for v in font.bbox)
    descriptor = objects.add(
        f"<< /Type /FontDescriptor /FontName /{base_name} /Flags 4 /FontBBox [{x_min} {y_min} {x_max} {y_max}] "
        f"/ItalicAngle 0 /Ascent {round(font.ascent * to_1000)} /Descent {round(font.descent * to_1000)} "
        f"/CapHeight {round(font.cap_height * to_1000)} /StemV 80 /FontFile2 {file_ref} 0 R >>")
    widths = " ".join(f"{gid} [{_num(font.advance(gid) * to_1000)}]" for gid in glyph_ids)
    cid_font = objects.add(
        f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{base_name} "
        f"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        f"/FontDescriptor {descriptor} 0 R /CIDToGIDMap /Identity /DW 0 /W [{widths}] >>")
    to_unicode = objects.stream(_to_unicode(glyph_text))
    body = (f"<< /Type /Font /Subtype /Type0 /BaseFont /{base_name} /Encoding /Identity-H "
            f"/DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>")
    return objects.add(body) if number is None else objects.put(number, body)


def _pdf_date(moment: datetime) -> str:
    return moment.strftime("D:%Y%m%d%H%M%SZ")


def build(canvas: Canvas, *, title: str, author: str, subject: str, language: str, created: datetime) -> bytes:
    """The finished PDF file for one page drawn on `canvas`."""
    return build_pages([canvas], title=title, author=author, subject=subject, language=language, created=created)


def build_pages(canvases: list[Canvas], *, title: str, author: str, subject: str, language: str,
                created: datetime) -> bytes:
    """A PDF of one or more pages (a certificate, an attendance sheet). The canvases share one
    `font_names` dict, so each font is embedded once, as the subset of every glyph any page drew."""
    objects = _Objects()
    catalog, pages = objects.reserve(), objects.reserve()
    page_numbers = [objects.reserve() for _ in canvases]
    font_names = canvases[0].font_names
    font_refs = {}
    for font, name in font_names.items():
        merged: dict[int, str] = {}
        for canvas in canvases:
            for glyph_id, text in canvas.glyph_text.get(font, {}).items():
                if text and not merged.get(glyph_id):
                    merged[glyph_id] = text
                merged.setdefault(glyph_id, "")
        font_refs[name] = _embed_font(objects, font, merged)
    font_dict = " ".join(f"/{name} {ref} 0 R" for name, ref in font_refs.items())
    for number, canvas in zip(page_numbers, canvases, strict=True):
        content = objects.stream(canvas.content())
        image_refs = {name: objects.stream(pixels, f" /Type /XObject /Subtype /Image /Width {columns} /Height {rows} "
                                                   f"/ColorSpace /DeviceGray /BitsPerComponent 8 /Interpolate false")
                      for name, columns, rows, pixels in canvas.images}
        images = " ".join(f"/{name} {ref} 0 R" for name, ref in image_refs.items())
        objects.put(number, f"<< /Type /Page /Parent {pages} 0 R /MediaBox [0 0 {_num(canvas.width)} "
                            f"{_num(canvas.height)}] /Resources << /Font << {font_dict} >> /XObject << {images} >> >> "
                            f"/Contents {content} 0 R >>")
    objects.put(catalog, f"<< /Type /Catalog /Pages {pages} 0 R /Lang ({language}) "
                         f"/ViewerPreferences << /DisplayDocTitle true >> >>")
    kids = " ".join(f"{n} 0 R" for n in page_numbers)
    objects.put(pages, f"<< /Type /Pages /Kids [{kids}] /Count {len(page_numbers)} >>")
    info = objects.add(f"<< /Title {_utf16_hex(title)} /Author {_utf16_hex(author)} /Subject {_utf16_hex(subject)} "
                       f"/Creator (Child Protection Training) /Producer (certificates.pdfdoc) "
                       f"/CreationDate ({_pdf_date(created)}) >>")
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects.bodies, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    file_id = hashlib.md5(bytes(out), usedforsecurity=False).hexdigest()
    out += (f"trailer\n<< /Size {len(offsets) + 1} /Root {catalog} 0 R /Info {info} 0 R "
            f"/ID [<{file_id}> <{file_id}>] >>\nstartxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)
