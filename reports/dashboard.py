"""What the mission dashboard and the HQ view show, as plain data (no Flask): the views render it,
the exports write it, the tests compare it with readiness_rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import Integer, String, and_, bindparam, select

from accounts.models import Category, Mission
from core.reads import labelled, read, tracked_from
from recognition.models import OutsideCertificate
from reports import mission_rows, queries
from reports.queries import Moment
from reports.smallcells import Cell, mask_table
from training.i18n import pick
from training.models import Course, Module, ModuleVersion, Requirement
from training.statuses import STATUSES

NO_UNIT = 0
SESSION_MONTHS = 12  # the sessions chart: this month and the 11 before


@dataclass
class Counts:
    """People per status; `total` is their sum."""

    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    renewal_due: int = 0  # of the cleared, those whose renewal window has opened
    # Of the cleared, how many by each of readiness.rule.CLEARED_BY (online, in person, ...).
    cleared_by: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def not_all_online(self) -> bool:
        """Some were cleared otherwise than online: worth showing the split."""
        return any(count for mode, count in self.cleared_by.items() if mode != "online")

    def percent(self, status: str) -> float:
        return 100.0 * self.by_status.get(status, 0) / self.total if self.total else 0.0


@dataclass
class RequirementLine:
    requirement: Requirement
    course_title: str
    counts: Counts


@dataclass
class BreakdownRow:
    key: int | str
    label: str
    counts: Counts
    cells: dict[str, Cell] = field(default_factory=dict)

    def shown_percent(self, status: str) -> float | None:
        """The percentage, or None when its count is hidden by the small-cell rule."""
        return self.counts.percent(status) if self.cells[status].shown else None


@dataclass
class ModuleLine:
    position: int
    title: str
    people: int
    of: int

    @property
    def percent(self) -> float:
        return 100.0 * self.people / self.of if self.of else 0.0


@dataclass
class MissionDashboard:
    mission: Mission
    moment: Moment
    people_now: int
    requirements: list[RequirementLine]
    selected: RequirementLine | None
    by_unit: list[BreakdownRow] = field(default_factory=list)
    by_category: list[BreakdownRow] = field(default_factory=list)
    modules: list[ModuleLine] = field(default_factory=list)
    trend: list[tuple[date, int]] = field(default_factory=list)
    arrivals: Counts = field(default_factory=Counts)
    units: list[tuple[int, str]] = field(default_factory=list)  # (id, code), by code
    unit_names: dict[int, str] = field(default_factory=dict)
    # In-person sessions held in the mission per month (first day of the month, sessions), oldest first.
    sessions: list[tuple[date, int]] = field(default_factory=list)
    # When asked for (getting_in): unit id (None: no unit) -> (people deployed now, of whom never
    # signed in), as accounts.activation.never_signed_in_by_unit gives it.
    getting_in: dict[int | None, tuple[int, int]] | None = None


def now_moment(at: datetime | None = None) -> Moment:
    from database import utcnow

    at = at or utcnow()
    return Moment(on=at.date(), at=at)


def applicable_and_recognised(mission: Mission, lang: str) -> tuple[list[tuple[Requirement, str, int]], set[int]]:
    """The active requirements that can apply in the mission (its own and its kind's), with their
    courses' titles and renewal windows (days); and the ids of those someone holds a recognised
    outside certificate for (readiness.report_sql.recognised_requirements, asked in the same
    statement: one statement fewer on every dashboard request). Read as plain
    rows, each requirement made the session's object from its row (core.reads.tracked_from):
    loading both through the ORM cost twice as much, on every dashboard request."""
    found = read(_applicable_requirements(), {"mission_id": mission.id, "kind": mission.kind}).mappings().all()
    return ([(tracked_from(Requirement, row, "requirement_"),
              pick(row.course_title, lang, row.course_default_language) or row.course_code,
              row.course_renewal_window_days) for row in found],
            {row.requirement_id for row in found if row.someone_recognised})


@lru_cache(maxsize=1)
def _applicable_requirements():
    """Built once per process (on first use: the mappers are configured by then); parameters mission_id and kind."""
    recognised = select(OutsideCertificate.id).where(OutsideCertificate.requirement_id == Requirement.id,
                                                     OutsideCertificate.removed_at.is_(None)).exists()
    return (select(*labelled(Requirement, "requirement_"), Course.title.label("course_title"),
                   Course.default_language.label("course_default_language"), Course.code.label("course_code"),
                   Course.renewal_window_days.label("course_renewal_window_days"),
                   recognised.label("someone_recognised"))
            .join(Course, Course.id == Requirement.course_id)
            .where(Requirement.is_active.is_(True), (Requirement.mission_id == bindparam("mission_id", type_=Integer))
                   | (Requirement.mission_kind == bindparam("kind", type_=String)))
            .order_by(Requirement.id))


def mission_dashboard(mission: Mission, *, requirement_id: int | None, reveal_small: bool, lang: str,
                      moment: Moment | None = None, getting_in: bool = False) -> MissionDashboard:
    """Every figure of the dashboard: the mission's readiness rows into temporary tables
    (reports.mission_rows), then one SQL statement over them (queries.mission_figures). The lists
    (reports.lists) read the same tables, so they must run in the same transaction. `getting_in`:
    with the people deployed and never signed in per unit (the page's, not the downloads')."""
    moment = moment or now_moment()
    candidates, recognised = applicable_and_recognised(mission, lang)
    chosen = next((r for r, _t, _w in candidates if r.id == requirement_id), candidates[0][0] if candidates else None)
    unit_rows = read(queries.units_of(), {"mission_id": mission.id}).all()
    units = [(row.id, row.code) for row in unit_rows]
    modules = course_modules(chosen.course_id, lang) if chosen else []
    people_now, rows = mission_rows.fill(moment, mission.id, [r for r, _t, _w in candidates], recognised)
    windows = {r.course_id: window for r, _t, window in candidates}
    months = last_months(moment.on)
    statement, parameters = queries.mission_figures(
        moment, people_now, rows, chosen.id if chosen else None, [m.id for m in modules], windows,
        mission_id=mission.id, sessions_since=months[0], getting_in_on=date.today() if getting_in else None)
    figures = read(statement, parameters).all()
    counts: dict[int, Counts] = defaultdict(Counts)
    unit_counts: dict[int, Counts] = defaultdict(Counts)
    category_counts: dict[str, Counts] = defaultdict(Counts)
    arrivals, modules_done, weeks, people = Counts(), {}, dict.fromkeys(range(queries.TREND_WEEKS), 0), 0
    held: dict[int, int] = {}  # year * 100 + month -> sessions
    deployed: dict[int | None, int] = {}
    never: dict[int | None, int] = {}
    for figure, number, text, status, count in figures:  # plain tuples: some 150 rows, each looked at up to 9 times
        if figure == "unit":
            unit_counts[number].by_status[status] = count
        elif figure == "requirement":
            counts[number].by_status[status] = count
        elif figure == "people":
            people = count
        elif figure == "renewal":
            counts[number].renewal_due = count
        elif figure == "cleared_by":
            counts[number].cleared_by[text] = count
        elif figure == "category":
            category_counts[text].by_status[status] = count
        elif figure == "arrivals":
            arrivals.by_status[status] = count
        elif figure == "module":
            modules_done[number] = count
        elif figure == "week" and number in weeks:
            weeks[number] = count
        elif figure == "sessions":
            held[number] = count
        elif figure == "deployed":
            deployed[number] = count
        elif figure == "never":
            never[number] = count
    # A requirement nobody it applies to is deployed for has no rows: it is not shown.
    lines = [RequirementLine(r, title, counts[r.id]) for r, title, _w in candidates if r.id in counts]
    selected = next((line for line in lines if chosen is not None and line.requirement.id == chosen.id),
                    lines[0] if lines else None)
    board = MissionDashboard(mission, moment, people, lines, selected, units=units, arrivals=arrivals,
                             unit_names={row.id: row.name for row in unit_rows},
                             sessions=[(first, held.get(first.year * 100 + first.month, 0)) for first in months],
                             getting_in={unit_id: (int(total), int(never.get(unit_id) or 0))
                                         for unit_id, total in deployed.items()} if getting_in else None)
    if selected is None:
        return board
    if selected.requirement.id != chosen.id:  # nobody the chosen one applies to is here: show the first that has people
        return mission_dashboard(mission, requirement_id=selected.requirement.id, reveal_small=reveal_small, lang=lang,
                                 moment=moment, getting_in=getting_in)
    board.by_unit = _masked([BreakdownRow(key, dict(units).get(key, "") if key != NO_UNIT else "", c)
                             for key, c in sorted(unit_counts.items(),
                                                  key=lambda item: (item[0] == NO_UNIT, dict(units).get(item[0], "")))],
                            reveal_small)
    board.by_category = _masked([BreakdownRow(c.value, c.value, category_counts[c.value])
                                 for c in Category if c.value in category_counts], reveal_small)
    board.modules = module_lines(modules, modules_done, selected.counts.total)
    board.trend = list(zip(moment.week_starts(), weeks.values(), strict=True))
    return board


def last_months(on: date, count: int = SESSION_MONTHS) -> list[date]:
    """The first days of the `count` months ending with `on`'s, oldest first."""
    months, year, month = [], on.year, on.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _masked(rows: list[BreakdownRow], reveal_small: bool) -> list[BreakdownRow]:
    for row, cells in zip(rows, mask_table([r.counts.by_status for r in rows], reveal=reveal_small), strict=True):
        row.cells = cells
    return rows


@dataclass(frozen=True)
class CourseModule:
    id: int
    title: str  # of its latest published version in the page's language, else its slug


def course_modules(course_id: int, lang: str) -> list[CourseModule]:
    """The course's modules (not archived) in order, with their titles, in one statement."""
    modules: dict[int, tuple[str, str]] = {}  # id -> (slug, title so far)
    for row in read(_course_modules(), {"course_id": course_id}):
        slug, title = modules.get(row.id, (row.slug, None))
        if row.title is not None:  # a later version's title replaces the earlier one's, unless empty
            title = pick(row.title, lang, "en") or title or ""
        modules[row.id] = (slug, title)
    return [CourseModule(module_id, slug if title is None else title) for module_id, (slug, title) in modules.items()]


@lru_cache(maxsize=1)
def _course_modules():
    """Each module (parameter course_id) with each of its published versions' titles, oldest first."""
    version = ModuleVersion.__table__.alias("published")
    return (select(Module.id, Module.slug, version.c.title)
            .outerjoin(version, and_(version.c.module_id == Module.id, version.c.status != "draft"))
            .where(Module.course_id == bindparam("course_id", type_=Integer), Module.is_archived.is_(False))
            .order_by(Module.position, Module.id, version.c.number))


def module_lines(modules: list[CourseModule], done: dict[int, int], population: int) -> list[ModuleLine]:
    return [ModuleLine(n, m.title, done.get(m.id, 0), population) for n, m in enumerate(modules, 1)]
