"""The small-cell rule for breakdown tables (pure; no Flask, no database).

A breakdown (by unit, by category, by mission) can single people out: "the one civilian of
the CP section is expired". So, for viewers who are not trainers or admins:

- primary: a cleared or due count of 1 to 4 is shown as "fewer than 5";
- secondary: when a hidden count could be worked out by subtracting the others from a total
  the page shows (the row's people, or the column's headline figure), the smallest other
  count of that row or column is hidden too, until no hidden count stands alone;
- overdue and expired counts are never hidden: everyone who may open a mission's dashboard
  (its leads, HQ, admins) also gets its "Overdue and expired" list, with names and units, so
  hiding those counts would protect nobody - and they are what tells a lead which units are
  behind. (Until issue 19 expired counts were masked too; with a single expired person in most
  units, the secondary rule then greyed out nearly every unit of a real-sized mission.)

Zero is shown as 0. Percentages follow their count: a hidden count hides its percentage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from training.statuses import MASKABLE, STATUSES

THRESHOLD = 5
SMALL, SECONDARY = "small", "secondary"


@dataclass(frozen=True)
class Cell:
    count: int
    hidden: str | None = None  # None, SMALL ("fewer than 5") or SECONDARY ("hidden")

    @property
    def shown(self) -> bool:
        return self.hidden is None


def mask_table(rows: Sequence[dict[str, int]], *, reveal: bool, column_totals_shown: bool = True) -> list[dict[str, Cell]]:
    """Cells for each row's status counts; `reveal` shows everything (trainers, admins)."""
    hidden: dict[tuple[int, str], str] = {}
    if not reveal:
        for index, row in enumerate(rows):
            for status in MASKABLE:
                if 0 < row.get(status, 0) < THRESHOLD:
                    hidden[(index, status)] = SMALL
        _secondary(rows, hidden, column_totals_shown)
    return [{status: Cell(row.get(status, 0), hidden.get((index, status))) for status in STATUSES}
            for index, row in enumerate(rows)]


def _secondary(rows: Sequence[dict[str, int]], hidden: dict[tuple[int, str], str], columns: bool) -> None:
    changed = True
    while changed:
        changed = False
        lines = [[(index, status) for status in MASKABLE] for index in range(len(rows))]
        if columns:
            lines += [[(index, status) for index in range(len(rows))] for status in MASKABLE]
        for line in lines:
            if sum(1 for key in line if key in hidden) != 1:
                continue
            candidates = sorted((rows[i].get(s, 0), i, s) for i, s in line if (i, s) not in hidden)
            if candidates:
                _count, i, s = candidates[0]
                hidden[(i, s)] = SECONDARY
                changed = True
