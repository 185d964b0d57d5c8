"""The dashboard's lists of names: the overdue list (filtered, sorted, paged) and recent arrivals."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import func, select, union_all

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


def _by_name(c) -> tuple:
    return (c.name, c.user_id)


# The overdue list's orders (forms.LIST_SORTS), as functions of its columns: the page is chosen in
# this order and its rows come back in it (queries.with_progress).
OVERDUE_ORDERS = {
    "since": lambda c: (c.since_day, *_by_name(c)), "-since": lambda c: (c.since_day.desc(), *_by_name(c)),
    "name": _by_name, "-name": lambda c: (c.name.desc(), c.user_id.desc()),
    "unit": lambda c: (func.coalesce(c.unit_code, ""), *_by_name(c)),
    "-unit": lambda c: (func.coalesce(c.unit_code, "").desc(), *_by_name(c)),
}


# A list statement's columns, in the order _listed reads them.
LISTED_COLUMNS = ("user_id", "name", "service_number", "email", "category", "unit_id", "unit_code", "arrival_on",
                  "due_days", "expires_at", "status", "since_day", "modules_done", "reminded_at", "emailed_at", "seen_at")


def _checked(statement):
    """`statement`, once its columns are known to be LISTED_COLUMNS (checked when it is built)."""
    names = tuple(column.name for column in statement.selected_columns)
    if names != LISTED_COLUMNS:
        raise RuntimeError(f"a list statement gives {names}, _listed reads {LISTED_COLUMNS}")
    return statement


@lru_cache(maxsize=128)
def _overdue_statement(sort: str, paged: bool, *, status: bool, unit: bool, category: bool, search: bool):
    """The overdue list's statement for these filters and sort, built once per process (its
    parameters: queries.people_list's and with_progress's, and limit and offset when paged)."""
    return _checked(queries.with_progress(_overdue_rows(status=status, unit=unit, category=category, search=search),
                                          OVERDUE_ORDERS[sort], paged))


def _overdue_rows(**filters: bool):
    return queries.people_list(mission_rows.ROWS, statuses=tuple(PROBLEMS), **filters)


@lru_cache(maxsize=32)
def _overdue_count(*, status: bool, unit: bool, category: bool, search: bool):
    query = _overdue_rows(status=status, unit=unit, category=category, search=search)
    return select(func.count()).select_from(query.subquery())


def _arrivals_order(c) -> tuple:
    return (c.arrival_on.desc(), c.name, c.user_id)


@lru_cache(maxsize=4)
def _arrivals_statement(paged: bool):
    return _checked(queries.with_progress(queries.people_list(mission_rows.ROWS, arrivals=True), _arrivals_order, paged))


@lru_cache(maxsize=64)
def _both_statement(sort: str, *, status: bool, unit: bool, category: bool, search: bool):
    """The overdue list's page and the arrivals' page in one statement, built once per process for
    each sort and set of filters: rows of (list, LISTED_COLUMNS..., position), list "overdue" or
    "arrivals", each list's rows in its own order. Parameters: both lists' (the arrivals' page as
    arrivals_limit and arrivals_offset)."""
    overdue = queries.with_progress(_overdue_rows(status=status, unit=unit, category=category, search=search),
                                    OVERDUE_ORDERS[sort], True, numbered=True).subquery("overdue_page")
    arrivals = queries.with_progress(queries.people_list(mission_rows.ROWS, arrivals=True), _arrivals_order, True,
                                     limit="arrivals_limit", offset="arrivals_offset", numbered=True) \
        .subquery("arrivals_page")
    both = union_all(*(select(queries.constant(name).label("list"), *page.c) for name, page in
                       (("overdue", overdue), ("arrivals", arrivals))))
    names = tuple(column.name for column in both.selected_columns)
    if names != ("list", *LISTED_COLUMNS, "position"):
        raise RuntimeError(f"the lists' statement gives {names}, page_lists reads list, {LISTED_COLUMNS}, position")
    return both.order_by(both.selected_columns.list, both.selected_columns.position)


def page_lists(board: MissionDashboard, filters: dict, arrivals_page_number: int) -> tuple[Page, Page]:
    """overdue_page(board, filters) and arrivals_page(board, arrivals_page_number), the page's two
    lists, read in one statement: each statement cost about as much Python as its SQL."""
    if board.selected is None:
        return overdue_page(board, filters), arrivals_page(board, arrivals_page_number)
    sort, shape, parameters, page, total = _overdue_plan(board, filters, PER_PAGE, False)
    arrivals_page_number, arrivals_total = _arrivals_plan(board, arrivals_page_number)
    parameters |= _arrivals_parameters(board) | {
        "limit": PER_PAGE, "offset": (page - 1) * PER_PAGE,
        "arrivals_limit": ARRIVALS_PER_PAGE, "arrivals_offset": (arrivals_page_number - 1) * ARRIVALS_PER_PAGE}
    people: dict[str, list[ListedPerson]] = {"overdue": [], "arrivals": []}
    for row in read(_both_statement(sort, **shape), parameters).all():
        people[row[0]].append(_person(row[1:-1]))
    return (Page(people["overdue"], page, PER_PAGE, total),
            Page(people["arrivals"], arrivals_page_number, ARRIVALS_PER_PAGE, arrivals_total))


def _overdue_plan(board: MissionDashboard, filters: dict, per_page: int, everything: bool):
    """(sort, statement shape, parameters, page, total) of the overdue list: its filters, how many
    it holds (the headline counted them, or a count when filtered by unit, category or name) and
    the page shown."""
    selected = board.selected
    status = filters.get("status") if filters.get("status") in PROBLEMS else None
    unit, category, search = filters.get("unit"), filters.get("category") or None, filters.get("q") or None
    shape = {"status": status is not None, "unit": unit is not None, "category": category is not None,
             "search": search is not None}
    parameters = {**_list_parameters(board), "status": status, "unit_id": unit, "category": category,
                  "pattern": queries.like_pattern(search) if search else None}
    if not any((shape["unit"], shape["category"], shape["search"])):  # the headline already counted them
        total = sum(selected.counts.by_status[s] for s in ([status] if status else PROBLEMS))
    else:
        total = read(_overdue_count(**shape), parameters).scalar_one()
    pages = max(1, math.ceil(total / per_page))
    page = 1 if everything else min(max(1, filters.get("page") or 1), pages)
    sort = filters.get("sort") if filters.get("sort") in LIST_SORTS else "since"
    return sort, shape, parameters, page, total


def overdue_page(board: MissionDashboard, filters: dict, *, per_page: int = PER_PAGE, everything: bool = False) -> Page:
    """The overdue (and expired) list for the selected requirement, with each person's modules done
    and last reminder; `everything` skips paging (exports)."""
    if board.selected is None:
        return Page([], 1, per_page, 0)
    sort, shape, parameters, page, total = _overdue_plan(board, filters, per_page, everything)
    if not everything:
        parameters |= {"limit": per_page, "offset": (page - 1) * per_page}
    people = _listed(_overdue_statement(sort, not everything, **shape), parameters)
    result = Page(people, page, total if everything else per_page, total)
    if everything:
        result.per_page = max(1, total)
    return result


def _arrivals_plan(board: MissionDashboard, page: int) -> tuple[int, int]:
    """(page shown, total) of the arrivals (the figures counted them)."""
    total = board.arrivals.total
    return min(max(1, page), max(1, math.ceil(total / ARRIVALS_PER_PAGE))), total


def arrivals_page(board: MissionDashboard, page: int) -> Page:
    if board.selected is None:
        return Page([], 1, ARRIVALS_PER_PAGE, 0)
    page, total = _arrivals_plan(board, page)
    parameters = _arrivals_parameters(board) | {"limit": ARRIVALS_PER_PAGE, "offset": (page - 1) * ARRIVALS_PER_PAGE}
    return Page(_listed(_arrivals_statement(True), parameters), page, ARRIVALS_PER_PAGE, total)


def all_arrivals(board: MissionDashboard) -> list[ListedPerson]:
    if board.selected is None:
        return []
    return _listed(_arrivals_statement(False), _arrivals_parameters(board))


def _arrivals_parameters(board: MissionDashboard) -> dict:
    return {**_list_parameters(board), "arrivals_since": board.moment.arrivals_since, "on": board.moment.on}


def _list_parameters(board: MissionDashboard) -> dict:
    requirement = board.selected.requirement
    return {"requirement_id": requirement.id, "course_id": requirement.course_id}


def _listed(statement, parameters: dict) -> list[ListedPerson]:
    """The people of a list statement (LISTED_COLUMNS)."""
    return [_person(row) for row in read(statement, parameters).all()]


def _person(row) -> ListedPerson:
    """A listed person from a row of LISTED_COLUMNS, unpacked as a tuple: naming each column of 70
    rows on SQLAlchemy's rows cost a tenth of a millisecond."""
    (user_id, name, service_number, email, category, _unit_id, unit_code, arrival_on, due_days, expires_at,
     status, _since_day, modules_done, reminded_at, emailed_at, seen_at) = row
    since = arrival_on + timedelta(days=due_days)
    if status == "expired" and expires_at is not None:
        since = expires_at.date()
    return ListedPerson(user_id, name, service_number, bool(email), category, unit_code or "", arrival_on, status,
                        since, modules_done or 0, reminded_at, reached_by(emailed_at, seen_at) if reminded_at else None)
