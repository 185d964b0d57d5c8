"""Every dashboard table defined once, column by column (core.spreadsheet.Column): the page draws
its columns from the same definitions (templates/reports/_table.html, data_table; the cells that
carry buttons or several figures by the snippets of reports.screen) and CSV and
XLSX write them all (but the buttons), with the same filters and the same small-cell rule as the screen. Values
keep their types (dates, numbers, None for empty): CSV writes them as text, XLSX as typed cells
(core.spreadsheet keeps formula-like text inert)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache

from flask import url_for

from core.spreadsheet import ACTION, DATE, NUMBER, PERCENT, TEXT, Column, Table
from readiness.rule import CLEARED_BY
from reports import lists, words
from reports.dashboard import BreakdownRow, MissionDashboard
from reports.hq import MissionRow
from reports.smallcells import SMALL, Cell
from reports.words import gettext as _
from training.statuses import N_, STATUS, STATUS_LIST

MISSION_TABLES = ("headline", "delivery", "units", "categories", "modules", "trend", "sessions", "overdue", "arrivals")
FORMATS = ("csv", "xlsx")
COUNT, STATUS_KIND = "count", "status"  # a small-cell rule's Cell; a readiness status key
STATUS_KEYS = tuple(status.key for status in STATUS_LIST)
MONTH = "month"  # a month's first day: the page names the month, a file holds the date
BREAKDOWN_SCREEN = ("label", "people", *STATUS_KEYS, "cleared_percent")
HQ_SCREEN = ("mission", "people", "cleared", "due", "overdue_percent", "overdue", "expired", "trend")
ACTION_COLUMNS = ("remind", "new_code")  # the lists' buttons: remind the person, print them a new code


# How the last reminder reached the person (lists.ListedPerson.reached_by; None: in the app, not seen yet)
# (Messages, translated where shown: a lazy string would go through flask_babel's gettext, reports.words.)
REACHED_BY = {"both": N_("by e-mail and in the app"), "email": N_("by e-mail"), "app": N_("in the app"),
              None: N_("in the app, not seen yet")}


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


# How a cleared person was cleared (readiness.rule.CLEARED_BY), as the tables head it.
DELIVERY_LABELS = {"online": N_("Cleared online"), "in_person": N_("Cleared in person"),
                   "mixed": N_("Cleared online and in person"), "recognised": N_("Cleared (recognised)")}


def delivery_label(mode: str) -> str:
    """(Translates the one label asked for: a page heads some 16 columns with these.)"""
    return _(DELIVERY_LABELS[mode])


# What the shared columns read from a row (module functions, so that the columns made from them
# can be kept: see _per_language).
def _cell(row, key: str) -> Cell:
    return row.cells[key]


def _shown_percent(row, key: str) -> float | None:
    return row.shown_percent(key)


def _line_count(line, key: str) -> int:
    return line.counts.by_status[key]


def _line_percent(line, key: str) -> float:
    return line.counts.percent(key)


def _line_cleared_by(line, mode: str) -> int:
    return line.counts.cleared_by.get(mode, 0)


def _per_language(build: Callable) -> Callable:
    """`build(*args)` kept for each catalogue it translates with (once per process and language):
    its columns read no request's data, only their rows, and making them again on every page (some
    40 columns, their labels translated) was a tenth of a millisecond. Outside an app context it
    is made each time."""
    kept = lru_cache(maxsize=64)(lambda catalogue, *args: build(*args))

    def columns(*args):
        catalogue = words.catalogue()
        return build(*args) if catalogue is None else kept(catalogue, *args)
    return columns


@_per_language
def _delivery_columns(count: Callable, kind: str) -> tuple[Column, ...]:
    """Per way of being cleared: how many of the cleared (`count(row, mode)`)."""
    return tuple(Column(f"cleared_{mode}", delivery_label(mode), lambda row, key=mode: count(row, key), kind)
                 for mode in CLEARED_BY)


@_per_language
def _status_columns(count: Callable, percent: Callable, kind: str, snippet: str | None = None) -> tuple[Column, ...]:
    """Per status: its count (`count(row, status)`, drawn by `snippet` on the page, if any) and its
    percentage, in the statuses' order."""
    columns = []
    for status in STATUS_LIST:
        label = _(status.label)
        columns += [Column(status.key, label, lambda row, key=status.key: count(row, key), kind, snippet=snippet),
                    Column(f"{status.key}_percent", _("%(status)s %%", status=label),
                           lambda row, key=status.key: percent(row, key), PERCENT)]
    return tuple(columns)


@_per_language
def _breakdown_columns(first: str) -> tuple[Column, ...]:
    return (Column("label", first, lambda row: row.label or _("No unit")),
            Column("people", _("People"), lambda row: row.counts.total, NUMBER),
            *_status_columns(_cell, _shown_percent, COUNT))


def _breakdown(title: str, rows: list[BreakdownRow], first: str) -> Table:
    return Table(title, _breakdown_columns(first), rows, screen=BREAKDOWN_SCREEN)


def _screen(columns, **changes: dict) -> tuple[Column, ...]:
    """`columns` with page-only settings (hint, link, snippet, ...) added to some of them, by key."""
    return tuple(replace(column, **changes.get(column.key, {})) for column in columns)


def mission_table(name: str, board: MissionDashboard, filters: dict, category_names: dict[str, str], *,
                  rows: list | None = None, actions: tuple[str, ...] = ()) -> Table:
    """One of MISSION_TABLES. The lists' `rows` default to every row (a download); the page gives
    its own page of them, and the `actions` (ACTION_COLUMNS) the viewer may use."""
    if name == "headline":
        return _headline(board)
    if name == "delivery":
        columns = (Column("course", _("Course"), lambda line: line.course_title),
                   Column("cleared", _("Cleared"), lambda line: line.counts.by_status["cleared"], NUMBER),
                   *_delivery_columns(_line_cleared_by, NUMBER))
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
    if name == "overdue":
        if rows is None:
            rows = lists.overdue_page(board, filters, everything=True).items
        return _overdue(board, category_names, rows, actions)
    if name == "arrivals":
        return _arrivals(board, category_names, lists.all_arrivals(board) if rows is None else rows, actions)
    raise KeyError(name)


def _headline(board: MissionDashboard) -> Table:
    code, several = board.mission.code, len(board.requirements) > 1
    columns = (Column("mission", _("Mission"), lambda line: code),
               Column("people_now", _("People deployed now"), lambda line: board.people_now, NUMBER),
               Column("course", _("Course"), lambda line: line.course_title,
                      link=lambda line: url_for("reports.mission", mission_id=board.mission.id,
                                                requirement=line.requirement.id) if several else None,
                      hint=lambda line: _("due %(days)s days after arrival", days=line.requirement.due_days)),
               Column("due_days", _("Due (days after arrival)"), lambda line: line.requirement.due_days, NUMBER),
               Column("people", _("People"), lambda line: line.counts.total, NUMBER),
               *_status_columns(_line_count, _line_percent, NUMBER, "share"),
               *_delivery_columns(_line_cleared_by, NUMBER))
    selected = board.selected.requirement.id if board.selected else None
    return Table(_("Readiness"), columns, board.requirements, screen=("course", "people", *STATUS_KEYS),
                 row_class=lambda line: "selected" if line.requirement.id == selected else "")


def _person_columns(category_names: dict[str, str], hint: Callable) -> tuple[Column, ...]:
    return (Column("name", _("Name"), lambda p: p.name, hint=hint),
            Column("service_number", _("Service number"), lambda p: p.service_number),
            Column("category", _("Category"), lambda p: category_names.get(p.category, p.category)),
            Column("unit", _("Unit"), lambda p: p.unit or _("No unit")))


def _action_columns(actions: tuple[str, ...], offered: tuple[str, ...] = ACTION_COLUMNS) -> tuple[Column, ...]:
    """The buttons of a list that offers `offered`, those the viewer may use (`actions`) only."""
    columns = (Column("remind", _("Remind"), lambda p: p.user_id, ACTION, snippet="remind", screen_only=True),
               Column("new_code", _("Activation slip"), lambda p: p.user_id, ACTION, snippet="new_code",
                      screen_only=True))
    return tuple(column for column in columns if column.key in actions and column.key in offered)


def _overdue(board: MissionDashboard, category_names: dict[str, str], rows: list, actions: tuple[str, ...]) -> Table:
    course, modules = (board.selected.course_title if board.selected else ""), len(board.modules)
    person = _person_columns(category_names, lambda p: f"{p.service_number} · {category_names.get(p.category, p.category)}")
    buttons = _action_columns(actions)
    # Translated once for the list, filled in per row (a page lists 50 people).
    modules_done = _("%(done)s of %(all)s modules done", done="%(done)s", all=modules)
    reached_by = {key: _(words) for key, words in REACHED_BY.items()}
    columns = (*person,
               Column("course", _("Course"), lambda p: course, screen_label=_("Missing"),
                      hint=lambda p: modules_done % {"done": p.modules_done}),
               Column("status", _("Status"), lambda p: p.status, STATUS_KIND, snippet="status_since",
                      screen_label=_("Since")),
               Column("since", _("Since"), lambda p: p.since, DATE),
               Column("modules_done", _("Modules done"), lambda p: p.modules_done, NUMBER),
               Column("modules", _("Modules in the course"), lambda p: modules, NUMBER),
               Column("reminded", _("Last reminded"), lambda p: p.reminded_at.date() if p.reminded_at else None, DATE,
                      hint=lambda p: reached_by[p.reached_by] if p.reminded_at else None),
               *buttons)
    return Table(_("Overdue"), columns, rows,
                 screen=("name", "unit", "course", "status", "reminded", *(c.key for c in buttons)))


def _arrivals(board: MissionDashboard, category_names: dict[str, str], rows: list, actions: tuple[str, ...]) -> Table:
    course = board.selected.course_title if board.selected else ""
    buttons = _action_columns(actions, offered=("new_code",))
    columns = (*_person_columns(category_names, lambda p: p.service_number),
               Column("arrived", _("Arrived"), lambda p: p.arrival_on, DATE),
               Column("course", _("Course"), lambda p: course),
               Column("status", _("Status"), lambda p: p.status, STATUS_KIND, snippet="status"),
               Column("due_on", _("Due date"), lambda p: p.since, DATE),
               *buttons)
    return Table(_("Arrivals"), columns, rows,
                 screen=("name", "unit", "arrived", "status", "due_on", *(c.key for c in buttons)))


def getting_in_table(rows: list[tuple[int, str, int, int]], may_print: bool) -> Table:
    """The page's "Never signed in, by unit" (no download): rows of (unit id, label, people, never
    signed in), the mission's total (unit id 0) last; the slip buttons for those who may print them."""
    columns = (Column("unit", _("Unit"), lambda row: row[1]),
               Column("people", _("People"), lambda row: row[2], NUMBER),
               Column("never", _("Never signed in"), lambda row: row[3], NUMBER),
               Column("slips", _("Activation slips (PDF)"), lambda row: row[0], snippet="slips", screen_only=True))
    return Table(_("Never signed in"), columns, rows, screen=("unit", "people", "never", *(("slips",) if may_print else ())),
                 row_class=lambda row: "total" if row[0] == 0 else "")


def hq_table(grouped: dict[str, list[MissionRow]], kind_names: dict[str, str]) -> Table:
    """The all-missions table: one row per (kind, mission row). The page shows one kind's rows at a
    time (hq_screen_table), the download all of them with their kind."""
    columns = (Column("kind", _("Kind"), lambda pair: kind_names.get(pair[0], pair[0])),
               *(_pair(column) for column in _hq_columns()))
    return Table(_("All missions"), columns, [(kind, row) for kind, rows in grouped.items() for row in rows])


def hq_screen_table(rows: list[MissionRow]) -> Table:
    """One kind's missions on the HQ page: the download's columns, as the page draws them."""
    return Table(_("All missions"), _hq_columns(), rows, screen=HQ_SCREEN)


def _pair(column: Column) -> Column:
    """An HQ column read from a (kind, row) pair, as the download's rows are."""
    return Column(column.key, column.label, lambda pair: column.value(pair[1]), column.kind,
                  screen_only=column.screen_only)


def _hq_columns() -> tuple[Column, ...]:
    figures = _status_columns(_cell, _shown_percent, COUNT)
    return (Column("mission", _("Mission"), lambda row: row.mission.code, TEXT, sort="mission",
                   link=lambda row: url_for("reports.mission", mission_id=row.mission.id),
                   hint=lambda row: row.mission.country),
            Column("people", _("People deployed now"), lambda row: row.people, NUMBER,
                   screen_label=_("People now"), sort="people"),
            *_screen(figures, cleared={"snippet": "hq_share", "sort": "cleared"}, due={"snippet": "hq_share"},
                     overdue_percent={"snippet": "hq_figure", "sort": "overdue"},
                     overdue={"snippet": "hq_figure", "sort": "overdue_count"}, expired={"snippet": "hq_share"}),
            Column("recent", _("Course completions, last 4 weeks"), lambda row: row.recent, NUMBER),
            Column("before", _("Course completions, 4 weeks before"), lambda row: row.before, NUMBER),
            *_delivery_columns(lambda row, mode: row.cleared_by(mode), COUNT),
            Column("trend", _("Completions, last 4 weeks"), lambda row: row.change, TEXT, snippet="hq_trend",
                   sort="trend", screen_only=True))
