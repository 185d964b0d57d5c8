"""Every dashboard table defined once, column by column (core.spreadsheet.Column): the page draws
its columns from the same definitions (templates/reports/_macros.html, data_table) and CSV and
XLSX write them all, with the same filters and the same small-cell rule as the screen. Values
keep their types (dates, numbers, None for empty): CSV writes them as text, XLSX as typed cells
(core.spreadsheet keeps formula-like text inert)."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _

from core.spreadsheet import DATE, NUMBER, PERCENT, TEXT, Column, Table
from readiness.rule import CLEARED_BY
from reports import lists
from reports.dashboard import BreakdownRow, MissionDashboard
from reports.hq import MissionRow
from reports.smallcells import SMALL, Cell
from training.statuses import STATUS, STATUS_LIST

MISSION_TABLES = ("headline", "delivery", "units", "categories", "modules", "trend", "sessions", "overdue", "arrivals")
FORMATS = ("csv", "xlsx")
COUNT, STATUS_KIND = "count", "status"  # a small-cell rule's Cell; a readiness status key
MONTH = "month"  # a month's first day: the page names the month, a file holds the date
BREAKDOWN_SCREEN = ("label", "people", *(status.key for status in STATUS_LIST), "cleared_percent")


def status_label(status: str) -> str:
    return _(STATUS[status].label) if status in STATUS else status


def cell_value(cell: Cell):
    if cell.shown:
        return cell.count
    return _("fewer than 5") if cell.hidden == SMALL else _("hidden")


def percent_value(value: float | None):
    return None if value is None else round(value, 1)


def export_value(column: Column, value):
    """What a file holds for a cell of `column`: a masked count's words, a rounded percentage, a
    status's name; other values as they are."""
    if column.kind == COUNT:
        return cell_value(value)
    if column.kind == PERCENT:
        return percent_value(value)
    if column.kind == STATUS_KIND:
        return status_label(value)
    if column.kind == MONTH:
        return value.strftime("%Y-%m")
    return value


def delivery_label(mode: str) -> str:
    """How a cleared person was cleared (readiness.rule.CLEARED_BY), as the tables head it."""
    return {"online": _("Cleared online"), "in_person": _("Cleared in person"),
            "mixed": _("Cleared online and in person"), "recognised": _("Cleared (recognised)")}[mode]


def _delivery_columns(count: Callable, kind: str) -> list[Column]:
    """Per way of being cleared: how many of the cleared (`count(row, mode)`)."""
    return [Column(f"cleared_{mode}", delivery_label(mode), lambda row, key=mode: count(row, key), kind)
            for mode in CLEARED_BY]


def _status_columns(count: Callable, percent: Callable, kind: str) -> list[Column]:
    """Per status: its count (`count(row, status)`) and its percentage, in the statuses' order."""
    columns = []
    for status in STATUS_LIST:
        label = _(status.label)
        columns += [Column(status.key, label, lambda row, key=status.key: count(row, key), kind),
                    Column(f"{status.key}_percent", _("%(status)s %%", status=label),
                           lambda row, key=status.key: percent(row, key), PERCENT)]
    return columns


def _breakdown(title: str, rows: list[BreakdownRow], first: str) -> Table:
    columns = (Column("label", first, lambda row: row.label or _("No unit")),
               Column("people", _("People"), lambda row: row.counts.total, NUMBER),
               *_status_columns(lambda row, key: row.cells[key], lambda row, key: row.shown_percent(key), COUNT))
    return Table(title, columns, rows, screen=BREAKDOWN_SCREEN)


def mission_table(name: str, board: MissionDashboard, filters: dict, category_names: dict[str, str]) -> Table:
    """One of MISSION_TABLES."""
    code = board.mission.code
    if name == "headline":
        columns = (Column("mission", _("Mission"), lambda line: code),
                   Column("people_now", _("People deployed now"), lambda line: board.people_now, NUMBER),
                   Column("course", _("Course"), lambda line: line.course_title),
                   Column("due_days", _("Due (days after arrival)"), lambda line: line.requirement.due_days, NUMBER),
                   Column("people", _("People"), lambda line: line.counts.total, NUMBER),
                   *_status_columns(lambda line, key: line.counts.by_status[key],
                                    lambda line, key: line.counts.percent(key), NUMBER),
                   *_delivery_columns(lambda line, mode: line.counts.cleared_by.get(mode, 0), NUMBER))
        return Table(_("Readiness"), columns, board.requirements)
    if name == "delivery":
        columns = (Column("course", _("Course"), lambda line: line.course_title),
                   Column("cleared", _("Cleared"), lambda line: line.counts.by_status["cleared"], NUMBER),
                   *_delivery_columns(lambda line, mode: line.counts.cleared_by.get(mode, 0), NUMBER))
        return Table(_("Cleared, by how the training was given"), columns, board.requirements)
    if name == "sessions":
        columns = (Column("month", _("Month"), lambda month: month[0], MONTH),
                   Column("sessions", _("Sessions"), lambda month: month[1], NUMBER))
        return Table(_("In-person sessions per month"), columns, board.sessions)
    if name == "units":
        return _breakdown(_("By unit"), board.by_unit, _("Unit"))
    if name == "categories":
        rows = [BreakdownRow(r.key, category_names.get(str(r.key), str(r.key)), r.counts, r.cells) for r in board.by_category]
        return _breakdown(_("By category"), rows, _("Category"))
    if name == "modules":
        columns = (Column("numbered", _("Module"), lambda m: f"{m.position}. {m.title}"),
                   Column("position", _("Module"), lambda m: m.position, NUMBER),
                   Column("title", _("Title"), lambda m: m.title),
                   Column("people", _("People who completed it"), lambda m: m.people, NUMBER),
                   Column("of", _("People"), lambda m: m.of, NUMBER),
                   Column("percent", "%", lambda m: m.percent, PERCENT))
        return Table(_("Modules"), columns, board.modules, screen=("numbered", "people", "percent"),
                     export=("position", "title", "people", "of", "percent"))
    if name == "trend":
        columns = (Column("week", _("Week starting"), lambda week: week[0], DATE),
                   Column("completions", _("Course completions"), lambda week: week[1], NUMBER))
        return Table(_("Completions per week"), columns, board.trend)
    course = board.selected.course_title if board.selected else ""
    person = (Column("name", _("Name"), lambda p: p.name),
              Column("service_number", _("Service number"), lambda p: p.service_number),
              Column("category", _("Category"), lambda p: category_names.get(p.category, p.category)),
              Column("unit", _("Unit"), lambda p: p.unit))
    if name == "overdue":
        columns = (*person, Column("course", _("Course"), lambda p: course),
                   Column("status", _("Status"), lambda p: p.status, STATUS_KIND),
                   Column("since", _("Since"), lambda p: p.since, DATE),
                   Column("modules_done", _("Modules done"), lambda p: p.modules_done, NUMBER),
                   Column("modules", _("Modules in the course"), lambda p: len(board.modules), NUMBER),
                   Column("reminded", _("Last reminded"), lambda p: p.reminded_at.date() if p.reminded_at else None, DATE))
        return Table(_("Overdue"), columns, lists.overdue_page(board, filters, everything=True).items)
    if name == "arrivals":
        columns = (*person, Column("arrived", _("Arrived"), lambda p: p.arrival_on, DATE),
                   Column("course", _("Course"), lambda p: course),
                   Column("status", _("Status"), lambda p: p.status, STATUS_KIND),
                   Column("due_on", _("Due date"), lambda p: p.since, DATE))
        return Table(_("Arrivals"), columns, lists.all_arrivals(board))
    raise KeyError(name)


def hq_table(grouped: dict[str, list[MissionRow]], kind_names: dict[str, str]) -> Table:
    """The all-missions table: one row per (kind, mission row)."""
    columns = (Column("kind", _("Kind"), lambda pair: kind_names.get(pair[0], pair[0])),
               Column("mission", _("Mission"), lambda pair: pair[1].mission.code, TEXT),
               Column("people", _("People deployed now"), lambda pair: pair[1].people, NUMBER),
               *_status_columns(lambda pair, key: pair[1].cells[key], lambda pair, key: pair[1].shown_percent(key), COUNT),
               Column("recent", _("Course completions, last 4 weeks"), lambda pair: pair[1].recent, NUMBER),
               Column("before", _("Course completions, 4 weeks before"), lambda pair: pair[1].before, NUMBER),
               *_delivery_columns(lambda pair, mode: pair[1].cleared_by(mode), COUNT))
    return Table(_("All missions"), columns, [(kind, row) for kind, rows in grouped.items() for row in rows])
