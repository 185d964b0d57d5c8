"""Every dashboard table as header + rows for CSV and XLSX, with the same filters and the same
small-cell rule as the screen. Values keep their types (dates, numbers, None for empty): CSV
writes them as text, XLSX as typed cells (core.spreadsheet keeps formula-like text inert)."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _

from reports import lists
from reports.dashboard import BreakdownRow, MissionDashboard
from reports.hq import MissionRow
from reports.smallcells import SMALL, Cell

MISSION_TABLES = ("headline", "units", "categories", "modules", "trend", "overdue", "arrivals")
FORMATS = ("csv", "xlsx")


def status_label(status: str) -> str:
    return {"cleared": _("Cleared"), "due": _("Due"), "overdue": _("Overdue"), "expired": _("Expired")}.get(status, status)


def cell_value(cell: Cell):
    if cell.shown:
        return cell.count
    return _("fewer than 5") if cell.hidden == SMALL else _("hidden")


def percent_value(value: float | None):
    return None if value is None else round(value, 1)


def _status_header() -> list[str]:
    header = []
    for status in ("cleared", "due", "overdue", "expired"):
        header += [status_label(status), _("%(status)s %%", status=status_label(status))]
    return header


def _breakdown(rows: Iterable[BreakdownRow], first: str) -> tuple[list[str], list[list]]:
    header = [first, _("People"), *_status_header()]
    body = []
    for row in rows:
        line = [row.label or _("No unit"), row.counts.total]
        for status in ("cleared", "due", "overdue", "expired"):
            line += [cell_value(row.cells[status]), percent_value(row.shown_percent(status))]
        body.append(line)
    return header, body


def mission_table(name: str, board: MissionDashboard, filters: dict, category_names: dict[str, str]) -> tuple[str, list, list]:
    """(sheet title, header, rows) of one of MISSION_TABLES."""
    code = board.mission.code
    if name == "headline":
        header = [_("Mission"), _("People deployed now"), _("Course"), _("Due (days after arrival)"), _("People"),
                  *_status_header()]
        body = []
        for line in board.requirements:
            row = [code, board.people_now, line.course_title, line.requirement.due_days, line.counts.total]
            for status in ("cleared", "due", "overdue", "expired"):
                row += [line.counts.by_status[status], round(line.counts.percent(status), 1)]
            body.append(row)
        return _("Readiness"), header, body
    if name == "units":
        header, body = _breakdown(board.by_unit, _("Unit"))
        return _("By unit"), header, body
    if name == "categories":
        rows = [BreakdownRow(r.key, category_names.get(str(r.key), str(r.key)), r.counts, r.cells) for r in board.by_category]
        header, body = _breakdown(rows, _("Category"))
        return _("By category"), header, body
    if name == "modules":
        header = [_("Module"), _("Title"), _("People who completed it"), _("People"), "%"]
        return _("Modules"), header, [[m.position, m.title, m.people, m.of, round(m.percent, 1)] for m in board.modules]
    if name == "trend":
        return _("Completions per week"), [_("Week starting"), _("Course completions")], \
            [[start, count] for start, count in board.trend]
    course = board.selected.course_title if board.selected else ""
    if name == "overdue":
        page = lists.overdue_page(board, filters, everything=True)
        header = [_("Name"), _("Service number"), _("Category"), _("Unit"), _("Course"), _("Status"), _("Since"),
                  _("Modules done"), _("Modules in the course"), _("Last reminded")]
        body = [[p.name, p.service_number, category_names.get(p.category, p.category), p.unit, course,
                 status_label(p.status), p.since, p.modules_done, len(board.modules),
                 p.reminded_at.date() if p.reminded_at else None] for p in page.items]
        return _("Overdue"), header, body
    if name == "arrivals":
        header = [_("Name"), _("Service number"), _("Category"), _("Unit"), _("Arrived"), _("Course"), _("Status"),
                  _("Due date")]
        body = [[p.name, p.service_number, category_names.get(p.category, p.category), p.unit, p.arrival_on,
                 course, status_label(p.status), p.since] for p in lists.all_arrivals(board)]
        return _("Arrivals"), header, body
    raise KeyError(name)


def hq_table(grouped: dict[str, list[MissionRow]], kind_names: dict[str, str]) -> tuple[str, list, list]:
    header = [_("Kind"), _("Mission"), _("People deployed now"), *_status_header(),
              _("Course completions, last 4 weeks"), _("Course completions, 4 weeks before")]
    body = []
    for kind, rows in grouped.items():
        for row in rows:
            line = [kind_names.get(kind, kind), row.mission.code, row.people]
            for status in ("cleared", "due", "overdue", "expired"):
                line += [cell_value(row.cells[status]), percent_value(row.shown_percent(status))]
            body.append([*line, row.recent, row.before])
    return _("All missions"), header, body
