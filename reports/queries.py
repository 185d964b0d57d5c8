"""The SQL behind the dashboards. Every count is a GROUP BY in the database; Python receives the
grouped rows (a few dozen) and the one page of names a table shows.

A mission dashboard first puts its readiness rows in temporary tables (reports.mission_rows); its
figures are then ONE statement, each figure a GROUP BY over those rows, glued with UNION ALL into
rows of (figure, number, text, status, people), and each list of names one more statement, paged.
The HQ view computes its rows as a CTE inside its one statement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import bindparam
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import CompoundSelect

from accounts.activation import never_signed_in_counts
from accounts.models import Mission, Unit, User
from certificates.models import Certificate
from inperson.models import TrainingSession
from readiness.report_sql import (
    AT,
    ON,
    RequirementTerms,
    category_keys,
    current_people,
    in_scope,
    recognised_requirements,
    requirement_counts,
)
from reports.models import Reminder
from training.models import Completion, Module

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

    @property
    def trend_start(self) -> date:
        """First day of the oldest of the TREND_WEEKS weeks; the last week ends today."""
        return self.on - timedelta(days=7 * TREND_WEEKS - 1)

    def week_starts(self) -> list[date]:
        return [self.trend_start + timedelta(days=7 * n) for n in range(TREND_WEEKS)]

    @property
    def arrivals_since(self) -> date:
        return self.on - timedelta(days=ARRIVED_WITHIN_DAYS)


def _start_of(day: date, moment: Moment) -> datetime:
    return datetime.combine(day, time(), moment.at.tzinfo)


def constant(value: int | str):
    """A constant of a statement built once per process, written into its SQL rather than bound:
    each bound value is processed again on every execution, and the dashboard's figures had some
    ninety of them (figure names, module ids and bits), all fixed for the statement's shape.
    Only integers and our own names (letters, digits and _) are accepted, so nothing needs quoting."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(value)
    if isinstance(value, int):
        return literal_column(str(value), BigInteger if abs(value) > 2**31 - 1 else Integer)
    if not (value.isascii() and value.replace("_", "").isalnum()):
        raise ValueError(value)
    return literal_column(f"'{value}'", String)


def _figure(kind: str, number=None, text=None, status=None, people=None):
    """The common columns of the UNION ALL: (figure, number, text, status, people)."""
    return (constant(kind).label("figure"),
            cast(number if number is not None else null(), Integer).label("number"),
            cast(text if text is not None else null(), String).label("text"),
            cast(status if status is not None else null(), String).label("status"),
            people.label("people"))


def mission_figures(moment: Moment, people, rows, requirement_id: int | None, module_ids: list[int],
                    renewal_windows: dict[int, int] | None = None, *, mission_id: int, sessions_since: date,
                    getting_in_on: date | None = None) -> tuple[CompoundSelect, dict]:
    """Every number of a mission's dashboard in one statement, over the request's PEOPLE and ROWS
    (reports.mission_rows), as (statement, parameters). The statement is built once per process for
    each shape (requirement, modules, courses with a renewal window): building its SQL expression
    took a tenth of the page's own time. The moment's days and instants are its parameters. Rows
    (figure, number, text, status, people):

    - people: people deployed now;
    - requirement: number = requirement id, status, people;
    - cleared_by: number = requirement id, text = what cleared them (readiness.rule.CLEARED_BY), people;
    - renewal: number = requirement id, people cleared whose course's renewal window has opened
      (`renewal_windows`: days per course id), a sub-count of its cleared;
    - unit / category (for `requirement_id`): number = unit id (0: none) / text = category, status, people;
    - arrivals: status, people (arrived in the last 30 days, not in the future);
    - module: number = module id (of `module_ids`), people who completed it (at any time);
    - week: number = week (0 the oldest), people = certificates of the course issued that week;
    - sessions: number = year * 100 + month, people = in-person sessions held in the mission that
      month, from `sessions_since` to the moment's day (months with none have no row);
    - deployed / never (when `getting_in_on` is given: the page's "Getting people in"): number = unit
      id (NULL: no unit), people deployed in the mission on that day / of whom never signed in
      (accounts.activation.never_signed_in_counts).

    The last two were statements of their own: asked here, the page sends two fewer (each cost
    about as much Python as its SQL)."""
    windows = renewal_windows or {}
    statement = _mission_figures(people, rows, requirement_id, tuple(module_ids), tuple(sorted(windows)), MASK_BITS,
                                 getting_in=getting_in_on is not None)
    parameters = {"arrivals_since": moment.arrivals_since, "on": moment.on, "trend_start": moment.trend_start,
                  "trend_from": _start_of(moment.trend_start, moment), "at": moment.at,
                  "mission_id": mission_id, "sessions_since": sessions_since, "getting_in_on": getting_in_on,
                  **{f"renewal_{course_id}": moment.at + timedelta(days=days) for course_id, days in windows.items()}}
    return statement, parameters


@lru_cache(maxsize=256)
def _mission_figures(people, rows, requirement_id: int | None, module_ids: tuple[int, ...],
                     renewal_courses: tuple[int, ...], mask_bits: int, *, getting_in: bool = False) -> CompoundSelect:
    # One pass over the rows groups them by everything the breakdowns need (a few hundred groups);
    # each figure then adds up groups, not people.
    arrived = and_(rows.c.arrival_on >= bindparam("arrivals_since", type_=Date),
                   rows.c.arrival_on <= bindparam("on", type_=Date))
    g = (select(rows.c.requirement_id, func.coalesce(rows.c.unit_id, constant(0)).label("unit_id"), rows.c.category,
                rows.c.status, rows.c.cleared_by, case((arrived, constant(1)), else_=constant(0)).label("arrived"),
                func.count().label("people"))
         .group_by(rows.c.requirement_id, rows.c.unit_id, rows.c.category, rows.c.status, rows.c.cleared_by, arrived)
         .cte("grouped").prefix_with("MATERIALIZED"))
    total = cast(func.sum(g.c.people), Integer)
    parts = [
        select(*_figure("people", people=func.count())).select_from(people),
        select(*_figure("requirement", g.c.requirement_id, status=g.c.status, people=total))
        .group_by(g.c.requirement_id, g.c.status),
        # The cleared split by what cleared them: online, in person, mixed or recognised (issue #18).
        select(*_figure("cleared_by", g.c.requirement_id, text=g.c.cleared_by, people=total))
        .where(g.c.status == constant("cleared")).group_by(g.c.requirement_id, g.c.cleared_by),
    ]
    if renewal_courses:
        parts.append(_renewal_part(rows, renewal_courses))
    if requirement_id is not None:
        mine, selected_rows = g.c.requirement_id == constant(requirement_id), rows.c.requirement_id == constant(requirement_id)
        parts += [
            select(*_figure("unit", g.c.unit_id, status=g.c.status, people=total))
            .where(mine).group_by(g.c.unit_id, g.c.status),
            select(*_figure("category", text=g.c.category, status=g.c.status, people=total))
            .where(mine).group_by(g.c.category, g.c.status),
            select(*_figure("arrivals", status=g.c.status, people=total))
            .where(mine, g.c.arrived == constant(1)).group_by(g.c.status),
            *_module_parts(rows, selected_rows, list(module_ids), mask_bits),
            _week_part(rows, selected_rows),
        ]
    parts.append(_sessions_part())
    if getting_in:
        parts += _getting_in_parts()
    return union_all(*parts)


def _sessions_part():
    """In-person sessions held in the mission (parameter mission_id) per month, from sessions_since to on."""
    held_on = TrainingSession.held_on
    month = extract("year", held_on) * constant(100) + extract("month", held_on)
    return (select(*_figure("sessions", month, people=func.count(TrainingSession.id)))
            .where(TrainingSession.mission_id == bindparam("mission_id", type_=Integer),
                   held_on >= bindparam("sessions_since", type_=Date), held_on <= bindparam("on", type_=Date))
            .group_by(month))


def _getting_in_parts():
    """People deployed in the mission (mission_id) on getting_in_on, and of them who never signed in,
    per unit: one pass (a CTE), two figures."""
    counts = (never_signed_in_counts(bindparam("mission_id", type_=Integer), bindparam("getting_in_on", type_=Date))
              .cte("getting_in").prefix_with("MATERIALIZED"))
    return [select(*_figure("deployed", counts.c.unit_id, people=counts.c.people)),
            select(*_figure("never", counts.c.unit_id, people=counts.c.never))]


def _renewal_part(rows, renewal_courses: tuple[int, ...]):
    """Renewal due: cleared, and the certificate expires within its course's renewal window (the
    parameter renewal_<course id>: now + the window's days, a constant per course, so both engines agree)."""
    opens_at = case({constant(course_id): bindparam(f"renewal_{course_id}", type_=rows.c.expires_at.type)
                     for course_id in renewal_courses}, value=rows.c.course_id)
    return (select(*_figure("renewal", rows.c.requirement_id, people=func.count()))
            .where(rows.c.status == constant("cleared"), rows.c.expires_at <= opens_at)
            .group_by(rows.c.requirement_id))


MASK_BITS = 62  # a signed 64-bit integer's bits, less the sign and one to spare


def _module_parts(rows, mine, module_ids: list[int], mask_bits: int):
    """People who completed each module. Each person's completions become one number with a bit
    per module (a single look into their completions, duplicates from renewals counted once),
    people are grouped by that number (a few hundred groups at most), and each module's count is
    the sum over the groups that have its bit: about half the work of counting distinct people
    per module over every completion row."""
    if not module_ids:
        return []
    if len(module_ids) > mask_bits:
        return [_module_part_by_join(rows, mine, module_ids)]
    completion = Completion.__table__.alias("completion")
    bit = case({constant(module_id): constant(1 << n) for n, module_id in enumerate(module_ids)},
               value=completion.c.module_id)
    mask = (select(cast(func.sum(func.distinct(bit)), BigInteger)).where(completion.c.user_id == rows.c.user_id)
            .scalar_subquery())
    each = select(mask.label("mask")).select_from(rows).where(mine).subquery("person_masks")
    masks = (select(each.c.mask, func.count().label("people")).group_by(each.c.mask)
             .cte("module_masks").prefix_with("MATERIALIZED"))
    return [select(*_figure("module", constant(module_id), people=cast(func.coalesce(func.sum(
                case((masks.c.mask.op("&")(cast(constant(1 << n), BigInteger)) != constant(0), masks.c.people),
                     else_=constant(0))), constant(0)), Integer)))
            for n, module_id in enumerate(module_ids)]


def _module_part_by_join(rows, mine, module_ids: list[int]):
    completion = Completion.__table__.alias("completion")
    return (select(*_figure("module", completion.c.module_id, people=func.count(func.distinct(completion.c.user_id))))
            .select_from(rows).join(completion, completion.c.user_id == rows.c.user_id)
            .where(mine, completion.c.module_id.in_(module_ids)).group_by(completion.c.module_id))


def _week_part(rows, mine):
    """Course completions per week: the certificates (of any status since) issued to these people
    (parameters: trend_start, its first instant trend_from, and at)."""
    issued = Certificate.__table__.alias("issued")
    week = ((day_number(issued.c.issued_at) - day_number(bindparam("trend_start", type_=Date))) // constant(7))
    return (select(*_figure("week", week, people=func.count()))
            .select_from(rows).join(issued, and_(issued.c.user_id == rows.c.user_id,
                                                 issued.c.course_id == rows.c.course_id,
                                                 issued.c.issued_at >= bindparam("trend_from", type_=issued.c.issued_at.type),
                                                 issued.c.issued_at <= bindparam("at", type_=issued.c.issued_at.type)))
            .where(mine).group_by(week))


def hq_figures(moment: Moment, requirements: list, missions_of: dict[int, list[int]]) -> tuple[CompoundSelect, dict]:
    """Every mission's numbers in one statement, as (statement, parameters). Rows (figure, number =
    mission id, text, status, people): people (deployed now), status (person x requirement counts),
    cleared_by (of the cleared rows, text = what cleared them, readiness.rule.CLEARED_BY), week
    (number = mission id, text = week 0..11 as text, people = certificates issued that week).
    `requirements` are the active ones, `missions_of` each one's missions (reports.hq.requirement_scopes).

    The people are read once into a CTE. Every join to them reads the whole CTE and groups the
    result into a few hundred rows (requirement_counts, _weekly); only then does each requirement
    pick its missions and categories. A CTE's columns have no statistics, so a condition on them
    before a join made PostgreSQL expect a few hundred people where there are tens of thousands.

    The statement is built once per process for each set of requirements, their missions and those
    someone is recognised for (one small look first): building and compiling it took about a
    quarter of the HQ view's time at 10,000 people (issue #14). The day and instants are its parameters."""
    recognised = recognised_requirements([r for r in requirements if missions_of.get(r.id)])
    statement = _hq_figures(tuple(RequirementTerms.of(r) for r in requirements),
                            tuple((r.id, tuple(missions_of.get(r.id) or ())) for r in requirements),
                            frozenset(recognised))
    return statement, {"on": moment.on, "at": moment.at, "trend_start": moment.trend_start,
                       "trend_from": _start_of(moment.trend_start, moment)}


@lru_cache(maxsize=16)
def _hq_figures(requirements: tuple[RequirementTerms, ...], scopes: tuple[tuple[int, tuple[int, ...]], ...],
                recognised: frozenset[int]):
    missions_of = dict(scopes)
    people = current_people(ON).cte("people").prefix_with("MATERIALIZED")
    count = func.count()
    people_part = select(*_figure("people", people.c.mission_id, people=count)).group_by(people.c.mission_id)
    counted = requirement_counts(people, ON, AT, list(requirements), missions_of, recognised=set(recognised))
    if counted is None:
        return people_part
    counts = counted.subquery("counted")
    total = cast(func.sum(counts.c.people), Integer)
    weekly = _weekly(people, [r for r in requirements if missions_of.get(r.id)], missions_of)
    return union_all(
        people_part,
        select(*_figure("status", counts.c.mission_id, status=counts.c.status, people=total))
        .group_by(counts.c.mission_id, counts.c.status),
        select(*_figure("cleared_by", counts.c.mission_id, text=counts.c.cleared_by, people=total))
        .where(counts.c.status == "cleared").group_by(counts.c.mission_id, counts.c.cleared_by),
        select(*_figure("week", weekly.c.mission_id, text=cast(weekly.c.week, String),
                        people=cast(func.sum(weekly.c.certificates), Integer)))
        .group_by(weekly.c.mission_id, weekly.c.week),
    )


def _weekly(people, requirements: list, missions_of: dict[int, list[int]]):
    """(mission_id, week, certificates): each requirement's people's certificates of its course
    issued in the TREND_WEEKS weeks (parameters trend_start, its first instant trend_from, and at),
    per week (rows to add up). The certificates are joined to everyone once and grouped by mission,
    category, course and week; each requirement then adds up the groups of its course, missions and categories."""
    issued = Certificate.__table__.alias("issued")
    week = ((day_number(issued.c.issued_at) - day_number(bindparam("trend_start", type_=Date))) // constant(7))
    by_category = category_keys(people, requirements)
    groups = (select(people.c.mission_id, *by_category, issued.c.course_id, week.label("week"),
                     func.count().label("certificates"))
              .select_from(people)
              .join(issued, and_(issued.c.user_id == people.c.user_id,
                                 issued.c.course_id.in_(sorted({r.course_id for r in requirements})),
                                 issued.c.issued_at >= bindparam("trend_from", type_=issued.c.issued_at.type),
                                 issued.c.issued_at <= AT))
              .group_by(people.c.mission_id, *by_category, issued.c.course_id, week)
              .cte("issued_weekly").prefix_with("MATERIALIZED"))
    parts = [select(groups.c.mission_id, groups.c.week, groups.c.certificates)
             .where(groups.c.course_id == r.course_id, in_scope(groups, r, missions_of)) for r in requirements]
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("weekly")


def since_day(rows):
    """The day a row became a problem: the due date when overdue, the expiry day when expired."""
    return case((rows.c.status == "expired", day_number(rows.c.expires_at)),
                else_=day_number(rows.c.arrival_on) + rows.c.due_days)


@lru_cache(maxsize=64)
def people_list(rows, *, statuses: tuple[str, ...] = (), status: bool = False, unit: bool = False,
                category: bool = False, search: bool = False, arrivals: bool = False):
    """Rows of person x requirement with names, for a listed table, from the request's ROWS
    (reports.mission_rows); the caller orders and pages it (with_progress). Built once per process
    for each set of filters (building it took a tenth of a list's time); `statuses` are written
    into it (the list's, fixed), the filters' values are its parameters: requirement_id; status
    (one of `statuses`), unit_id (0: no unit), category, pattern (like_pattern) for the filters it
    has; arrivals_since and on for arrivals (arrived in the last 30 days, not in the future:
    deployments are entered ahead)."""
    r = rows  # short: it is named a dozen times below
    query = select(r.c.user_id, User.name, User.service_number, User.email, r.c.category, r.c.unit_id,
                   Unit.code.label("unit_code"), r.c.arrival_on, r.c.due_days, r.c.expires_at, r.c.status,
                   since_day(r).label("since_day")) \
        .join(User, User.id == r.c.user_id).outerjoin(Unit, Unit.id == r.c.unit_id) \
        .where(r.c.requirement_id == bindparam("requirement_id", type_=Integer))
    if statuses:
        query = query.where(r.c.status.in_([constant(key) for key in statuses]))
    if status:
        query = query.where(r.c.status == bindparam("status", type_=String))
    if unit:
        query = query.where(func.coalesce(r.c.unit_id, 0) == bindparam("unit_id", type_=Integer))
    if category:
        query = query.where(r.c.category == bindparam("category", type_=String))
    if search:
        pattern = bindparam("pattern", type_=String)
        query = query.where(func.lower(User.name).like(pattern, escape="\\")
                            | func.lower(User.service_number).like(pattern, escape="\\"))
    if arrivals:
        query = query.where(r.c.arrival_on >= bindparam("arrivals_since", type_=Date),
                            r.c.arrival_on <= bindparam("on", type_=Date))
    return query


def like_pattern(search: str) -> str:
    """A LIKE pattern (escape character backslash) that finds `search` anywhere, lower case."""
    return "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def with_progress(query, order: Callable, paged: bool, *, limit: str = "limit", offset: str = "offset",
                  numbered: bool = False):
    """A people_list `query` in the order `order(columns)` gives, paged (parameters limit and
    offset) or not, each listed person with their progress: `modules_done`, the modules of the
    course (parameter course_id) completed since their latest certificate for it (any status), or
    ever when they hold none (their progress toward the next certificate); and their last reminder
    about the requirement (requirement_id), if any: `reminded_at` (its sent_at), `emailed_at`,
    `seen_at`. The page is chosen first and only its people's progress is looked up: this was a
    second statement naming every listed person (two lists, some 140 bound ids a page). `limit` and
    `offset` name the paging parameters; `numbered` adds each row's place in the order, `position`
    (from 1), for a statement that glues two lists (reports.lists.page_lists)."""
    if paged:
        query = query.order_by(*order(query.selected_columns)) \
            .limit(bindparam(limit, type_=Integer)).offset(bindparam(offset, type_=Integer))
    listed = query.subquery("listed")
    course_id = bindparam("course_id", type_=Integer)
    last_issued = select(func.max(Certificate.issued_at)).where(
        Certificate.user_id == Completion.user_id, Certificate.course_id == course_id).scalar_subquery()
    done = select(func.count(func.distinct(Completion.module_id))) \
        .join(Module, and_(Module.id == Completion.module_id, Module.course_id == course_id)) \
        .where(Completion.user_id == listed.c.user_id) \
        .where((last_issued.is_(None)) | (Completion.completed_at > last_issued)).scalar_subquery()
    reminder = Reminder.__table__.alias("reminder")
    position = (func.row_number().over(order_by=order(listed.c)).label("position"),) if numbered else ()
    return select(listed, done.label("modules_done"), reminder.c.sent_at.label("reminded_at"),
                  reminder.c.emailed_at, reminder.c.seen_at, *position) \
        .select_from(listed.outerjoin(reminder, and_(
            reminder.c.user_id == listed.c.user_id,
            reminder.c.requirement_id == bindparam("requirement_id", type_=Integer)))) \
        .order_by(*order(listed.c))


@lru_cache(maxsize=1)
def units_of():
    """The mission's units (parameter mission_id): id, code, name, by code."""
    return select(Unit.id, Unit.code, Unit.name).where(Unit.mission_id == bindparam("mission_id", type_=Integer)) \
        .order_by(Unit.code)


def all_missions():
    return select(Mission).where(Mission.is_active.is_(True)).order_by(Mission.code)
