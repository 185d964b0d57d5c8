"""Tables defined once, column by column, for the screen and for CSV and XLSX output that a
spreadsheet will never execute."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

# How a cell is shown on a page (an export writes the value itself, typed): the screen's macro
# (templates/reports/_table.html, data_table) formats each kind; a feature may add its own kinds.
# ACTION: a column of buttons, on the page only, its header read by screen readers only.
TEXT, NUMBER, PERCENT, DATE, ACTION = "text", "number", "percent", "date", "action"


@dataclass(frozen=True)
class Column:
    """One column, for the page and the download alike: header, value and kind come from here only.

    The fields after `kind` change the page only (a download writes `value`, nothing else): a hint
    after the value, a link on it, another header, or a snippet (one of reports.screen's) that
    draws the whole cell where a plain value will not do (buttons, a figure with its percentage)."""

    key: str
    label: Any                      # the header: text or a lazy translation
    value: Callable[[Any], Any]     # a row -> the cell's typed value (date, number, text, None)
    kind: str = TEXT
    hint: Callable[[Any], Any] | None = None       # a row -> small text after the value (None: none)
    link: Callable[[Any], str | None] | None = None  # a row -> where the value links to (None: no link)
    snippet: str | None = None      # the snippet that draws the cell (<td> or <th> included)
    screen_label: Any = None        # the page's header, where it differs from the download's
    sort: str | None = None         # the sort its header links to, on a page sorted by column
    screen_only: bool = False       # never in a download (buttons; a figure drawn from exported columns)

    @property
    def heading(self) -> Any:
        return self.label if self.screen_label is None else self.screen_label


@dataclass(frozen=True)
class Table:
    """A titled list of rows and its columns. `screen` and `export` name the columns the page and
    the download show, in their order (None: all of them, but a download never has a screen-only
    column): both pick from the same definitions, so a header can never drift from its values."""

    title: str
    columns: tuple[Column, ...]
    rows: Sequence[Any]
    screen: tuple[str, ...] | None = None
    export: tuple[str, ...] | None = None
    row_class: Callable[[Any], str] | None = None  # a row -> its class on the page ("" for none)

    def _pick(self, keys: tuple[str, ...] | None) -> list[Column]:
        if keys is None:
            return list(self.columns)
        by_key = {column.key: column for column in self.columns}
        return [by_key[key] for key in keys]

    def screen_columns(self) -> list[Column]:
        return self._pick(self.screen)

    def export_columns(self) -> list[Column]:
        if self.export is None:
            return [column for column in self.columns if not column.screen_only]
        columns = self._pick(self.export)
        if any(column.screen_only for column in columns):
            raise ValueError(f"{self.title}: a screen-only column is named for the download")
        return columns

    def header(self) -> list[str]:
        """The download's header row."""
        return [str(column.label) for column in self.export_columns()]

    def body(self, convert: Callable[[Column, Any], Any] = lambda column, value: value) -> list[list]:
        """The download's rows; `convert` turns a kind's value into what a file holds."""
        columns = self.export_columns()
        return [[convert(column, column.value(row)) for column in columns] for row in self.rows]


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that starts like a formula gets a leading apostrophe, so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_stream(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    """Yield CSV text chunk by chunk (a UTF-8 BOM first, so Excel reads accents and Arabic)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([safe_cell(h) for h in header])
    for count, row in enumerate(rows, 1):
        writer.writerow([safe_cell(value) for value in row])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_bytes(sheet_title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """A one-sheet workbook of real cells: numbers as numbers, dates as dates, text as text.

    Unlike CSV, a cell's type is stored in the file: text that looks like a formula is written
    as a string cell, which Excel and LibreOffice never evaluate, so it needs no apostrophe.
    """
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append([_xlsx_cell(sheet, value) for value in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _xlsx_cell(sheet, value):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))  # Excel has no time zones
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # openpyxl would store "=..." as a formula
        return cell
    return value
