"""The SQL behind the dashboards. Every count is a GROUP BY in the database; Python only receives
the grouped rows (a few dozen) and the one page of names a table shows.

Everything starts from training.readiness.readiness_rows, the one definition of who counts
where and with which status, so the dashboards, the exports and "My training" never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, and_, case, func, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from accounts.models import Mission, Unit, User
from certificates.models import Certificate
from training.models import Completion, Module, Requirement
from training.readiness import current_deployments, readiness_rows

STATUSES = ("cleared", "due", "overdue", "expired")
TREND_WEEKS = 12
ARRIVED_WITHIN_DAYS = 30


class day_number(FunctionElement):
    """A date or timestamp as a whole day count, comparable and subtractable on both engines."""

    type = Integer()
    inherit_cache = True


@compiles(day_number, "sqlite")
def _day_number_sqlite(element, compiler, **kw):
    (value,) = list(element.clauses)
    return f"CAST(julianday(date({compiler.process(value, **kw)})) AS INTEGER)"


@compiles(day_number)
def _day_number_default(element, compiler, **kw):
    (value,) = list(element.clauses)
    return f"(CAST({compiler.process(value, **kw)} AS DATE) - DATE '2000-01-01')"


@dataclass(frozen=True)
class Moment:
    """The instant a report describes: `on` for deployments and due dates, `at` for certificates."""

    on: date
    at: datetime


def rows(moment: Moment, *, mission_ids=None, requirement_id: int | None = None):
    """readiness_rows as a subquery, optionally for one requirement."""
    query = readiness_rows(moment.on, moment=moment.at, mission_ids=mission_ids)
    if requirement_id is not None:
        query = query.where(Requirement.id == requirement_id)
    return query


def requirement_counts(moment: Moment, mission_id: int):
    """(requirement_id, status, people) for every requirement that applies in the mission."""
    r = rows(moment, mission_ids=[mission_id]).subquery("r")
    return select(r.c.requirement_id, r.c.status, func.count().label("people")) \
        .group_by(r.c.requirement_id, r.c.status)


def people_now(moment: Moment, mission_ids=None):
    """(mission_id, people): active people whose current deployment is in each mission."""
    deployment = current_deployments(moment.on)
    query = select(deployment.c.mission_id, func.count().label("people")) \
        .join(User, and_(User.id == deployment.c.user_id, User.is_active.is_(True))) \
        .group_by(deployment.c.mission_id)
    if mission_ids is not None:
        query = query.where(deployment.c.mission_id.in_(list(mission_ids)))
    return query


def breakdowns(moment: Moment, mission_id: int, requirement_id: int):
    """(kind, key, status, people) for kind 'unit' (key: unit id, 0 for none) and 'category', in one pass."""
    r = rows(moment, mission_ids=[mission_id], requirement_id=requirement_id).cte("r")
    by_unit = select(literal("unit").label("kind"), func.coalesce(r.c.unit_id, 0).cast(Integer).label("key"),
                     r.c.status, func.count().label("people")).group_by(r.c.unit_id, r.c.status)
    by_category = select(literal("category").label("kind"), r.c.category.label("key"), r.c.status,
                         func.count().label("people")).group_by(r.c.category, r.c.status)
    return union_all(by_unit, by_category)


def module_completion(moment: Moment, mission_id: int, requirement_id: int, course_id: int):
    """(module_id, people): of the people the requirement applies to, how many completed each module."""
    r = rows(moment, mission_ids=[mission_id], requirement_id=requirement_id).subquery("r")
    done = select(Completion.user_id, Completion.module_id).distinct() \
        .join(r, r.c.user_id == Completion.user_id) \
        .join(Module, and_(Module.id == Completion.module_id, Module.course_id == course_id)).subquery("done")
    return select(done.c.module_id, func.count().label("people")).group_by(done.c.module_id)


def weekly_completions(moment: Moment, mission_id: int, requirement_id: int, course_id: int):
    """(week, completions) over the last TREND_WEEKS weeks; week 0 is the oldest, the last ends today."""
    first_day = moment.on - timedelta(days=7 * TREND_WEEKS - 1)
    r = rows(moment, mission_ids=[mission_id], requirement_id=requirement_id).subquery("r")
    week = ((day_number(Completion.completed_at) - day_number(literal(first_day))) // 7).label("week")
    return select(week, func.count().label("completions")) \
        .join(r, r.c.user_id == Completion.user_id) \
        .join(Module, and_(Module.id == Completion.module_id, Module.course_id == course_id)) \
        .where(Completion.completed_at >= datetime.combine(first_day, datetime.min.time(), moment.at.tzinfo)) \
        .where(Completion.completed_at <= moment.at) \
        .group_by(week)


def week_starts(moment: Moment) -> list[date]:
    first_day = moment.on - timedelta(days=7 * TREND_WEEKS - 1)
    return [first_day + timedelta(days=7 * n) for n in range(TREND_WEEKS)]


def since_day(r):
    """The day a row became a problem: the due date when overdue, the expiry day when expired."""
    return case((r.c.status == "expired", day_number(r.c.expires_at)),
                else_=day_number(r.c.arrival_on) + r.c.due_days)


def people_list(moment: Moment, mission_id: int, requirement_id: int, *, statuses=None, unit_id=None, category=None,
                search: str | None = None, arrived_since: date | None = None):
    """Rows of person x requirement with names, for a listed table; the caller orders and pages it."""
    r = rows(moment, mission_ids=[mission_id], requirement_id=requirement_id).subquery("r")
    query = select(r.c.user_id, User.name, User.service_number, User.email, User.category, r.c.unit_id,
                   Unit.code.label("unit_code"), r.c.arrival_on, r.c.due_days, r.c.expires_at, r.c.status,
                   since_day(r).label("since_day")) \
        .join(User, User.id == r.c.user_id).outerjoin(Unit, Unit.id == r.c.unit_id)
    if statuses:
        query = query.where(r.c.status.in_(list(statuses)))
    if unit_id is not None:
        query = query.where(func.coalesce(r.c.unit_id, 0) == unit_id)
    if category:
        query = query.where(r.c.category == category)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(func.lower(User.name).like(pattern.lower(), escape="\\")
                            | func.lower(User.service_number).like(pattern.lower(), escape="\\"))
    if arrived_since is not None:  # arrived since then, and not in the future (deployments are entered ahead)
        query = query.where(r.c.arrival_on >= arrived_since, r.c.arrival_on <= moment.on)
    return query


def arrival_counts(moment: Moment, mission_id: int, requirement_id: int):
    """(status, people) among those who arrived in the last ARRIVED_WITHIN_DAYS days."""
    r = rows(moment, mission_ids=[mission_id], requirement_id=requirement_id).subquery("r")
    since = moment.on - timedelta(days=ARRIVED_WITHIN_DAYS)
    return select(r.c.status, func.count().label("people")) \
        .where(r.c.arrival_on >= since, r.c.arrival_on <= moment.on).group_by(r.c.status)


def modules_done_since_last_certificate(user_ids, course_id: int):
    """(user_id, modules): modules completed since the person's latest certificate for the course
    (any status), or ever when they hold none: their progress toward the next certificate."""
    last_issued = select(func.max(Certificate.issued_at)).where(
        Certificate.user_id == Completion.user_id, Certificate.course_id == course_id).scalar_subquery()
    return select(Completion.user_id, func.count(func.distinct(Completion.module_id)).label("modules")) \
        .join(Module, and_(Module.id == Completion.module_id, Module.course_id == course_id)) \
        .where(Completion.user_id.in_(list(user_ids))) \
        .where((last_issued.is_(None)) | (Completion.completed_at > last_issued)) \
        .group_by(Completion.user_id)


def hq_counts(moment: Moment, mission_ids=None):
    """(mission_id, status, people) over every requirement, for every mission."""
    r = rows(moment, mission_ids=mission_ids).subquery("r")
    return select(r.c.mission_id, r.c.status, func.count().label("people")).group_by(r.c.mission_id, r.c.status)


def hq_weekly_completions(moment: Moment, mission_ids=None):
    """(mission_id, week, completions): module completions by the people deployed now, per week of
    the last TREND_WEEKS weeks (week 0 the oldest), whatever the course."""
    deployment = current_deployments(moment.on)
    first_day = moment.on - timedelta(days=7 * TREND_WEEKS - 1)
    week = ((day_number(Completion.completed_at) - day_number(literal(first_day))) // 7).label("week")
    query = select(deployment.c.mission_id, week, func.count().label("completions")) \
        .join(deployment, deployment.c.user_id == Completion.user_id) \
        .where(Completion.completed_at >= datetime.combine(first_day, datetime.min.time(), moment.at.tzinfo),
               Completion.completed_at <= moment.at) \
        .group_by(deployment.c.mission_id, week)
    if mission_ids is not None:
        query = query.where(deployment.c.mission_id.in_(list(mission_ids)))
    return query


def missions_with_units(mission_id: int):
    return select(Unit.id, Unit.code).where(Unit.mission_id == mission_id).order_by(Unit.code)


def all_missions(mission_ids=None):
    query = select(Mission).where(Mission.is_active.is_(True)).order_by(Mission.code)
    if mission_ids is not None:
        query = query.where(Mission.id.in_(list(mission_ids)))
    return query
