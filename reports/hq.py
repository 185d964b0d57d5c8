"""The HQ view: every mission side by side, grouped by kind (plain data, no Flask)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from accounts.models import MISSION_KINDS, Mission
from extensions import db
from reports import queries
from reports.dashboard import Counts
from reports.queries import TREND_WEEKS, Moment
from reports.smallcells import Cell, mask_table
from training.models import Requirement

RECENT_WEEKS = 4


@dataclass
class MissionRow:
    mission: Mission
    people: int
    counts: Counts
    weekly: list[int] = field(default_factory=lambda: [0] * TREND_WEEKS)
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def recent(self) -> int:
        """Course completions (certificates issued) in the last RECENT_WEEKS weeks."""
        return sum(self.weekly[-RECENT_WEEKS:])

    @property
    def before(self) -> int:
        """Course completions in the RECENT_WEEKS weeks before those."""
        return sum(self.weekly[-2 * RECENT_WEEKS:-RECENT_WEEKS])

    @property
    def change(self) -> int:
        return self.recent - self.before

    def shown_percent(self, status: str) -> float | None:
        return self.counts.percent(status) if self.cells[status].shown else None

    def cleared_by(self, mode: str) -> Cell:
        """How many of the cleared were cleared by `mode`, hidden with the cleared count: a split of
        a hidden count would give it away."""
        cleared = self.cells["cleared"]
        return Cell(self.counts.cleared_by.get(mode, 0), cleared.hidden)


def requirement_scopes() -> tuple[list[Requirement], dict[int, list[int]]]:
    """The active requirements and, for each, the missions it applies in: its own mission, or
    every mission of its kind (active or not, as readiness.rule has it)."""
    requirements = list(db.session.scalars(select(Requirement).where(Requirement.is_active.is_(True))
                                           .order_by(Requirement.id)))
    kinds = db.session.execute(select(Mission.id, Mission.kind)).all()
    return requirements, {r.id: [r.mission_id] if r.mission_id is not None else
                          [mission_id for mission_id, kind in kinds if kind == r.mission_kind] for r in requirements}


SORT_KEYS = {
    "mission": lambda row: row.mission.code,
    "people": lambda row: row.people,
    "cleared": lambda row: row.counts.percent("cleared"),
    "overdue": lambda row: row.counts.percent("overdue"),
    "overdue_count": lambda row: row.counts.by_status["overdue"],
    "trend": lambda row: row.change,
}


def hq_rows(moment: Moment, *, reveal_small: bool, sort: str = "mission") -> dict[str, list[MissionRow]]:
    """Rows per mission kind (in MISSION_KINDS order), each group sorted by `sort` ("-" for descending).
    Every number comes from one statement (queries.hq_figures)."""
    missions = db.session.scalars(queries.all_missions()).all()
    rows = {m.id: MissionRow(m, 0, Counts()) for m in missions}
    requirements, missions_of = requirement_scopes()
    for figure in db.session.execute(*queries.hq_figures(moment, requirements, missions_of)):
        row = rows.get(figure.number)
        if row is None:
            continue
        if figure.figure == "people":
            row.people = figure.people
        elif figure.figure == "status":
            row.counts.by_status[figure.status] = figure.people
        elif figure.figure == "cleared_by":
            row.counts.cleared_by[figure.text] = figure.people
        elif figure.figure == "week" and 0 <= int(figure.text) < TREND_WEEKS:
            row.weekly[int(figure.text)] = figure.people
    ordered = list(rows.values())
    # No totals row is shown, so only a row's own total could give a hidden count away.
    for row, cells in zip(ordered, mask_table([r.counts.by_status for r in ordered], reveal=reveal_small,
                                              column_totals_shown=False), strict=True):
        row.cells = cells
    key = SORT_KEYS.get(sort.lstrip("-"), SORT_KEYS["mission"])
    grouped: dict[str, list[MissionRow]] = {}
    for kind in MISSION_KINDS:
        members = [r for r in ordered if r.mission.kind == kind]
        grouped[kind] = sorted(members, key=lambda r: (key(r), r.mission.code), reverse=sort.startswith("-"))
    return grouped
