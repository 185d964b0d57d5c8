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

What counts as the certificate (issue #18): a requirement says what satisfies it
(Requirement.satisfied_by): "either" takes any certificate of the course; "online" or "in_person"
only one earned that way (Certificate.delivery_mode: every completion that earned it online, or
every one in person; a "mixed" certificate satisfies "either" only). A certificate of another kind
counts as none. An outside certificate recognised for the requirement (recognition.models) clears
it too, until the recognition's own expiry, when no counted certificate is current:
- cleared, `cleared_by` "recognised" ("cleared (recognised)": a flag, not a fifth status, so every
  count of cleared people includes it); otherwise `cleared_by` is the certificate's delivery mode;
- expired: the counted certificate or the recognition expired, neither current (expired_on: the
  later of the two);
- the renewal window applies to whichever clears it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cache

from sqlalchemy import Date, Integer, and_, bindparam, case, func, literal, null, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from accounts.models import Deployment, Mission, User
from accounts.services import current_deployments
from certificates.models import Certificate
from core.reads import labelled, rows, tracked_from
from recognition.models import OutsideCertificate
from training.models import Course, Requirement

# What a cleared person was cleared by (Readiness.cleared_by, the `cleared_by` column of the SQL
# rows): a certificate's delivery mode, or a recognised outside certificate. Issue #18.
CLEARED_BY = ("online", "in_person", "mixed", "recognised")
RECOGNISED = "recognised"


@dataclass(frozen=True)
class Readiness:
    status: str
    due_on: date
    expired_on: date | None = None
    renew_by: date | None = None  # cleared, inside the renewal window: the day the certificate expires
    cleared_by: str | None = None  # cleared: one of CLEARED_BY
    cleared_until: date | None = None  # cleared: the day the certificate or the recognition expires

    @property
    def renewal_due(self) -> bool:
        return self.renew_by is not None

    @property
    def recognised(self) -> bool:
        """Cleared (recognised): by an outside certificate, not by this platform's own."""
        return self.cleared_by == RECOGNISED


def certificate_counts(satisfied_by: str, delivery_mode: str) -> bool:
    """A certificate earned this way (Certificate.delivery_mode) satisfies a requirement asking for `satisfied_by`."""
    return satisfied_by == "either" or delivery_mode == satisfied_by


def renewal_open(expires_at: datetime, renewal_window_days: int, moment: datetime) -> bool:
    """The renewal window has opened: the same rule as certificates.services.needs_new_certificate."""
    return moment >= _aware(expires_at) - timedelta(days=renewal_window_days)


def readiness_of(arrival_on: date, due_days: int, certificate_expires_at: datetime | None,
                 moment: datetime, renewal_window_days: int | None = None, *, certificate_mode: str = "online",
                 recognised_expires_at: datetime | None = None) -> Readiness:
    """The rule for one person and requirement. `certificate_expires_at` is the expiry of the
    person's valid-status certificate for the course that the requirement counts (None when they
    hold none; see certificate_counts), `certificate_mode` how it was earned, and
    `recognised_expires_at` the end of an outside certificate recognised for the requirement."""
    due_on = arrival_on + timedelta(days=due_days)
    held = [(_aware(expires), mode) for expires, mode in ((certificate_expires_at, certificate_mode),
                                                            (recognised_expires_at, RECOGNISED)) if expires is not None]
    current = next(((expires, mode) for expires, mode in held if expires > moment), None)
    if current is not None:
        expires, mode = current
        renew_by = expires.date() if renewal_window_days is not None and renewal_open(
            expires, renewal_window_days, moment) else None
        return Readiness("cleared", due_on, renew_by=renew_by, cleared_by=mode, cleared_until=expires.date())
    if held:
        return Readiness("expired", due_on, max(expires for expires, _mode in held).date())
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


def category_matches(categories_column, category_column) -> ColumnElement:
    return (literal(",") + categories_column + literal(",")).like(literal("%,") + category_column + literal(",%"))


def counted_certificate(certificate, satisfied_by) -> ColumnElement:
    """certificate_counts in SQL: `satisfied_by` is the requirement's column, or a constant string."""
    if isinstance(satisfied_by, str):
        return true() if satisfied_by == "either" else certificate.c.delivery_mode == satisfied_by
    return or_(satisfied_by == "either", certificate.c.delivery_mode == satisfied_by)


def recognition_in_force(outside, user_id, requirement_id) -> ColumnElement:
    """The join to the person's recognised outside certificate for the requirement (at most one)."""
    return and_(outside.c.user_id == user_id, outside.c.requirement_id == requirement_id, outside.c.removed_at.is_(None))


def status_case(certificate, outside, moment: datetime, is_due: ColumnElement):
    """The readiness CASE over the joined (counted) certificate and, when joined, the recognition."""
    if outside is None:
        return case((certificate.c.expires_at > moment, "cleared"), (certificate.c.id.is_not(None), "expired"),
                    (is_due, "due"), else_="overdue")
    return case((certificate.c.expires_at > moment, "cleared"), (outside.c.expires_at > moment, "cleared"),
                (or_(certificate.c.id.is_not(None), outside.c.id.is_not(None)), "expired"),
                (is_due, "due"), else_="overdue")


def cleared_by_case(certificate, outside, moment: datetime):
    """Readiness.cleared_by in SQL: the certificate's delivery mode, "recognised", or NULL when not cleared."""
    whens = [(certificate.c.expires_at > moment, certificate.c.delivery_mode)]
    if outside is not None:
        whens.append((outside.c.expires_at > moment, literal(RECOGNISED)))
    return case(*whens, else_=null())


def expiry_case(certificate, outside, moment: datetime):
    """The expiry that matters: of what clears the person, else the later of the expired ones."""
    if outside is None:
        return certificate.c.expires_at
    return case((certificate.c.expires_at > moment, certificate.c.expires_at),
                (outside.c.expires_at > moment, outside.c.expires_at),
                (outside.c.id.is_(None), certificate.c.expires_at),
                (certificate.c.id.is_(None), outside.c.expires_at),
                (certificate.c.expires_at >= outside.c.expires_at, certificate.c.expires_at),
                else_=outside.c.expires_at)


def readiness_rows(on: date | None = None, *, moment: datetime | None = None, mission_ids=None):
    """A select() of person x requirement with its status, for everyone currently deployed.

    Columns: user_id, mission_id, unit_id, category, arrival_on, requirement_id, course_id,
    due_days, expires_at, status, cleared_by. Filter `mission_ids` (an iterable) to scope it; wrap
    it as a subquery to group and count in SQL.
    """
    on = on or date.today()
    moment = moment or datetime.now(timezone.utc)
    deployment = current_deployments(on)
    certificate = Certificate.__table__.alias("valid_certificate")
    outside = OutsideCertificate.__table__.alias("recognised")
    days_in = days_since(deployment.c.arrival_on, literal(on))
    status = status_case(certificate, outside, moment, days_in <= Requirement.due_days).label("status")
    query = (
        select(User.id.label("user_id"), deployment.c.mission_id, deployment.c.unit_id, User.category,
               deployment.c.arrival_on, Requirement.id.label("requirement_id"), Requirement.course_id,
               Requirement.due_days, expiry_case(certificate, outside, moment).label("expires_at"), status,
               cleared_by_case(certificate, outside, moment).label("cleared_by"))
        .select_from(User)
        .join(deployment, deployment.c.user_id == User.id)
        .join(Mission, Mission.id == deployment.c.mission_id)
        .join(Requirement, and_(
            Requirement.is_active.is_(True),
            or_(Requirement.mission_id == deployment.c.mission_id, Requirement.mission_kind == Mission.kind),
            category_matches(Requirement.categories, User.category)))
        .outerjoin(certificate, and_(certificate.c.user_id == User.id, certificate.c.course_id == Requirement.course_id,
                                     certificate.c.status == "valid",
                                     counted_certificate(certificate, Requirement.satisfied_by)))
        .outerjoin(outside, recognition_in_force(outside, User.id, Requirement.id))
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
    if not user.is_active:
        return []
    moment = datetime.now(timezone.utc) if on == date.today() else datetime.combine(on, datetime.min.time(), timezone.utc)
    result = []
    # The requirements of the person's current deployment's mission with their courses, the
    # person's valid certificate of each course and the recognition in force for each
    # requirement, in one statement of plain rows (core.reads): My training and the course page
    # ask on every visit, and loading them through the ORM (the deployment too) cost as much as
    # the rest of the readiness together. No row: no current deployment, or nothing required.
    for row in rows(_requirements_statement(), {"user_id": user.id, "on": on}):
        values = row._mapping
        requirement = tracked_from(Requirement, values, "requirement_")
        if user.category not in requirement.category_list:
            continue
        if "course" not in requirement.__dict__:  # as the relationship would load it
            set_committed_value(requirement, "course", tracked_from(Course, values, "course_"))
        expires_at, mode = values["certificate_expires_at"], values["certificate_mode"] or "online"
        if expires_at is not None and not certificate_counts(requirement.satisfied_by, mode):
            expires_at = None
        result.append((requirement, readiness_of(
            values["arrival_on"], requirement.due_days, expires_at, moment, requirement.course.renewal_window_days,
            certificate_mode=mode, recognised_expires_at=values["recognised_expires_at"])))
    return result


@cache
def _requirements_statement():
    # Built once per process. The current deployment is User.current_deployment()'s: the first,
    # newest arrival first, not yet departed on the day. A person holds at most one valid
    # certificate of a course (a new one supersedes the old) and one recognition in force for a
    # requirement (a unique index); the LIMIT only makes the choice certain should that ever not hold.
    user_id = bindparam("user_id")
    on = bindparam("on", type_=Date)
    # correlate(None): its own deployments, not the outer query's row.
    current = (select(Deployment.id).where(Deployment.user_id == user_id, Deployment.current_clause(on))
               .order_by(Deployment.arrival_on.desc(), Deployment.id.desc()).limit(1)
               .correlate(None).scalar_subquery())
    valid = (select(Certificate.expires_at, Certificate.delivery_mode)
             .where(Certificate.user_id == user_id, Certificate.course_id == Requirement.course_id,
                    Certificate.status == "valid")
             .order_by(Certificate.expires_at.desc()).limit(1))
    recognised = (select(func.max(OutsideCertificate.expires_at))
                  .where(OutsideCertificate.user_id == user_id, OutsideCertificate.removed_at.is_(None),
                         OutsideCertificate.requirement_id == Requirement.id))
    return (select(*labelled(Requirement, "requirement_"), *labelled(Course, "course_"),
                   Deployment.arrival_on.label("arrival_on"),
                   valid.with_only_columns(Certificate.expires_at).scalar_subquery().label("certificate_expires_at"),
                   valid.with_only_columns(Certificate.delivery_mode).scalar_subquery().label("certificate_mode"),
                   recognised.scalar_subquery().label("recognised_expires_at"))
            .select_from(Deployment)
            .join(Mission, Mission.id == Deployment.mission_id)
            .join(Requirement, or_(Requirement.mission_id == Mission.id, Requirement.mission_kind == Mission.kind))
            .join(Course, Course.id == Requirement.course_id)
            .where(Deployment.id == current, Requirement.is_active.is_(True))
            .order_by(Requirement.id))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
