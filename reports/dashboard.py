"""What the mission dashboard and the HQ view show, as plain data (no Flask): the views render it,
the exports write it, the tests compare it with readiness_rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from accounts.models import Category, Mission, Unit
from extensions import db
from reports import queries
from reports.queries import STATUSES, Moment
from reports.smallcells import Cell, mask_table
from training.i18n import pick
from training.models import Course, Module, ModuleVersion, Requirement

NO_UNIT = 0


@dataclass
class Counts:
    """People per status; `total` is their sum."""

    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

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
    units: list[tuple[int, str]] = field(default_factory=list)


def now_moment(at: datetime | None = None) -> Moment:
    from database import utcnow

    at = at or utcnow()
    return Moment(on=at.date(), at=at)


def mission_requirements(moment: Moment, mission: Mission, lang: str) -> tuple[int, list[RequirementLine]]:
    """People deployed now, and each requirement that applies in the mission with its counts."""
    people = db.session.execute(queries.people_now(moment, [mission.id])).first()
    grouped: dict[int, Counts] = defaultdict(Counts)
    for row in db.session.execute(queries.requirement_counts(moment, mission.id)):
        grouped[row.requirement_id].by_status[row.status] = row.people
    lines = []
    if grouped:
        found = db.session.execute(select(Requirement, Course).join(Course, Course.id == Requirement.course_id)
                                   .where(Requirement.id.in_(list(grouped))).order_by(Requirement.id))
        for requirement, course in found:
            lines.append(RequirementLine(requirement, pick(course.title, lang, course.default_language) or course.code,
                                         grouped[requirement.id]))
    return (people.people if people else 0), lines


def mission_dashboard(mission: Mission, *, requirement_id: int | None, reveal_small: bool, lang: str,
                      moment: Moment | None = None) -> MissionDashboard:
    moment = moment or now_moment()
    people, lines = mission_requirements(moment, mission, lang)
    selected = next((line for line in lines if line.requirement.id == requirement_id), lines[0] if lines else None)
    units = [(row.id, row.code) for row in db.session.execute(queries.missions_with_units(mission.id))]
    board = MissionDashboard(mission, moment, people, lines, selected, units=units)
    if selected is None:
        return board
    requirement = selected.requirement
    board.by_unit, board.by_category = breakdown_rows(moment, mission, requirement.id, reveal_small, dict(units))
    board.modules = module_lines(moment, mission, requirement, selected.counts.total, lang)
    board.trend = trend_points(moment, mission, requirement)
    for row in db.session.execute(queries.arrival_counts(moment, mission.id, requirement.id)):
        board.arrivals.by_status[row.status] = row.people
    return board


def breakdown_rows(moment: Moment, mission: Mission, requirement_id: int, reveal_small: bool,
                   unit_codes: dict[int, str]) -> tuple[list[BreakdownRow], list[BreakdownRow]]:
    units: dict[int, Counts] = defaultdict(Counts)
    categories: dict[str, Counts] = defaultdict(Counts)
    for row in db.session.execute(queries.breakdowns(moment, mission.id, requirement_id)):
        target = units[int(row.key)] if row.kind == "unit" else categories[row.key]
        target.by_status[row.status] = row.people
    unit_rows = [BreakdownRow(key, unit_codes.get(key, "") if key != NO_UNIT else "", counts)
                 for key, counts in sorted(units.items(), key=lambda item: (item[0] == NO_UNIT, unit_codes.get(item[0], "")))]
    category_rows = [BreakdownRow(c.value, c.value, categories[c.value]) for c in Category if c.value in categories]
    for table in (unit_rows, category_rows):
        for row, cells in zip(table, mask_table([r.counts.by_status for r in table], reveal=reveal_small), strict=True):
            row.cells = cells
    return unit_rows, category_rows


def module_lines(moment: Moment, mission: Mission, requirement: Requirement, population: int,
                 lang: str) -> list[ModuleLine]:
    done = {row.module_id: row.people for row in db.session.execute(
        queries.module_completion(moment, mission.id, requirement.id, requirement.course_id))}
    modules = db.session.scalars(select(Module).where(Module.course_id == requirement.course_id,
                                                      Module.is_archived.is_(False)).order_by(Module.position)).all()
    titles = _module_titles([m.id for m in modules], lang)
    return [ModuleLine(n, titles.get(m.id, m.slug), done.get(m.id, 0), population) for n, m in enumerate(modules, 1)]


def _module_titles(module_ids: list[int], lang: str) -> dict[int, str]:
    """Each module's title from its latest published version."""
    titles: dict[int, str] = {}
    versions = db.session.execute(select(ModuleVersion.module_id, ModuleVersion.title).where(
        ModuleVersion.module_id.in_(module_ids), ModuleVersion.status != "draft").order_by(ModuleVersion.number))
    for module_id, title in versions:
        titles[module_id] = pick(title, lang, "en") or titles.get(module_id, "")
    return titles


def trend_points(moment: Moment, mission: Mission, requirement: Requirement) -> list[tuple[date, int]]:
    weeks = dict.fromkeys(range(queries.TREND_WEEKS), 0)
    for row in db.session.execute(queries.weekly_completions(moment, mission.id, requirement.id, requirement.course_id)):
        if row.week in weeks:
            weeks[row.week] = row.completions
    return list(zip(queries.week_starts(moment), weeks.values(), strict=True))


def unit_choices(mission: Mission) -> list[tuple[int, str]]:
    return [(u.id, u.code) for u in db.session.scalars(select(Unit).where(Unit.mission_id == mission.id)
                                                       .order_by(Unit.code))]


def days_between(start: date, end: date) -> int:
    return (end - start).days


def due_on(arrival_on: date, due_days: int) -> date:
    return arrival_on + timedelta(days=due_days)
