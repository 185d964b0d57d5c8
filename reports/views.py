"""Mission dashboards, the HQ view, their exports and the remind button."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_babel, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm.util import identity_key

from accounts.models import CATEGORIES, Mission
from audit.services import record
from core.forms import EmptyForm
from core.labels import CATEGORY_NAMES, KIND_NAMES
from core.permissions import require, role_required
from core.reads import columns, read, tracked
from core.spreadsheet import Table, csv_stream, xlsx_bytes
from core.templating import text_direction
from extensions import db
from reports import charts, dashboard, exports, formats, lists, notices, reminders
from reports import hq as hq_report
from reports.forms import CATEGORY_LABELS, HQ_SORTS, DashboardFilterForm, RemindForm
from reports.permissions import can_issue_codes, can_remind, can_view_dashboard, reveals_small_cells
from reports.screen import ScreenCells
from reports.words import gettext as _
from training.player import interface_language
from training.statuses import N_, STATUS_LIST

bp = Blueprint("reports", __name__)
FILTER_KEYS = ("requirement", "unit", "category", "status", "q", "sort")
SCREEN_TABLES = ("delivery", "units", "categories", "modules", "trend")  # drawn by data_table from their export columns
# (so are the headline, the sessions and the two lists, whose rows on the page are one page of the download's)

STATUS_WORDS = {**{status.key: status.label for status in STATUS_LIST}, "hidden": N_("Fewer than 5 or hidden")}
STATUS_NAMES = {key: _l(words) for key, words in STATUS_WORDS.items()}


def _mission_for(mission_id: int) -> Mission:
    mission = _mission(mission_id)
    if mission is None:
        abort(404)
    require(can_view_dashboard(current_user, mission))
    return mission


def _mission(mission_id: int) -> Mission | None:
    """The mission as db.session.get finds it: the session's own when it holds it, else read as a
    plain row and made the session's object (core.reads.tracked), half the cost of an ORM load."""
    held = db.session.identity_map.get(identity_key(Mission, mission_id))
    if held is not None:
        return held
    row = read(_mission_row(), {"id": mission_id}).mappings().first()
    return None if row is None else tracked(Mission, dict(row))


@lru_cache(maxsize=1)
def _mission_row():
    """Every column of a mission (parameter id), by attribute name; built on first use (mappers configured)."""
    return select(*(column.label(key) for key, column in columns(Mission))).where(
        Mission.id == bindparam("id", type_=Integer))


def _board(mission: Mission, *, getting_in: bool = False) -> tuple[dashboard.MissionDashboard, DashboardFilterForm, dict]:
    form = DashboardFilterForm(request.args)
    filters = form.cleaned()
    board = dashboard.mission_dashboard(mission, requirement_id=filters["requirement"],
                                        reveal_small=reveals_small_cells(current_user), lang=interface_language(),
                                        getting_in=getting_in)
    form.build_choices(board.requirements, board.units)
    if board.selected is not None:
        filters["requirement"] = board.selected.requirement.id
        form.requirement.data = filters["requirement"]
    return board, form, filters


def _bars(rows, label_of, names: dict[str, str]) -> list[charts.Bar]:
    """`names`: the statuses' names, as text."""
    bars = []
    for row in rows:
        parts = {s: c.count for s, c in row.cells.items() if c.shown}
        hidden = sum(c.count for c in row.cells.values() if not c.shown)
        if hidden:
            parts["hidden"] = hidden
        cleared = row.shown_percent("cleared")
        bars.append(charts.Bar(label_of(row), parts, value="–" if cleared is None else f"{cleared:.0f}%",
                               part_labels=names))
    return bars


@bp.get("/missions/<int:mission_id>/dashboard")
@role_required("mission_lead", "hq")
def mission(mission_id: int):
    """The mission's leads, HQ and admins: readiness of the people deployed in the mission now."""
    mission = _mission_for(mission_id)
    board, form, filters = _board(mission, getting_in=True)
    rtl = text_direction() == "rtl"
    page_date, page_decimal = _page_formatters()
    status_names = _status_names()
    overdue, arrivals = lists.page_lists(board, filters, request.args.get("arrivals_page", 1, type=int))
    category_names = _category_names()
    may_remind, may_print = can_remind(current_user, mission), can_issue_codes(current_user, mission)
    actions = tuple(key for key, may in zip(exports.ACTION_COLUMNS, (may_remind, may_print), strict=True) if may)
    # The page's tables come from the definitions the downloads use (reports.exports).
    tables = {name: exports.mission_table(name, board, filters, category_names) for name in ("headline", "sessions")}
    tables["getting_in"] = exports.getting_in_table(_getting_in(board), may_print)
    figures = {"sessions": charts.column_bars([(page_date(first, "MMM"), count) for first, count in board.sessions],
                                              rtl=rtl, title=_("In-person sessions held per month, last 12 months"))}
    if board.selected is not None:
        tables |= {name: exports.mission_table(name, board, filters, category_names) for name in SCREEN_TABLES}
        tables |= {name: exports.mission_table(name, board, filters, category_names, rows=page.items, actions=actions)
                   for name, page in (("overdue", overdue), ("arrivals", arrivals))}
        course = board.selected.course_title
        names = {key: str(name) for key, name in status_names.items()}
        module_parts = {"done": _("Completed"), "not_done": _("Not yet")}
        figures |= {
            "units": charts.stacked_bars(_bars(board.by_unit, lambda r: r.label or _("No unit"), names), rtl=rtl,
                                         title=_("Readiness by unit: %(course)s", course=course)),
            "categories": charts.stacked_bars(_bars(board.by_category, lambda r: category_names.get(r.key, r.key), names),
                                              rtl=rtl, title=_("Readiness by category: %(course)s", course=course)),
            "modules": charts.stacked_bars(
                [charts.Bar(_short(f"{m.position}. {m.title}"), {"done": m.people, "not_done": m.of - m.people},
                            value=f"{m.percent:.0f}%", part_labels=module_parts)
                 for m in board.modules], title=_("People who completed each module"), rtl=rtl,
                colours=charts.PROGRESS_COLOURS, label_width=220),
            "trend": charts.trend_line([(page_date(start, "d MMM"), count) for start, count in board.trend], rtl=rtl,
                                       title=_("Course completions (certificates issued) per week, last 12 weeks")),
            "headline": charts.stacked_bars(
                [charts.Bar(_short(line.course_title), dict(line.counts.by_status), part_labels=status_names)
                 for line in board.requirements], title=_("Readiness per required course"), rtl=rtl, label_width=220),
        }
    query = _filter_query()
    back = urlencode(request.args.to_dict())[:1500]
    screen = ScreenCells(format_date=page_date, format_decimal=page_decimal, status_names=status_names,
                         token=generate_csrf(), remind_url=url_for(".remind", mission_id=mission.id), back=back,
                         slip_url=_url_per_person("slips.person_slip", mission_id=mission.id),
                         slips_url=url_for("slips.print_slips", mission_id=mission.id))
    return render_template("reports/mission.html", board=board, form=form, overdue=overdue, arrivals=arrivals,
                           figures=figures, status_names=status_names, format_date=page_date,
                           format_decimal=page_decimal, may_remind=may_remind, back=back, screen=screen,
                           query=query, reveal_small=reveals_small_cells(current_user), tables=tables,
                           export_links=_export_links(mission.id, query))


def _export_links(mission_id: int, query: dict[str, str]) -> Callable[[str], Markup]:
    """The "Download this table: CSV · Excel (XLSX)" line under each of the page's nine tables,
    its words translated once for the page (written as the templates write translations)."""
    intro, csv, xlsx = (Markup(_(words)) for words in ("Download this table:", "CSV", "Excel (XLSX)"))  # noqa: S704 (our own catalogue)
    csv_url, xlsx_url = (_url_per_value(".mission_export", "table", mission_id=mission_id, format=fmt, **query)
                         for fmt in ("csv", "xlsx"))

    def links(table: str) -> Markup:
        return Markup(f'<p class="export-links no-print">{intro}\n  <a href="{escape(csv_url(table))}">{csv}</a> ·\n'  # noqa: S704 (escaped)
                      f'  <a href="{escape(xlsx_url(table))}">{xlsx}</a>\n</p>')
    return links


def _url_per_value(endpoint: str, name: str, **values) -> Callable[[str], str]:
    """url_for(endpoint, **{name: value}, **values) for each of a few plain values (letters, digits
    and _), built once with a stand-in, as _url_per_person does for ids."""
    stand_in = "standin918273645"
    url = url_for(endpoint, **{name: stand_in}, **values)
    if url.count(stand_in) != 1:
        return lambda value: url_for(endpoint, **{name: value}, **values)
    before, after = url.split(stand_in)
    return lambda value: f"{before}{value}{after}" if value.isascii() and value.isidentifier() else url_for(endpoint, **{name: value}, **values)


def _url_per_person(endpoint: str, **values) -> Callable[[int], str]:
    """url_for(endpoint, user_id=..., **values) for each of a list's people, built once: the URL is
    made with a stand-in id, which each row's id replaces (url_for itself costs about 7 microseconds
    a row). Falls back to url_for when the stand-in is not found exactly once."""
    stand_in = "918273645"
    url = url_for(endpoint, user_id=int(stand_in), **values)
    if url.count(stand_in) != 1:
        return lambda user_id: url_for(endpoint, user_id=user_id, **values)
    before, after = url.split(stand_in)
    return lambda user_id: f"{before}{int(user_id)}{after}"


def _status_names() -> dict[str, Markup]:
    """STATUS_NAMES translated once for the page (with the request's catalogue, reports.words), which
    names a status on every row of its lists. (Markup, as the lazy strings render: their translation
    is not escaped.)"""
    return {key: Markup(_(words)) for key, words in STATUS_WORDS.items()}  # noqa: S704 (our own catalogue)


def _category_names() -> dict[str, str]:
    """The categories' names for the page's tables (core.labels.CATEGORY_NAMES, translated with the
    request's catalogue rather than each lazy string asking flask_babel)."""
    return {category: _(label) for category, label in zip(CATEGORIES, CATEGORY_LABELS, strict=True)}


def _page_formatters() -> tuple[Callable, Callable]:
    """flask_babel's format_date and format_decimal for one page: the locale and the default date
    format looked up once rather than on every call, as flask_babel does, and each pattern made
    into plain string work once per process (reports.formats). A datetime still goes through
    flask_babel.format_date, which moves it to the user's time zone first."""
    locale, date_formats = get_locale(), get_babel().instance.date_formats
    day_formats: dict = {}
    number_formats: dict = {}

    def date_pattern(pattern: str | None) -> str:  # as flask_babel's format_date looks it up
        pattern = date_formats["date"] if pattern is None else pattern
        return (date_formats[f"date.{pattern}"] or pattern) if pattern in ("short", "medium", "full", "long") else pattern

    def page_date(value, pattern: str | None = None) -> str:
        if isinstance(value, datetime) or value is None:
            return format_date(value, pattern)
        formatter = day_formats.get(pattern)
        if formatter is None:
            formatter = day_formats[pattern] = formats.date_formatter(locale, date_pattern(pattern))
        return formatter(value)

    def page_decimal(value, format: str | None = None) -> str:
        formatter = number_formats.get(format)
        if formatter is None:
            formatter = number_formats[format] = formats.decimal_formatter(locale, format)
        return formatter(value)
    return page_date, page_decimal


def _getting_in(board: dashboard.MissionDashboard) -> list[tuple[int, str, int, int]]:
    """(unit id or 0, label, people deployed now, of whom never signed in) per unit with people, then the mission."""
    counts = board.getting_in
    rows = [(unit_id, f"{code} – {board.unit_names[unit_id]}", *counts[unit_id])
            for unit_id, code in board.units if unit_id in counts]
    if None in counts:
        rows.append((-1, _("No unit"), *counts[None]))
    rows.append((0, _("Whole mission"), sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values())))
    return rows


def _filter_query() -> dict[str, str]:
    """The dashboard's filters from the query string, to carry into page and export links."""
    return {key: value for key, value in request.args.items() if key in FILTER_KEYS and value}


def _short(text: str, length: int = 30) -> str:
    """A chart label that fits its column; the table beside the chart has the whole text."""
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"


@bp.get("/missions/<int:mission_id>/dashboard/export")
@role_required("mission_lead", "hq")
def mission_export(mission_id: int):
    """The mission's leads, HQ and admins: one dashboard table as CSV or XLSX, filtered as on screen."""
    mission = _mission_for(mission_id)
    table, fmt = request.args.get("table", "headline"), request.args.get("format", "csv")
    if table not in exports.MISSION_TABLES or fmt not in exports.FORMATS:
        abort(404)
    board, _form, filters = _board(mission)
    content = exports.mission_table(table, board, filters, {k: str(v) for k, v in CATEGORY_NAMES.items()})
    record("report_exported", actor=current_user, target=f"mission:{mission.code}", table=table, format=fmt,
           rows=len(content.rows), filters=_recorded_filters(filters))
    db.session.commit()
    return _download(f"{mission.code}-{table}-{date.today():%Y-%m-%d}", fmt, content)


def _recorded_filters(filters: dict) -> dict:
    """The filters that shaped the export, for the audit log: all but the empty ones and page 1.
    (Compared by key: a unit or requirement whose id is 1 is a filter like any other.)"""
    return {k: v for k, v in filters.items() if v not in (None, "") and not (k == "page" and v == 1)}


def _download(stem: str, fmt: str, table: Table) -> Response:
    header, rows = table.header(), table.body(exports.export_value)
    if fmt == "csv":
        # The rows are already in hand (a dashboard table), so the file is sent whole, not streamed.
        return Response("".join(csv_stream(header, rows)), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'})
    return Response(xlsx_bytes(table.title, header, rows),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'})


@bp.post("/missions/<int:mission_id>/remind")
@role_required("mission_lead")
def remind(mission_id: int):
    """The mission's leads and admins: remind one listed person, or everyone due soon, overdue or due to renew
    (e-mail to those with an address, a notice in the app for all)."""
    mission = db.get_or_404(Mission, mission_id)
    require(can_remind(current_user, mission))
    form = RemindForm()
    back = url_for(".mission", mission_id=mission.id)
    if not form.validate_on_submit():
        flash(_("Choose whom to remind."), "error")
        return redirect(back)
    if form.back.data:  # only ever a query string for this same page
        back = f"{back}?{urlencode(parse_qsl(form.back.data)[:20])}"
    person = None
    if form.person.data != "all":
        if not form.person.data.isdigit():
            abort(404)
        person = int(form.person.data)
    try:
        outcome = reminders.remind_from_dashboard(mission, actor=current_user, user_id=person)
    except reminders.NotInMission:
        abort(404)
    db.session.commit()
    flash(outcome.message(), "success" if outcome.sent or outcome.in_app else "info")
    return redirect(back)


@bp.get("/dashboards")
@role_required("mission_lead")
def dashboards():
    """Mission leads (admins: every mission): straight to their mission's dashboard, or a chooser when they lead several."""
    missions = lead_missions(current_user)
    if len(missions) == 1:
        return redirect(url_for("reports.mission", mission_id=missions[0].id))
    return render_template("reports/choose.html", missions=missions, kind_names=KIND_NAMES)


def lead_missions(user) -> list[Mission]:
    query = select(Mission).order_by(Mission.code)
    if not user.has_role("admin"):
        query = query.where(Mission.id.in_(user.lead_mission_ids()))
    return list(db.session.scalars(query))


@bp.post("/reminders/seen")
@login_required
def reminders_seen():
    """Signed-in people: "Got it" on the reminder notice of My training (records that it reached them)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    notices.mark_seen(current_user.id)
    db.session.commit()
    return redirect(url_for("training.my_training"))


@bp.get("/hq")
@role_required("hq")
def hq():
    """HQ and admins: every mission side by side, grouped by kind."""
    sort = request.args.get("sort", "mission")
    sort = sort if sort in HQ_SORTS else "mission"
    grouped = hq_report.hq_rows(dashboard.now_moment(), reveal_small=reveals_small_cells(current_user), sort=sort)
    rtl = text_direction() == "rtl"
    sparks = {row.mission.id: charts.sparkline(row.weekly, rtl=rtl, title=_(
        "%(mission)s: course completions per week, last 12 weeks", mission=row.mission.code))
        for rows in grouped.values() for row in rows}
    tables = {kind: exports.hq_screen_table(rows) for kind, rows in grouped.items()}
    page_date, page_decimal = _page_formatters()
    screen = ScreenCells(format_date=page_date, format_decimal=page_decimal, status_names=STATUS_NAMES, sparks=sparks)
    return render_template("reports/hq.html", tables=tables, sort=sort, kind_names=KIND_NAMES, sparks=sparks,
                           status_names=STATUS_NAMES, screen=screen, reveal_small=reveals_small_cells(current_user),
                           sort_urls=_sort_urls(sort), format_date=page_date, format_decimal=page_decimal)


def _sort_urls(sort: str) -> dict[str, str]:
    """Each column's link: the mission code sorts A to Z first, figures biggest first; a second click reverses."""
    urls = {}
    for key in hq_report.SORT_KEYS:
        first = key if key == "mission" else f"-{key}"
        target = (first[1:] if first.startswith("-") else f"-{first}") if sort == first else first
        urls[key] = url_for(".hq", sort=target)
    return urls


@bp.get("/hq/export")
@role_required("hq")
def hq_export():
    """HQ and admins: the all-missions table as CSV or XLSX, sorted as on screen."""
    fmt = request.args.get("format", "csv")
    if fmt not in exports.FORMATS:
        abort(404)
    sort = request.args.get("sort", "mission")
    grouped = hq_report.hq_rows(dashboard.now_moment(), reveal_small=reveals_small_cells(current_user),
                                sort=sort if sort in HQ_SORTS else "mission")
    content = exports.hq_table(grouped, {k: str(v) for k, v in KIND_NAMES.items()})
    record("report_exported", actor=current_user, target="hq", table="missions", format=fmt, rows=len(content.rows))
    db.session.commit()
    return _download(f"missions-{date.today():%Y-%m-%d}", fmt, content)
