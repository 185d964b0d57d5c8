"""The dashboard's lists of names: the overdue list (filtered, sorted, paged) and recent arrivals."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Integer, bindparam, func, select

from core.reads import read
from reports import mission_rows, queries
from reports.dashboard import MissionDashboard
from reports.forms import LIST_SORTS
from reports.models import reached_by
from training.statuses import LISTED_BY_NAME

PER_PAGE = 50
ARRIVALS_PER_PAGE = 20
PROBLEMS = LISTED_BY_NAME


@dataclass
class ListedPerson:
    user_id: int
    name: str
    service_number: str
    has_email: bool
    category: str
    unit: str
    arrival_on: date
    status: str
    since: date              # due date when overdue or due, expiry day when expired
    modules_done: int = 0    # toward the next certificate
    reminded_at: datetime | None = None
    reached_by: str | None = None  # the last reminder: "email", "app", "both", or None (not seen yet)


@dataclass
class Page:
    """What templates/_macros/forms.html's pager() needs, for rows that are not ORM objects."""

    items: list[ListedPerson]
    page: int
    per_page: int
    total: int
    modules: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


@lru_cache(maxsize=128)
def _overdue_statement(sort: str, paged: bool, *, unit: bool, category: bool, search: bool):
    """The overdue list's statement for these filters and sort, built once per process (its
    parameters: queries.people_list's, and limit and offset when paged)."""
    query = queries.people_list(mission_rows.ROWS, statuses=True, unit=unit, category=category, search=search)
    c = query.selected_columns
    name_order = (c.name, c.user_id)
    orders = {
        "since": (c.since_day, *name_order), "-since": (c.since_day.desc(), *name_order),
        "name": name_order, "-name": (c.name.desc(), c.user_id.desc()),
        "unit": (func.coalesce(c.unit_code, ""), *name_order), "-unit": (func.coalesce(c.unit_code, "").desc(), *name_order),
    }
    query = query.order_by(*orders[sort])
    return _paged(query) if paged else query


@lru_cache(maxsize=16)
def _overdue_count(*, unit: bool, category: bool, search: bool):
    query = queries.people_list(mission_rows.ROWS, statuses=True, unit=unit, category=category, search=search)
    return select(func.count()).select_from(query.subquery())


@lru_cache(maxsize=4)
def _arrivals_statement(paged: bool):
    query = queries.people_list(mission_rows.ROWS, arrivals=True)
    c = query.selected_columns
    query = query.order_by(c.arrival_on.desc(), c.name, c.user_id)
    return _paged(query) if paged else query


def _paged(query):
    return query.limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))


def overdue_page(board: MissionDashboard, filters: dict, *, per_page: int = PER_PAGE, everything: bool = False,
                 progress: bool = True) -> Page:
    """The overdue (and expired) list for the selected requirement; `everything` skips paging (exports).
    `progress`: with each person's modules done and last reminder (else see add_progress)."""
    selected = board.selected
    if selected is None:
        return Page([], 1, per_page, 0)
    statuses = [filters["status"]] if filters.get("status") else list(PROBLEMS)
    unit, category, search = filters.get("unit"), filters.get("category") or None, filters.get("q") or None
    shape = {"unit": unit is not None, "category": category is not None, "search": search is not None}
    parameters = {"requirement_id": selected.requirement.id, "statuses": statuses, "unit_id": unit,
                  "category": category, "pattern": queries.like_pattern(search) if search else None}
    if not any(shape.values()):
        total = sum(selected.counts.by_status[s] for s in statuses)  # the headline already counted them
    else:
        total = read(_overdue_count(**shape), parameters).scalar_one()
    pages = max(1, math.ceil(total / per_page))
    page = 1 if everything else min(max(1, filters.get("page") or 1), pages)
    sort = filters.get("sort") if filters.get("sort") in LIST_SORTS else "since"
    if not everything:
        parameters |= {"limit": per_page, "offset": (page - 1) * per_page}
    people = _listed(board, _overdue_statement(sort, not everything, **shape), parameters, progress)
    result = Page(people, page, total if everything else per_page, total)
    if everything:
        result.per_page = max(1, total)
    return result


def arrivals_page(board: MissionDashboard, page: int, *, progress: bool = True) -> Page:
    selected = board.selected
    if selected is None:
        return Page([], 1, ARRIVALS_PER_PAGE, 0)
    total = board.arrivals.total
    pages = max(1, math.ceil(total / ARRIVALS_PER_PAGE))
    page = min(max(1, page), pages)
    parameters = _arrivals_parameters(board) | {"limit": ARRIVALS_PER_PAGE, "offset": (page - 1) * ARRIVALS_PER_PAGE}
    return Page(_listed(board, _arrivals_statement(True), parameters, progress), page, ARRIVALS_PER_PAGE, total)


def all_arrivals(board: MissionDashboard) -> list[ListedPerson]:
    if board.selected is None:
        return []
    return _listed(board, _arrivals_statement(False), _arrivals_parameters(board), True)


def _arrivals_parameters(board: MissionDashboard) -> dict:
    return {"requirement_id": board.selected.requirement.id, "arrivals_since": board.moment.arrivals_since,
            "on": board.moment.on}


def _listed(board: MissionDashboard, statement, parameters: dict, progress: bool) -> list[ListedPerson]:
    people = []
    for row in read(statement, parameters):
        since = row.arrival_on + timedelta(days=row.due_days)
        if row.status == "expired" and row.expires_at is not None:
            since = row.expires_at.date()
        people.append(ListedPerson(row.user_id, row.name, row.service_number, bool(row.email), row.category,
                                   row.unit_code or "", row.arrival_on, row.status, since))
    if progress:
        add_progress(board, people)
    return people


def add_progress(board: MissionDashboard, people: list[ListedPerson]) -> None:
    """Each listed person's modules done toward the next certificate and last reminder, in one
    statement for every list of the page (queries.list_progress)."""
    ids = sorted({person.user_id for person in people})
    if not ids:
        return
    requirement = board.selected.requirement
    done, reminded = {}, {}
    for row in read(queries.list_progress(), {"user_ids": ids, "course_id": requirement.course_id,
                                              "requirement_id": requirement.id}):
        if row.modules is not None:
            done[row.user_id] = row.modules
        else:
            reminded[row.user_id] = row
    for person in people:
        person.modules_done = done.get(person.user_id, 0)
        last = reminded.get(person.user_id)
        if last is not None:
            person.reminded_at, person.reached_by = last.sent_at, reached_by(last.emailed_at, last.seen_at)
