"""SVG charts drawn on the server: readable with JavaScript off, no chart library in the browser.

Each function returns SVG markup (as Markup, already escaped) with a <title> and <desc>; the
page shows the same numbers in a table beside it for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from reports.screen import escaped
from training.statuses import STATUS_LIST

STATUS_COLOURS = {status.key: status.colour for status in STATUS_LIST}
# Counts hidden by the small-cell rule (reports.smallcells) are drawn together, in grey, last.
HIDDEN_COLOUR = "#6e7781"
PROGRESS_COLOURS = {"done": "#1d5fa8", "not_done": "#d5dde5"}


@dataclass(frozen=True)
class Bar:
    label: str
    parts: dict[str, int]  # status -> count, drawn left to right in the colours' order
    value: str | None = None  # the figure after the bar; None: the cleared percentage
    part_labels: dict[str, str] | None = None  # how each part is named in its tooltip (translated)

    @property
    def total(self) -> int:
        return sum(self.parts.values())


def stacked_bars(bars: Sequence[Bar], *, title: str, width: int = 640, row: int = 28, label_width: int = 150,
                 rtl: bool = False, colours: dict[str, str] | None = None) -> Markup:
    """Horizontal 100% stacked bars, one per row (units, categories, missions).

    Coordinates are computed left to right and mirrored for right-to-left pages, so the
    label sits on the reading side and the bar grows in the reading direction.
    """
    height = max(1, len(bars)) * row + 8
    plot = width - label_width - 50

    def x_of(x: float, w: float = 0) -> float:
        return width - x - w if rtl else x

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" class="chart" '
           f'direction="{_direction(rtl)}"><title>{escape(title)}</title>']
    # text-anchor follows the text direction (start is the right edge in right-to-left text), so
    # with the direction set on the <svg> the same anchors put each text beside its mirrored bar.
    start_anchor, end_anchor = "end", "start"
    for index, bar in enumerate(bars):
        y = index * row + 4
        text_y = f"{y + row / 2 + 1:.0f}"
        out.append(f'<text x="{x_of(label_width - 8):.0f}" y="{text_y}" text-anchor="{start_anchor}" '
                   f'class="chart-label">{escaped(bar.label)}</text>')
        x, total = float(label_width), bar.total or 1
        for status, colour in (colours or {**STATUS_COLOURS, "hidden": HIDDEN_COLOUR}).items():
            count = bar.parts.get(status, 0)
            if count:
                w = plot * count / total
                name = (bar.part_labels or {}).get(status, status)
                shown = "" if status == "hidden" else f" {count}"  # the sum of hidden counts stays unsaid
                out.append(f'<rect x="{x_of(x, w):.1f}" y="{y}" width="{w:.1f}" height="{row - 8}" fill="{colour}">'
                           f'<title>{escaped(bar.label)}: {escaped(name)}{shown}</title></rect>')
                x += w
        value = bar.value if bar.value is not None else \
            f"{100 * bar.parts.get('cleared', 0) / total if bar.total else 0:.0f}%"
        out.append(f'<text x="{x_of(label_width + plot + 6):.0f}" y="{text_y}" text-anchor="{end_anchor}" '
                   f'class="chart-value">{escaped(value)}</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 (every piece of text above went through escape() or escaped())


def _direction(rtl: bool) -> str:
    return "rtl" if rtl else "ltr"


def trend_line(points: Sequence[tuple[str, int]], *, title: str, width: int = 640, height: int = 200,
               rtl: bool = False) -> Markup:
    """A line of weekly counts with a label under each point; time runs right to left when `rtl`."""
    pad_left, pad_bottom, pad_top = 40, 30, 16
    plot_w, plot_h = width - pad_left - 10, height - pad_bottom - pad_top
    peak = max((value for _label, value in points), default=0) or 1
    step = plot_w / max(1, len(points) - 1)

    def x_of(x: float) -> float:
        return width - x if rtl else x

    coords = [(x_of(pad_left + i * step), pad_top + plot_h - plot_h * value / peak)
              for i, (_l, value) in enumerate(points)]
    axis_anchor = "end"  # see stacked_bars: the <svg>'s direction mirrors the anchor
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" class="chart" '
           f'direction="{_direction(rtl)}"><title>{escape(title)}</title>',
           f'<line x1="{x_of(pad_left)}" y1="{pad_top + plot_h}" x2="{x_of(width - 10)}" y2="{pad_top + plot_h}" '
           f'stroke="#4a5560"/>',
           f'<text x="{x_of(pad_left - 6)}" y="{pad_top + 4}" text-anchor="{axis_anchor}" class="chart-value">{peak}</text>',
           f'<text x="{x_of(pad_left - 6)}" y="{pad_top + plot_h}" text-anchor="{axis_anchor}" class="chart-value">0</text>']
    if coords:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        out.append(f'<polyline points="{path}" fill="none" stroke="#1d5fa8" stroke-width="3"/>')
    for (x, y), (label, value) in zip(coords, points, strict=True):
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#1d5fa8"><title>{escaped(label)}: {value}</title></circle>')
        out.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" class="chart-axis">{escaped(label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 (every piece of text above went through escape() or escaped())


def sparkline(values: Sequence[int], *, title: str, width: int = 120, height: int = 28, rtl: bool = False) -> Markup:
    """A word-sized line (a table cell's trend); the cell's text gives the numbers."""
    peak = max(values, default=0) or 1
    step = (width - 4) / max(1, len(values) - 1)
    coords = [(2 + i * step, height - 3 - (height - 6) * value / peak) for i, value in enumerate(values)]
    if rtl:
        coords = [(width - x, y) for x, y in coords]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    return Markup(  # noqa: S704 (the only text, the title, is escaped)
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" class="sparkline"><title>{escape(title)}</title>'
        f'<polyline points="{path}" fill="none" stroke="#1d5fa8" stroke-width="2"/></svg>')


def column_bars(points: Sequence[tuple[str, int]], *, title: str, width: int = 640, height: int = 200,
                rtl: bool = False) -> Markup:
    """Vertical bars of counts (sessions per month), each with its label under it and its count
    above it; time runs right to left when `rtl`, like trend_line."""
    pad_left, pad_bottom, pad_top = 40, 30, 20
    plot_w, plot_h = width - pad_left - 10, height - pad_bottom - pad_top
    peak = max((value for _label, value in points), default=0) or 1
    slot = plot_w / max(1, len(points))
    bar_w = slot * 0.6

    def x_of(x: float, w: float = 0) -> float:
        return width - x - w if rtl else x

    axis_anchor = "end"  # see stacked_bars: the <svg>'s direction mirrors the anchor
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" class="chart" '
           f'direction="{_direction(rtl)}"><title>{escape(title)}</title>',
           f'<line x1="{x_of(pad_left)}" y1="{pad_top + plot_h}" x2="{x_of(width - 10)}" y2="{pad_top + plot_h}" '
           f'stroke="#4a5560"/>',
           f'<text x="{x_of(pad_left - 6)}" y="{pad_top + 4}" text-anchor="{axis_anchor}" class="chart-value">{peak}</text>',
           f'<text x="{x_of(pad_left - 6)}" y="{pad_top + plot_h}" text-anchor="{axis_anchor}" class="chart-value">0</text>']
    for index, (label, value) in enumerate(points):
        left = pad_left + index * slot + (slot - bar_w) / 2
        h = plot_h * value / peak
        centre = x_of(left + bar_w / 2)
        if value:
            out.append(f'<rect x="{x_of(left, bar_w):.1f}" y="{pad_top + plot_h - h:.1f}" width="{bar_w:.1f}" '
                       f'height="{h:.1f}" fill="#1d5fa8"><title>{escaped(label)}: {value}</title></rect>')
            out.append(f'<text x="{centre:.1f}" y="{pad_top + plot_h - h - 4:.1f}" text-anchor="middle" '
                       f'class="chart-value">{value}</text>')
        out.append(f'<text x="{centre:.1f}" y="{height - 8}" text-anchor="middle" class="chart-axis">{escaped(label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 (every piece of text above went through escape() or escaped())
