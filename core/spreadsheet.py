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
# (templates/reports/_macros.html, data_table) formats each kind; a feature may add its own kinds.
TEXT, NUMBER, PERCENT, DATE = "text", "number", "percent", "date"


@dataclass(frozen=True)
class Column:
    """One column, for the page and the download alike: header, value and kind come from here only."""

    key: str
    label: Any                      # the header: text or a lazy translation
    value: Callable[[Any], Any]     # a row -> the cell's typed value (date, number, text, None)
    kind: str = TEXT


@dataclass(frozen=True)
class Table:
    """A titled list of rows and its columns. `screen` and `export` name the columns the page and
    the download show, in their order (None: all of them): both pick from the same definitions, so
    a header can never drift from its values."""

    title: str
    columns: tuple[Column, ...]
    rows: Sequence[Any]
    screen: tuple[str, ...] | None = None
    export: tuple[str, ...] | None = None

    def _pick(self, keys: tuple[str, ...] | None) -> list[Column]:
        if keys is None:
            return list(self.columns)
        by_key = {column.key: column for column in self.columns}
        return [by_key[key] for key in keys]

    def screen_columns(self) -> list[Column]:
        return self._pick(self.screen)

    def header(self) -> list[str]:
        """The download's header row."""
        return [str(column.label) for column in self._pick(self.export)]

    def body(self, convert: Callable[[Column, Any], Any] = lambda column, value: value) -> list[list]:
        """The download's rows; `convert` turns a kind's value into what a file holds."""
        columns = self._pick(self.export)
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
