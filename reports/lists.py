"""The dashboard's lists of names: the overdue list (filtered, sorted, paged) and recent arrivals."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from extensions import db
from reports import mission_rows, queries
from reports.dashboard import MissionDashboard
from reports.models import Reminder
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


def _order(query, sort: str):
    c = query.selected_columns
    name_order = (c.name, c.user_id)
    orders = {
        "since": (c.since_day, *name_order), "-since": (c.since_day.desc(), *name_order),
        "name": name_order, "-name": (c.name.desc(), c.user_id.desc()),
        "unit": (func.coalesce(c.unit_code, ""), *name_order), "-unit": (func.coalesce(c.unit_code, "").desc(), *name_order),
    }
    return query.order_by(*orders.get(sort, orders["since"]))


def overdue_page(board: MissionDashboard, filters: dict, *, per_page: int = PER_PAGE, everything: bool = False) -> Page:
    """The overdue (and expired) list for the selected requirement; `everything` skips paging (exports)."""
    selected = board.selected
    if selected is None:
        return Page([], 1, per_page, 0)
    statuses = [filters["status"]] if filters.get("status") else list(PROBLEMS)
    query = queries.people_list(board.moment, mission_rows.ROWS, selected.requirement.id, statuses=statuses,
                                unit_id=filters.get("unit"), category=filters.get("category"), search=filters.get("q"))
    if filters.get("unit") is None and not filters.get("category") and not filters.get("q"):
        total = sum(selected.counts.by_status[s] for s in statuses)  # the headline already counted them
    else:
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, math.ceil(total / per_page))
    page = 1 if everything else min(max(1, filters.get("page") or 1), pages)
    query = _order(query, filters.get("sort") or "since")
    if not everything:
        query = query.limit(per_page).offset((page - 1) * per_page)
    result = Page(_people(board, query), page, total if everything else per_page, total)
    if everything:
        result.per_page = max(1, total)
    return result


def arrivals_page(board: MissionDashboard, page: int) -> Page:
    selected = board.selected
    if selected is None:
        return Page([], 1, ARRIVALS_PER_PAGE, 0)
    total = board.arrivals.total
    pages = max(1, math.ceil(total / ARRIVALS_PER_PAGE))
    page = min(max(1, page), pages)
    query = queries.people_list(board.moment, mission_rows.ROWS, selected.requirement.id, arrivals=True)
    c = query.selected_columns
    query = query.order_by(c.arrival_on.desc(), c.name, c.user_id).limit(ARRIVALS_PER_PAGE) \
        .offset((page - 1) * ARRIVALS_PER_PAGE)
    return Page(_people(board, query), page, ARRIVALS_PER_PAGE, total)


def all_arrivals(board: MissionDashboard) -> list[ListedPerson]:
    if board.selected is None:
        return []
    query = queries.people_list(board.moment, mission_rows.ROWS, board.selected.requirement.id, arrivals=True)
    c = query.selected_columns
    return _people(board, query.order_by(c.arrival_on.desc(), c.name, c.user_id))


def _people(board: MissionDashboard, query) -> list[ListedPerson]:
    requirement = board.selected.requirement
    people = []
    for row in db.session.execute(query):
        since = row.arrival_on + timedelta(days=row.due_days)
        if row.status == "expired" and row.expires_at is not None:
            since = row.expires_at.date()
        people.append(ListedPerson(row.user_id, row.name, row.service_number, bool(row.email), row.category,
                                   row.unit_code or "", row.arrival_on, row.status, since))
    ids = [p.user_id for p in people]
    if ids:
        done = dict(db.session.execute(queries.modules_done_since_last_certificate(ids, requirement.course_id)).all())
        reminded = {row.user_id: row for row in db.session.scalars(select(Reminder).where(
            Reminder.user_id.in_(ids), Reminder.requirement_id == requirement.id))}
        for person in people:
            person.modules_done = done.get(person.user_id, 0)
            last = reminded.get(person.user_id)
            if last is not None:
                person.reminded_at, person.reached_by = last.sent_at, last.reached_by
    return people
