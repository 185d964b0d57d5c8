"""Readiness: is a person cleared, due, overdue or expired for a requirement? Derived, never stored.

Two implementations of one rule, kept in step by tests on generated data:
- `readiness_of(...)`, a pure function for one person (used on "My training");
- `readiness_rows(...)`, one SQL query for many people (dashboards, exports, reminders).

The rule, for a person's current deployment (the open one with the latest arrival) and a
requirement that matches its mission (or mission kind) and the person's category:
- cleared: the person holds a valid certificate for the course that has not expired; once the
  course's renewal window has opened (renewal_window_days before expiry) it is still cleared, with
  `renew_by` set to the expiry date ("renewal due": a sub-state, so the statuses and the SQL twin
  stay as they are);
- expired: their valid-status certificate has expired (revoked ones count as none);
- due: no current certificate, and today is on or before arrival + due_days;
- overdue: no current certificate, and the due date has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cache

from sqlalchemy import Integer, and_, bindparam, case, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from accounts.models import Deployment, Mission, User
from certificates.models import Certificate
from extensions import db
from training.models import Requirement


@dataclass(frozen=True)
class Readiness:
    status: str
    due_on: date
    expired_on: date | None = None
    renew_by: date | None = None  # cleared, inside the renewal window: the day the certificate expires

    @property
    def renewal_due(self) -> bool:
        return self.renew_by is not None


def renewal_open(expires_at: datetime, renewal_window_days: int, moment: datetime) -> bool:
    """The renewal window has opened: the same rule as certificates.services.needs_new_certificate."""
    return moment >= _aware(expires_at) - timedelta(days=renewal_window_days)


def readiness_of(arrival_on: date, due_days: int, certificate_expires_at: datetime | None,
                 moment: datetime, renewal_window_days: int | None = None) -> Readiness:
    """The rule for one person and requirement. `certificate_expires_at` is the expiry of the
    person's valid-status certificate for the course (None when they hold none)."""
    due_on = arrival_on + timedelta(days=due_days)
    if certificate_expires_at is not None:
        expires = _aware(certificate_expires_at)
        if expires > moment:
            if renewal_window_days is not None and renewal_open(expires, renewal_window_days, moment):
                return Readiness("cleared", due_on, renew_by=expires.date())
            return Readiness("cleared", due_on)
        return Readiness("expired", due_on, expires.date())
    return Readiness("due" if moment.date() <= due_on else "overdue", due_on)


class days_since(FunctionElement):
    """Whole days from `start` (a date column) to `end` (a date), on SQLite and PostgreSQL."""

    type = Integer()
    inherit_cache = True


@compiles(days_since, "sqlite")
def _days_since_sqlite(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"CAST(julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}) AS INTEGER)"


@compiles(days_since)
def _days_since_default(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"(CAST({compiler.process(end, **kw)} AS DATE) - {compiler.process(start, **kw)})"


def current_deployments(on: date):
    """Subquery: each person's current deployment on `on` (at most one row per person)."""
    ranked = (
        select(Deployment.id, Deployment.user_id, Deployment.mission_id, Deployment.unit_id, Deployment.arrival_on,
               func.row_number().over(partition_by=Deployment.user_id,
                                      order_by=(Deployment.arrival_on.desc(), Deployment.id.desc())).label("rank"))
        .where(Deployment.current_clause(on))
        .subquery("ranked_deployments")
    )
    return select(ranked.c.id, ranked.c.user_id, ranked.c.mission_id, ranked.c.unit_id, ranked.c.arrival_on) \
        .where(ranked.c.rank == 1).subquery("current_deployments")


def category_matches(categories_column, category_column) -> ColumnElement:
    return (literal(",") + categories_column + literal(",")).like(literal("%,") + category_column + literal(",%"))


def readiness_rows(on: date | None = None, *, moment: datetime | None = None, mission_ids=None):
    """A select() of person x requirement with its status, for everyone currently deployed.

    Columns: user_id, mission_id, unit_id, category, arrival_on, requirement_id, course_id,
    due_days, expires_at, status. Filter `mission_ids` (an iterable) to scope it; wrap it as a
    subquery to group and count in SQL.
    """
    on = on or date.today()
    moment = moment or datetime.now(timezone.utc)
    deployment = current_deployments(on)
    certificate = Certificate.__table__.alias("valid_certificate")
    days_in = days_since(deployment.c.arrival_on, literal(on))
    status = case(
        (certificate.c.expires_at > moment, "cleared"),
        (certificate.c.id.is_not(None), "expired"),
        (days_in <= Requirement.due_days, "due"),
        else_="overdue",
    ).label("status")
    query = (
        select(User.id.label("user_id"), deployment.c.mission_id, deployment.c.unit_id, User.category,
               deployment.c.arrival_on, Requirement.id.label("requirement_id"), Requirement.course_id,
               Requirement.due_days, certificate.c.expires_at, status)
        .select_from(User)
        .join(deployment, deployment.c.user_id == User.id)
        .join(Mission, Mission.id == deployment.c.mission_id)
        .join(Requirement, and_(
            Requirement.is_active.is_(True),
            or_(Requirement.mission_id == deployment.c.mission_id, Requirement.mission_kind == Mission.kind),
            category_matches(Requirement.categories, User.category)))
        .outerjoin(certificate, and_(certificate.c.user_id == User.id, certificate.c.course_id == Requirement.course_id,
                                     certificate.c.status == "valid"))
        .where(User.is_active.is_(True))
    )
    if mission_ids is not None:
        query = query.where(deployment.c.mission_id.in_(list(mission_ids)))
    return query


def readiness_counts(on: date | None = None, *, moment: datetime | None = None, mission_ids=None, by=("requirement_id",)):
    """Counts per status grouped by the given columns of readiness_rows (all in SQL)."""
    rows = readiness_rows(on, moment=moment, mission_ids=mission_ids).subquery("readiness")
    keys = [rows.c[name] for name in by]
    return select(*keys, rows.c.status, func.count().label("people")).group_by(*keys, rows.c.status)


def requirements_for(user: User, on: date | None = None) -> list[tuple[Requirement, Readiness]]:
    """My training: the requirements that apply to `user` now, each with its readiness."""
    on = on or date.today()
    deployment = user.current_deployment(on)
    if deployment is None or not user.is_active:
        return []
    mission = deployment.mission
    requirements = [requirement for requirement in db.session.scalars(
        _requirements_statement(), {"mission_id": mission.id, "mission_kind": mission.kind})
        if user.category in requirement.category_list]
    moment = datetime.now(timezone.utc) if on == date.today() else datetime.combine(on, datetime.min.time(), timezone.utc)
    expiry = dict(db.session.execute(_expiry_statement(), {
        "user_id": user.id, "course_ids": sorted({r.course_id for r in requirements})}).all()) if requirements else {}
    return [(requirement, readiness_of(deployment.arrival_on, requirement.due_days, expiry.get(requirement.course_id),
                                       moment, requirement.course.renewal_window_days)) for requirement in requirements]


@cache
def _requirements_statement():
    # Built once per process (My training and the course page run it for every request).
    return (select(Requirement).options(joinedload(Requirement.course))
            .where(Requirement.is_active.is_(True),
                   or_(Requirement.mission_id == bindparam("mission_id"),
                       Requirement.mission_kind == bindparam("mission_kind")))
            .order_by(Requirement.id))


@cache
def _expiry_statement():
    return select(Certificate.course_id, Certificate.expires_at).where(
        Certificate.user_id == bindparam("user_id"),
        Certificate.course_id.in_(bindparam("course_ids", expanding=True)), Certificate.status == "valid")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
