"""Readiness rows for reports: the rule of readiness.rule.readiness_rows, written so that a
mission's 20,000 people cost index lookups rather than a ranking of every deployment.

readiness_rows finds each person's current deployment with a window function over all open
deployments (about 100,000 rows), whatever the mission asked for. Here the same deployment is
found per person with NOT EXISTS (no later open deployment of theirs), starting from the
mission's own deployments in user order, so the lookups into users, certificates and
completions that follow walk their indexes in order too (a covering index on
deployments(mission_id, user_id, ...) gives that order). Everyone at once on PostgreSQL (the HQ
view) takes each person's latest open deployment with DISTINCT ON instead. Same columns, same
statuses: tests/test_readiness.py checks them against the rule on generated data, on both engines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import Date, Integer, and_, bindparam, case, func, literal, null, or_, select, true, union_all
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.sql.elements import ClauseElement

from accounts.models import CATEGORIES, Deployment, Mission, User
from certificates.models import Certificate
from extensions import db
from readiness.rule import (
    category_matches,
    cleared_by_case,
    counted_certificate,
    days_since,
    expiry_case,
    recognition_in_force,
    status_case,
)
from recognition.models import OutsideCertificate
from training.models import Requirement

FAR_FUTURE = date(9999, 12, 31)
# The day and the instant as bound parameters, for statements built once per process and shape
# (reports.mission_rows, reports.queries.hq_figures): their values come with each execution.
ON = bindparam("on", type_=Date)
AT = bindparam("at", type_=Certificate.__table__.c.expires_at.type)


@dataclass(frozen=True)
class RequirementTerms:
    """What requirement_rows and requirement_counts read of a requirement, hashable: a statement
    built from them is kept per process (building and compiling it took a millisecond or more of
    every dashboard request, issue #14), and a changed requirement makes a new one."""

    id: int
    course_id: int
    due_days: int
    satisfied_by: str
    category_list: tuple[str, ...]

    @classmethod
    def of(cls, requirement: Requirement) -> RequirementTerms:
        return cls(requirement.id, requirement.course_id, requirement.due_days, requirement.satisfied_by,
                   tuple(requirement.category_list))


def bound(value):
    """`value` as a bound literal, or the bound parameter (ON, AT, ...) it already is."""
    return value if isinstance(value, ClauseElement) else literal(value)


def is_open(deployment, on: date):
    """Open on `on`: no departure, or departing on or after it. (Written with COALESCE so the
    mission's deployments are read in user order from one index range, not two.)"""
    return func.coalesce(deployment.c.departure_on, FAR_FUTURE) >= on


def current_people(on: date, *, mission_ids=None):
    """One row per active person whose current deployment is in `mission_ids` (all when None):
    user_id, mission_id, unit_id, arrival_on, category."""
    d = Deployment.__table__.alias("d")
    if mission_ids is None and db.session.get_bind().dialect.name == "postgresql":
        # Everyone at once (the HQ view): PostgreSQL sorts the open deployments by person and keeps
        # each one's latest, where looking for a later deployment of each one hashed them all twice:
        # the HQ statement at 100,000 people took about a tenth less (p50 333 -> 283 and 303 -> 264 ms,
        # old and new alternating; the same rows).
        # SQLite has no DISTINCT ON; a mission's own people are found from its index, as below.
        return (select(d.c.user_id, d.c.mission_id, d.c.unit_id, d.c.arrival_on, User.category)
                .select_from(d).join(User, User.id == d.c.user_id)
                .where(is_open(d, on), User.is_active.is_(True))
                .ext(distinct_on(d.c.user_id)).order_by(d.c.user_id, d.c.arrival_on.desc(), d.c.id.desc()))
    later = Deployment.__table__.alias("later")
    newer = select(later.c.id).where(
        later.c.user_id == d.c.user_id, later.c.id != d.c.id, is_open(later, on),
        or_(later.c.arrival_on > d.c.arrival_on, and_(later.c.arrival_on == d.c.arrival_on, later.c.id > d.c.id))) \
        .with_hint(later, "INDEXED BY ix_deployments_user_open", "sqlite").exists()
    query = (select(d.c.user_id, d.c.mission_id, d.c.unit_id, d.c.arrival_on, User.category)
             .select_from(d).join(User, User.id == d.c.user_id)
             .where(is_open(d, on), ~newer, User.is_active.is_(True)))
    # SQLite without ANALYZE statistics picks the narrowest index and then reads every row;
    # these hints keep it on the covering indexes, in user order (PostgreSQL plans by itself).
    if mission_ids is None:
        return query.with_hint(d, "INDEXED BY ix_deployments_user_open", "sqlite")
    ids = list(mission_ids)
    return query.where(d.c.mission_id == ids[0] if len(ids) == 1 else d.c.mission_id.in_(ids)) \
        .with_hint(d, "INDEXED BY ix_deployments_mission_user", "sqlite")


def status_of(people, certificate, on: date, moment: datetime, due_days=Requirement.due_days, outside=None):
    """The readiness CASE of readiness.rule.readiness_rows, over these columns (`outside`: the
    joined recognition, None when none is joined)."""
    return status_case(certificate, outside, moment, days_since(people.c.arrival_on, bound(on)) <= due_days)


def readiness_from(people, on: date, moment: datetime, *, requirement_id: int | None = None):
    """person x requirement with status, from a `current_people` subquery or CTE. Columns:
    user_id, mission_id, unit_id, category, arrival_on, requirement_id, course_id, due_days,
    expires_at, status, cleared_by (as readiness_rows)."""
    certificate = Certificate.__table__.alias("valid_certificate")
    outside = OutsideCertificate.__table__.alias("recognised")
    query = (
        select(people.c.user_id, people.c.mission_id, people.c.unit_id, people.c.category, people.c.arrival_on,
               Requirement.id.label("requirement_id"), Requirement.course_id, Requirement.due_days,
               expiry_case(certificate, outside, moment).label("expires_at"),
               status_of(people, certificate, on, moment, outside=outside).label("status"),
               cleared_by_case(certificate, outside, moment).label("cleared_by"))
        .select_from(people)
        .join(Mission, Mission.id == people.c.mission_id)
        .join(Requirement, and_(
            Requirement.is_active.is_(True),
            or_(Requirement.mission_id == people.c.mission_id, Requirement.mission_kind == Mission.kind),
            category_matches(Requirement.categories, people.c.category)))
        .outerjoin(certificate, and_(certificate.c.user_id == people.c.user_id,
                                     certificate.c.course_id == Requirement.course_id,
                                     certificate.c.status == "valid",
                                     counted_certificate(certificate, Requirement.satisfied_by)))
        .outerjoin(outside, recognition_in_force(outside, people.c.user_id, Requirement.id))
    )
    if requirement_id is not None:
        query = query.where(Requirement.id == requirement_id)
    return query


def readiness(on: date, moment: datetime, *, mission_ids=None, requirement_id: int | None = None):
    """readiness_rows' rows for the people deployed now in `mission_ids` (all when None)."""
    people = current_people(on, mission_ids=mission_ids).subquery("people")
    return readiness_from(people, on, moment, requirement_id=requirement_id)


def requirement_rows(people, on: date, moment: datetime, requirements: list[Requirement],
                     missions_of: dict[int, list[int]] | None = None, *, recognised: set[int] | None = None):
    """readiness_from when the requirements are already known in Python: one SELECT per
    requirement with its course, due days and categories as constants, so no person is joined to
    the missions and requirements tables or matched against the category list with LIKE. For one
    mission, `requirements` are those that apply there (reports.dashboard.applicable_and_recognised);
    for several, `missions_of` gives each requirement's missions (its own, or every mission of its
    kind). Same columns and rows as readiness_from (tests/test_reports_dashboard.py, test_reports_hq.py).
    Recognised outside certificates are joined only for the requirements that have any (one small
    look first; `recognised`, when the caller has looked already), so a requirement nobody is
    recognised for costs what it did before them. For a statement built once, `on` and `moment`
    may be ON and AT and `requirements` RequirementTerms (reports.mission_rows)."""
    parts = []
    if recognised is None:
        recognised = recognised_requirements(requirements)
    for requirement in requirements:
        if missions_of is not None and not missions_of.get(requirement.id):
            continue
        certificate = _alias(Certificate.__table__, f"valid_certificate_{requirement.id}")
        outside = _alias(OutsideCertificate.__table__, f"recognised_{requirement.id}") \
            if requirement.id in recognised else None
        due_days = literal(requirement.due_days, Integer)
        query = (
            select(people.c.user_id, people.c.mission_id, people.c.unit_id, people.c.category, people.c.arrival_on,
                   literal(requirement.id, Integer).label("requirement_id"),
                   literal(requirement.course_id, Integer).label("course_id"),
                   due_days.label("due_days"), expiry_case(certificate, outside, moment).label("expires_at"),
                   status_of(people, certificate, on, moment, due_days, outside).label("status"),
                   cleared_by_case(certificate, outside, moment).label("cleared_by"))
            .select_from(people)
            .outerjoin(certificate, and_(certificate.c.user_id == people.c.user_id,
                                         certificate.c.course_id == requirement.course_id,
                                         certificate.c.status == "valid",
                                         counted_certificate(certificate, requirement.satisfied_by)))
            .where(in_scope(people, requirement, missions_of)))
        if outside is not None:
            query = query.outerjoin(outside, recognition_in_force(outside, people.c.user_id, requirement.id))
        parts.append(query)
    if not parts:
        return None  # no requirement applies to anyone here
    return parts[0] if len(parts) == 1 else union_all(*parts)


@lru_cache(maxsize=512)
def _alias(table, name: str):
    """The same alias each time: building a new one's column collection took about 0.3 ms a
    requirement on every dashboard request (issue #14)."""
    return table.alias(name)


def recognised_requirements(requirements: list[Requirement]) -> set[int]:
    """The ids of these requirements someone holds a recognised outside certificate for (one small look)."""
    if not requirements:
        return set()
    return set(db.session.scalars(_recognised(), {"ids": [r.id for r in requirements]}))


@lru_cache(maxsize=1)
def _recognised():
    """Built once per process; parameter ids (a list)."""
    return select(OutsideCertificate.requirement_id).distinct().where(
        OutsideCertificate.removed_at.is_(None),
        OutsideCertificate.requirement_id.in_(bindparam("ids", expanding=True, type_=Integer)))


def requirement_counts(people, on: date, moment: datetime, requirements: list[Requirement],
                       missions_of: dict[int, list[int]], *, recognised: set[int] | None = None):
    """requirement_rows counted, for many missions at once: a SELECT of (mission_id, status,
    cleared_by, people) whose rows, added up per (mission_id, status, cleared_by), give the number
    of requirement_rows in each (a group can come in several rows). None when no requirement applies.

    requirement_rows picks each requirement's people before joining their certificates. Read from
    a materialised CTE, whose columns have no statistics, that pick is a guess (a fixed share per
    listed mission): PostgreSQL expected 859 of the HQ view's people where there are 15,334 and
    looked up their certificates one at a time. Here everyone is joined to their certificates once
    per course and way of earning it, with nothing picked first, and grouped by what the rule reads:
    mission, category, the certificate's state and mode, and the smallest due period (of the
    requirements') the person is still within. A few hundred groups; each requirement adds up
    those of its missions and categories. Requirements someone holds a recognised outside
    certificate for (rare) keep requirement_rows, grouped, since the recognition is per person.
    Each further course or way of earning it costs one more join: of everyone when its
    requirements apply in every mission that has one, else of the people of their missions.
    `on` and `moment` may be ON and AT, `requirements` RequirementTerms, and `recognised` the
    requirements someone is recognised for when the caller has looked already."""
    applicable = [r for r in requirements if missions_of.get(r.id)]
    if recognised is None:
        recognised = recognised_requirements(applicable)
    parts = []
    plain = [r for r in applicable if r.id not in recognised]
    periods = sorted({r.due_days for r in plain})
    days_in = days_since(people.c.arrival_on, bound(on))
    # The smallest period the person is still within (NULL: past them all). A requirement with
    # `due_days` finds the person due exactly when that period is at most its own.
    within = case(*((days_in <= days, literal(days, Integer)) for days in periods), else_=null()) if periods else null()
    everywhere = set().union(*(missions_of[r.id] for r in plain))
    for n, (course_id, satisfied_by) in enumerate(sorted({(r.course_id, r.satisfied_by) for r in plain})):
        alike = [r for r in plain if (r.course_id, r.satisfied_by) == (course_id, satisfied_by)]
        # Only the missions (and categories) these requirements apply to, when that is not all of
        # them: a requirement of its own (one mission's police, say) then costs its people, not a
        # join of everyone. The planner guesses that share low, which suits a few missions.
        missions = set().union(*(missions_of[r.id] for r in alike))
        categories = {c for r in alike for c in r.category_list}
        picked = ([people.c.mission_id.in_(sorted(missions))] if missions < everywhere else []) + \
            ([] if any(_covers_every_category(r) for r in alike) else [people.c.category.in_(sorted(categories))])
        by_category = category_keys(people, alike)
        certificate = Certificate.__table__.alias(f"held_certificate_{n}")
        # NULL: no counted certificate; true: it is current; false: it has expired (expires_at is never NULL).
        current = (certificate.c.expires_at > moment).label("current")
        groups = (select(people.c.mission_id, *by_category, within.label("within_days"), current,
                         certificate.c.delivery_mode, func.count().label("people"))
                  .select_from(people)
                  .outerjoin(certificate, and_(certificate.c.user_id == people.c.user_id,
                                               certificate.c.course_id == course_id, certificate.c.status == "valid",
                                               counted_certificate(certificate, satisfied_by)))
                  .where(*picked)
                  .group_by(people.c.mission_id, *by_category, within, current, certificate.c.delivery_mode)
                  .cte(f"held_{n}").prefix_with("MATERIALIZED"))
        for requirement in alike:
            # status_case and cleared_by_case, on a group.
            status = case((groups.c.current, "cleared"), (groups.c.current.is_not(None), "expired"),
                          (groups.c.within_days <= requirement.due_days, "due"), else_="overdue")
            cleared_by = case((groups.c.current, groups.c.delivery_mode), else_=null())
            parts.append(select(groups.c.mission_id, status.label("status"), cleared_by.label("cleared_by"),
                                groups.c.people).where(in_scope(groups, requirement, missions_of)))
    others = [r for r in applicable if r.id in recognised]
    if others:
        rows = requirement_rows(people, on, moment, others, missions_of, recognised=recognised).subquery("recognised_rows")
        parts.append(select(rows.c.mission_id, rows.c.status, rows.c.cleared_by, func.count().label("people"))
                     .group_by(rows.c.mission_id, rows.c.status, rows.c.cleared_by))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else union_all(*parts)


def in_scope(people, requirement: Requirement, missions_of: dict[int, list[int]] | None):
    """The rows (of people, or of groups with mission_id and category) a requirement applies to:
    its categories, and its missions when `missions_of` is given."""
    return and_(true() if _covers_every_category(requirement) else people.c.category.in_(requirement.category_list),
                people.c.mission_id.in_(missions_of[requirement.id]) if missions_of is not None else true())


def category_keys(people, requirements: list[Requirement]) -> list:
    """[people.c.category] when some of these requirements pick categories, else none: a group
    key for rows that in_scope later picks from. Each key widens the groups, and the planner's
    (unavoidably large) guess of their number times their width decides whether PostgreSQL groups
    in memory or sorts every row on disk."""
    return [people.c.category] if any(not _covers_every_category(r) for r in requirements) else []


def _covers_every_category(requirement: Requirement) -> bool:
    """A requirement for every category needs no condition on it (the column allows no other), and
    should have none: PostgreSQL would count the IN list as a filter and plan for a few rows."""
    return set(requirement.category_list) >= set(CATEGORIES)
