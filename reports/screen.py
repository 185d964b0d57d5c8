"""A dashboard table as HTML (caption, header, rows), drawn in Python for templates/reports/_table.html.

A mission dashboard's page has some 600 cells (50 names in the overdue list, 20 arrivals, the
breakdowns): drawn by Jinja macros, one call and one captured block per cell, they took about a
quarter of the page's CPU time at 10,000 people (issue #14). Here each cell is a few string
joins; the words, the CSRF token and the URLs the cells repeat are looked up once per page.

The HTML is what the macros drew, byte for byte (the header's sort links and swatches too:
drawing the header in Jinja cost a third as much as all the rows). A column with a snippet
(core.spreadsheet.Column.snippet: buttons, a figure with its share) is drawn by the snippet of
that name below: the lists' buttons, the slips' forms, the headline's and the HQ table's shares
(the HQ view's 75 figure cells took half its template time as macros).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property, lru_cache
from typing import Any

from markupsafe import Markup, escape

from core.spreadsheet import ACTION, Column, Table
from reports import words as reports_words
from reports.words import gettext as _
from reports.words import ngettext
from training.statuses import STATUS

NUMERIC = ("number", "percent", "count")  # right-aligned, as the macro's header says


def escaped(value: Any) -> str:
    """What escape(value) writes, as text: the value itself when it holds nothing to escape (most
    names, URLs and ids of a list) and escape's Markup otherwise. escape costs about 0.45
    microseconds a value even when it changes nothing, this check 0.1; a list's page escapes some
    700 values, its charts some 150. (Markup and other objects with __html__ still go through escape.)"""
    if type(value) is str:
        if "&" in value or "<" in value or ">" in value or "'" in value or '"' in value:
            return escape(value)
        return value
    if type(value) is int:  # digits and a minus sign: nothing to escape
        return str(value)
    return escape(value)


def _words(text: str) -> Markup:
    """A translation as the templates print it: not escaped (our own catalogue)."""
    return Markup(text)  # noqa: S704


def _fixed_words() -> dict[str, Markup]:
    """The cells' fixed words in the current language."""
    return {key: _words(text) for key, text in (
        ("fewer_than_5", _("fewer than 5")), ("hidden", _("hidden")), ("remind", _("Remind")),
        ("remind_name", _("Remind %(name)s", name="%(name)s")), ("new_code", _("New code")),
        ("email_missing", _("no e-mail: in the app only")), ("since", _("since %(day)s", day="%(day)s")),
        ("of_whom", _("of whom")), ("online", _("online")), ("in_person", _("in person")),
        ("mixed", _("online and in person")), ("recognised", _("recognised")),
        ("renewal_due", _("of whom %(num)s renewal due", num="%(num)s")),
        ("no_course", _("No course required")),
        ("weeks_before", _("%(before)s in the 4 weeks before", before="%(before)s")),
        ("new_slips", _("New slips for everyone")),
        *((key, _(status.label)) for key, status in STATUS.items()))}


@lru_cache(maxsize=16)
def _kept_words(_catalogue) -> dict[str, Markup]:
    """_fixed_words() for each catalogue (once per process and language): some 25 translations
    that every dashboard page made again."""
    return _fixed_words()


# Each snippet's drawing method, by name (named rather than held as bound methods on the object:
# those would keep it, and the words and figures it caches, in a reference cycle after the page).
SNIPPETS = {"status": "_status", "status_since": "_status_since", "remind": "_remind", "new_code": "_new_code",
            "share": "_share", "hq_share": "_hq_share", "hq_figure": "_hq_figure", "hq_trend": "_hq_trend",
            "slips": "_slips"}


class ScreenCells:
    """Draws table rows for one page. `format_date` / `format_decimal`: the page's formatters;
    `status_names`: the statuses' names, translated once; `remind_url`, `slip_url(user_id)`,
    `token` and `back`: the lists' buttons (None on a page without them)."""

    def __init__(self, *, format_date: Callable, format_decimal: Callable, status_names: dict[str, Any],
                 token: str | None = None, remind_url: str | None = None,
                 slip_url: Callable[[int], str] | None = None, back: str = "",
                 sparks: dict[int, Markup] | None = None, slips_url: str = "") -> None:
        self.format_date, self.format_decimal = format_date, format_decimal
        self.status_names = {key: escape(name) for key, name in status_names.items()}
        self.token, self.remind_url, self.slip_url, self.back = escape(token or ""), escape(remind_url or ""), slip_url, escape(back)
        self._numbers: dict = {}
        self._dates: dict = {}
        self.sparks = sparks or {}  # the HQ table's trend: each mission's sparkline (reports.charts)
        self.slips_url = escape(slips_url)  # where "Getting people in" prints a unit's slips

    @cached_property
    def words(self) -> dict[str, Markup]:
        """The cells' fixed words, translated once per process and language (read only)."""
        catalogue = reports_words.catalogue()
        return _fixed_words() if catalogue is None else _kept_words(catalogue)

    def table(self, table: Table, caption: Any, *, css: str = "figures", caption_hidden: bool = False,
              scroll: str = "", swatches: bool = True, labelled: bool = False, sort: str = "",
              sort_urls: dict[str, str] | None = None) -> Markup:
        """The whole table of templates/reports/_table.html's data_table, as that macro drew it
        (its arguments, `css` for its `class`): caption, header and rows."""
        columns = table.screen_columns()
        head = []
        for number, column in enumerate(columns):
            head.append('<th scope="col" class="num">' if number and column.kind in NUMERIC else '<th scope="col">')
            heading = escaped(column.heading)
            if column.kind == ACTION:
                head.append(f'<span class="visually-hidden">{heading}</span>')
            elif column.sort and sort_urls:
                head.append(self._sort_link(column, heading, sort, sort_urls))
            else:
                if swatches and column.key in STATUS:
                    head.append(f'<span class="swatch swatch-{escape(column.key)}" aria-hidden="true"></span>')
                head.append(heading)
            head.append("</th>")
        scrolls = f" {escape(scroll)}" if scroll else ""
        table_class = f' class="{escape(css)}"' if css else ""
        caption_class = ' class="visually-hidden"' if caption_hidden else ""
        return Markup(  # noqa: S704 (every value is escaped; the rows are Markup)
            f'\n\n<div class="table-scroll{scrolls}" tabindex="0">\n<table{table_class}>\n'
            f'  <caption{caption_class}>{escape(caption)}</caption>\n'
            f'  <thead><tr>{"".join(head)}</tr></thead>\n  <tbody>\n  {self.rows(table, columns, labelled)}\n'
            f'  </tbody>\n</table>\n</div>')

    def _sort_link(self, column: Column, heading: str, sort: str, sort_urls: dict[str, str]) -> str:
        """A sortable column's header: a link to the other order, and which order is shown."""
        link = f'<a href="{escape(sort_urls[column.sort])}"'
        if sort.lstrip("-") != column.sort:
            return f"{link}>{heading}</a>"
        descending = sort.startswith("-")
        order = _words(_("(sorted, descending)") if descending else _("(sorted, ascending)"))
        return (f'{link} aria-current="true">{heading} <span aria-hidden="true">{"▼" if descending else "▲"}</span>'
                f'<span class="visually-hidden">{order}</span></a>')

    def rows(self, table: Table, columns: list[Column], labelled: bool = False) -> Markup:
        """The <tr> of every row of `table`, as the macro's loop drew them."""
        drawers = []
        for number, column in enumerate(columns):
            if column.snippet:
                drawers.append(getattr(self, SNIPPETS[column.snippet]))
                continue
            attributes = ' class="num"' if column.kind in NUMERIC else ""
            if labelled:
                attributes += f' data-label="{escape(column.heading)}"'
            opening, closing = ("<th scope=\"row\">", "</th>") if number == 0 else (f"<td{attributes}>", "</td>")
            drawers.append(self._plain(column, opening, closing))
        cells = list(zip(drawers, columns, strict=True))
        row_class = table.row_class
        out: list[str] = []
        append = out.append
        for row in table.rows:
            css = row_class(row) if row_class else ""
            append(f'\n  <tr class="{escape(css)}">' if css else "\n  <tr>")
            out += [draw(column, row) for draw, column in cells]
            append("</tr>\n  ")
        return Markup("".join(out))  # noqa: S704 (every value above is escaped)

    def _plain(self, column: Column, opening: str, closing: str) -> Callable[[Column, Any], str]:
        shown, value, hint = self._formatter(column.kind), column.value, column.hint
        if not column.link and not hint:  # most cells: no link, no hint
            return lambda column, row: f"{opening}{shown(value(row))}{closing}"
        if not column.link:  # a hint (the lists' names and courses)
            def hinted(column: Column, row) -> str:
                words = hint(row)
                if words:
                    return f'{opening}{shown(value(row))} <span class="hint-inline">{escaped(words)}</span>{closing}'
                return f"{opening}{shown(value(row))}{closing}"
            return hinted

        def draw(column: Column, row) -> str:
            content = shown(column.value(row))
            href = column.link(row) if column.link else None
            if href:
                content = f'<a href="{escape(href)}">{content}</a>'
            hint = column.hint(row) if column.hint else None
            if hint:
                content = f'{content} <span class="hint-inline">{escape(hint)}</span>'
            return f"{opening}{content}{closing}"
        return draw

    def value(self, kind: str, value) -> str:
        """A value of a column kind as the page writes it (a count hidden by the small-cell rule as its words)."""
        return self._formatter(kind)(value)

    def _formatter(self, kind: str) -> Callable[[Any], str]:
        if kind == "count":
            return self._count
        if kind == "percent":
            return self._percent
        if kind == "number":
            return self._number
        if kind == "month":
            return lambda value: escape(self.format_date(value, "MMM yyyy"))
        if kind == "date":
            return lambda value: self._date(value) if value else "–"
        if kind == "status":
            return lambda value: f'<span class="status-{escape(value)}">{self.words[value]}</span>'
        return lambda value: escaped(value if value is not None else "")

    def _number(self, value) -> str:
        """format_decimal(value), escaped, once per value and page (the tables repeat their counts)."""
        shown = self._numbers.get(value)
        if shown is None:
            shown = self._numbers[value] = escape(self.format_decimal(value))
        return shown

    def _date(self, value) -> str:
        shown = self._dates.get(value)
        if shown is None:
            shown = self._dates[value] = escape(self.format_date(value))
        return shown

    def _count(self, cell) -> str:
        if cell.shown:
            return self._number(cell.count)
        words = self.words["fewer_than_5" if cell.hidden == "small" else "hidden"]
        return f'<span class="hidden-cell">{words}</span>'

    def _percent(self, value) -> str:
        return "–" if value is None else f"{escape(self.format_decimal(value, format='#,##0'))}%"

    # The lists' cells (reports.exports: the overdue list and the arrivals), drawn on every row.

    def _status(self, column: Column, row) -> str:
        return f'<td class="status-{escaped(row.status)}">{self.status_names[row.status]}</td>'

    def _status_since(self, column: Column, row) -> str:
        # (The translations are written unescaped and the day is escaped already: plain % writes
        # what Markup's % would, without escaping each argument again.)
        since = str(self.words["since"])
        return (f'<td class="status-{escaped(row.status)}">{self.status_names[row.status]} '
                f'{since % {"day": self._date(row.since)}}</td>')

    @cached_property
    def _remind_parts(self) -> tuple[str, str, str, str, str]:
        """The remind cell around its person's id and name, and the e-mail hint, for every row of the page."""
        return (f'<td>\n      <form method="post" action="{self.remind_url}" class="inline-form">\n'
                f'        <input type="hidden" name="csrf_token" value="{self.token}"><input type="hidden" name="person" '
                f'value="',
                f'"><input type="hidden" name="back" value="{self.back}">\n'
                f'        <button type="submit" class="button-secondary small" aria-label="',
                f'">{self.words["remind"]}</button>\n      </form>',
                str(self.words["remind_name"]),
                f' <span class="hint-inline">{self.words["email_missing"]}</span>')

    def _remind(self, column: Column, row) -> str:
        opening, person, closing, label, missing = self._remind_parts
        return (f'{opening}{escaped(row.user_id)}{person}{label % {"name": escaped(row.name)}}{closing}'
                f'{"" if row.has_email else missing}</td>')

    @cached_property
    def _new_code_parts(self) -> tuple[str, str]:
        return (f'" class="inline-form">\n  <input type="hidden" name="csrf_token" value="{self.token}">\n'
                f'  <button type="submit" class="button-secondary small">{self.words["new_code"]}'
                f'<span class="visually-hidden"> – ', '</span></button>\n</form></td>')

    def _new_code(self, column: Column, row) -> str:
        middle, closing = self._new_code_parts
        return f'<td><form method="post" action="{escaped(self.slip_url(row.user_id))}{middle}{escaped(row.name)}{closing}'

    # The figures with their shares: the mission headline's (a row per course) and the HQ table's
    # (a row per mission), as the macros of templates/reports/_cells.html drew them before.

    def _cleared_by_line(self, split: dict[str, int]) -> str:
        """How the cleared were cleared, each "mode count" pair isolated (bdi), so in Arabic the
        pairs follow one another right to left and no number drifts to its neighbour's name."""
        pairs = [f"<bdi>{self.words[mode]} {self._number(split[mode])}</bdi>"
                 for mode in ("online", "in_person", "mixed", "recognised") if split.get(mode)]
        return f'{self.words["of_whom"]} {" · ".join(pairs)}'

    def _share(self, column: Column, row) -> str:
        """A mission's readiness per course: the count, its percentage, and for cleared how (online,
        in person, ...) where not all online, and the renewals due."""
        counts = row.counts
        out = f'<td class="num">{self._number(column.value(row))} <span class="pct">({self._percent(counts.percent(column.key))})</span>'
        if column.key == "cleared" and counts.not_all_online:
            out += f'<br><span class="hint-inline cleared-by">{self._cleared_by_line(counts.cleared_by)}</span>'
        if column.key == "cleared" and counts.renewal_due:
            renewals = str(self.words["renewal_due"]) % {"num": self._number(counts.renewal_due)}
            out += f'<br><span class="hint-inline renewal-due">{renewals}</span>'
        return out + "</td>"

    def _hq_cell(self, column: Column, row, content: Callable[[], str]) -> str:
        """An HQ figure: a mission with no required course has one cell, "No course required",
        across the figures (drawn by the first of them, the others draw nothing)."""
        if row.counts.total:
            return f'<td class="num" data-label="{escape(column.heading)}">{content()}</td>'
        if column.key == "cleared":
            return f'<td colspan="5" class="no-course">{self.words["no_course"]}</td>'
        return ""

    def _hq_share(self, column: Column, row) -> str:
        def content() -> str:
            shown = self._percent(row.shown_percent(column.key))
            out = f'{f"<strong>{shown}</strong>" if column.key == "cleared" else shown} ' \
                  f'<span class="pct">({self._count(row.cells[column.key])})</span>'
            if column.key == "cleared" and row.cells["cleared"].shown and row.counts.not_all_online:
                out += f'<br><span class="hint-inline cleared-by">{self._cleared_by_line(row.counts.cleared_by)}</span>'
            return out
        return self._hq_cell(column, row, content)

    def _hq_figure(self, column: Column, row) -> str:
        return self._hq_cell(column, row, lambda: self.value(column.kind, column.value(row)))

    def _hq_trend(self, column: Column, row) -> str:
        change = row.change
        arrow = (f' <span class="trend-up" aria-hidden="true">(▲ {self._number(change)})</span>' if change > 0 else
                 f' <span class="trend-down" aria-hidden="true">(▼ {self._number(-change)})</span>' if change < 0 else "")
        before = str(self.words["weeks_before"]) % {"before": self._number(row.before)}
        return (f'<td class="trend-cell" data-label="{escape(column.heading)}">{self.sparks[row.mission.id]}\n'
                f'      <span>{self._number(row.recent)}{arrow}</span>\n'
                f'      <span class="visually-hidden">{before}</span></td>')

    def _slips(self, column: Column, row) -> str:
        """Getting people in: new activation slips for a unit's people (row: unit id, label, people,
        never signed in; unit id 0 is the whole mission, -1 the people without a unit, who get no form)."""
        unit_id, label, _people, never = row
        if unit_id < 0:
            return "<td></td>"
        named = f'<span class="visually-hidden"> – {escape(label)}</span></button>'
        print_never = ""
        if never:
            words = ngettext("Print %(num)s slip: never signed in", "Print %(num)s slips: never signed in", never)
            print_never = f'<button type="submit" name="who" value="never" class="button-secondary small">{words}{named}'
        return (f'<td>\n      <form method="post" action="{self.slips_url}" class="inline-form">\n'
                f'        <input type="hidden" name="csrf_token" value="{self.token}"><input type="hidden" name="unit" '
                f'value="{escape(unit_id)}">\n        {print_never}\n'
                f'        <button type="submit" name="who" value="all" class="button-secondary small">'
                f'{self.words["new_slips"]}{named}\n      </form></td>')
