"""Planning sessions, taking attendance and turning a pass on paper into completions.

Adds and flushes; the view commits. Every write is an audit event naming who did it.

The rule for marks (documented in README "In-person training"): every mark a device sends is
kept once (by its client-generated id) in attendance_marks; the person's Attendance is then
recomputed from all their marks for the session:
- each recorder's latest mark (by the time it was made) is what that recorder says now, so a
  trainer can correct their own typing;
- across recorders, present wins (one trainer saw the person in the room) and the highest
  score wins (two trainers read the same paper; the lower figure is the one more likely
  mistyped);
- the row names the recorder and time of the mark that decided the score (or the presence).
Nothing is lost: every mark stays, and each accepted one is an audit event with its recorder.
A pass (present, score at or above the session's pass mark) records the session's modules as
completed in person; completions are never taken back by a later mark.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import Date, Integer, and_, bindparam, extract, func, or_, select
from sqlalchemy.exc import IntegrityError

from accounts.models import Deployment, Mission, Role, RoleGrant, Unit, User
from audit.services import record
from core import reads
from database import advisory_lock, utcnow
from extensions import db
from inperson.models import Attendance, AttendanceMark, SessionEvidence, TrainingSession, session_trainers
from training import images, learning, progress
from training.models import Course, DeliveryMode, Module

CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
MAX_MARKS = 500  # one sync; a session of a whole battalion still fits
EARLIEST_DAYS = 1  # marks may be made from the day before the session (time zones), never earlier


class SessionError(ValueError):
    """A request that breaks a rule; the message is safe to show."""


@dataclass
class Mark:
    """One tick or score as a device (or the plain form) sends it."""

    client_id: str
    service_number: str
    is_present: bool
    paper_score: int | None
    recorded_at: datetime | None = None


@dataclass
class SyncResult:
    accepted: list[str] = field(default_factory=list)   # client ids stored now
    duplicate: list[str] = field(default_factory=list)  # client ids stored before: nothing done
    completed: list[str] = field(default_factory=list)  # service numbers that passed just now


class MarksRefused(SessionError):
    """Some marks cannot be stored; `problems` maps each one's client id to the reason."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


# --- planning ---------------------------------------------------------------------------------

def eligible_trainers(mission: Mission) -> list[User]:
    """People who may run a session in `mission`: its mission trainers, trainers and admins."""
    grants = select(RoleGrant.user_id).where(or_(
        RoleGrant.role.in_([Role.TRAINER.value, Role.ADMIN.value]),
        and_(RoleGrant.role == Role.MISSION_TRAINER.value, RoleGrant.mission_id == mission.id)))
    return list(db.session.scalars(select(User).where(User.id.in_(grants), User.is_active).order_by(User.name)))


def plan_session(*, actor: User, course: Course, module_ids: Sequence[int], mission: Mission, unit_ids: Sequence[int],
                 place: str, held_on: date, language: str, pass_mark: int,
                 trainer_ids: Sequence[int] = ()) -> TrainingSession:
    live = {m.id: m for m in learning.live_modules(course)}
    chosen = [i for i in module_ids if i in live] if module_ids else list(live)
    if module_ids and len(chosen) != len(set(module_ids)):
        raise SessionError(_("Choose modules of this course that are published."))
    if not chosen:
        raise SessionError(_("This course has no published module to teach yet."))
    units = list(db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids), Unit.mission_id == mission.id)))
    if not units or len(units) != len(set(unit_ids)):
        raise SessionError(_("Choose one or more units of this mission."))
    if language not in course.language_list:
        raise SessionError(_("Choose one of the course's languages."))
    if not 0 <= pass_mark <= 100:
        raise SessionError(_("The pass mark is a percentage from 0 to 100."))
    eligible = {u.id: u for u in eligible_trainers(mission)}
    trainers = [eligible[i] for i in trainer_ids if i in eligible]
    if len(trainers) != len(set(trainer_ids)):
        raise SessionError(_("Choose trainers who may run sessions in this mission."))
    if not trainers and actor.id in eligible:
        trainers = [actor]
    session = TrainingSession(course_id=course.id, module_ids=sorted(chosen), mission_id=mission.id,
                              place=place.strip()[:200], held_on=held_on, language=language, pass_mark=pass_mark,
                              created_by_id=actor.id, units=units, trainers=trainers)
    db.session.add(session)
    db.session.flush()
    record("training_session_planned", actor=actor, target=f"training_session:{session.id}",
           course=course.code, mission=mission.code, units=[u.code for u in units], held_on=held_on.isoformat())
    return session


def session_modules(session: TrainingSession) -> list[Module]:
    modules = {m.id: m for m in session.course.modules}
    return [modules[i] for i in session.module_ids if i in modules]


# --- who is on the sheet ----------------------------------------------------------------------

def _deployed_on(day: date):
    return and_(Deployment.arrival_on <= day, or_(Deployment.departure_on.is_(None), Deployment.departure_on >= day))


def roster(session: TrainingSession) -> list[User]:
    """The people of the session's units on its day (not its own trainers), then anyone else
    already recorded (walk-ins)."""
    unit_ids = [u.id for u in session.units]
    in_units = select(Deployment.user_id).where(Deployment.unit_id.in_(unit_ids), _deployed_on(session.held_on))
    recorded = select(Attendance.user_id).where(Attendance.session_id == session.id)
    trainers = [t.id for t in session.trainers] or [-1]
    return list(db.session.scalars(select(User).where(
        or_(and_(User.id.in_(in_units), User.is_active, User.id.not_in(trainers)), User.id.in_(recorded)))
        .order_by(User.name, User.id)))


def people_in_mission(session: TrainingSession, service_numbers: Iterable[str]) -> dict[str, User]:
    """Those of `service_numbers` deployed in the session's mission on its day, by service number."""
    numbers = {n for n in service_numbers if n}
    if not numbers:
        return {}
    deployed = select(Deployment.user_id).where(Deployment.mission_id == session.mission_id,
                                                _deployed_on(session.held_on))
    people = db.session.scalars(select(User).where(User.service_number.in_(numbers), User.id.in_(deployed)))
    return {person.service_number: person for person in people}


def attendance_by_user(session: TrainingSession) -> dict[int, Attendance]:
    rows = db.session.scalars(select(Attendance).where(Attendance.session_id == session.id))
    return {row.user_id: row for row in rows}


# --- marks ------------------------------------------------------------------------------------

def check_marks(session: TrainingSession, marks: Sequence[Mark], now: datetime | None = None) -> dict[str, User]:
    """Every mark's person, or MarksRefused saying what is wrong with which mark (nothing stored)."""
    now = now or utcnow()
    problems: dict[str, str] = {}
    if session.held_on - timedelta(days=EARLIEST_DAYS) > now.date():
        raise SessionError(_("This session is planned for %(day)s: attendance can be recorded from that day.",
                                  day=session.held_on.isoformat()))
    if len(marks) > MAX_MARKS:
        raise SessionError(_("Send at most %(n)s marks at a time.", n=MAX_MARKS))
    people = people_in_mission(session, [m.service_number for m in marks])
    for mark in marks:
        who = mark.service_number or "?"
        if mark.paper_score is not None and not 0 <= mark.paper_score <= 100:
            problems[mark.client_id] = _("%(person)s: the score must be a number from 0 to 100.", person=who)
        elif mark.paper_score is not None and not mark.is_present:
            problems[mark.client_id] = _("%(person)s: a score needs the person ticked as present.", person=who)
        elif mark.service_number not in people:
            problems[mark.client_id] = _("%(person)s: not on the roster of %(mission)s on %(day)s.", person=who,
                                              mission=session.mission.code, day=session.held_on.isoformat())
    if problems:
        raise MarksRefused(problems)
    return people


def apply_marks(session: TrainingSession, marks: Sequence[Mark], *, actor: User,
                now: datetime | None = None) -> SyncResult:
    """Store each new mark once, merge each touched person's attendance, and complete the passes."""
    now = now or utcnow()
    people = check_marks(session, marks, now)
    result = SyncResult()
    touched: dict[int, User] = {}
    for person in sorted({p.id: p for p in people.values()}.values(), key=lambda p: p.id):
        _serialise_person(session, person)  # in id order, so two syncs never wait on each other crosswise
    for mark in marks:
        person = people[mark.service_number]
        if _store_mark(session, mark, person, actor, now):
            result.accepted.append(mark.client_id)
            touched[person.id] = person
        else:
            result.duplicate.append(mark.client_id)
    in_units = set(u.id for u in session.units)
    for person in touched.values():
        attendance = _merge(session, person, in_units)
        if attendance.passed(session.pass_mark) and attendance.completed_at is None:
            complete_in_person(session, person, attendance, actor=actor, now=now)
            result.completed.append(person.service_number)
    return result


def _serialise_person(session: TrainingSession, person: User) -> None:
    """One sync at a time per session and person, until the transaction ends. Without it, on
    PostgreSQL (read committed) two trainers' syncs could each merge without seeing the other's
    uncommitted mark, and the later commit would drop the earlier one's presence or score.
    SQLite needs nothing: a writing request holds the database's write lock (database.py)."""
    advisory_lock(db.session, f"attendance:{session.id}:{person.id}")


def _store_mark(session: TrainingSession, mark: Mark, person: User, actor: User, now: datetime) -> bool:
    if db.session.scalar(select(AttendanceMark.id).where(AttendanceMark.client_id == mark.client_id)):
        return False
    made_at = mark.recorded_at or now
    # A device clock can be wrong: a mark is never dated before its session or after it arrived.
    earliest = datetime.combine(session.held_on - timedelta(days=EARLIEST_DAYS), time.min, tzinfo=UTC)
    made_at = min(max(_aware(made_at), earliest), now)
    try:
        with db.session.begin_nested():
            db.session.add(AttendanceMark(client_id=mark.client_id, session_id=session.id, user_id=person.id,
                                          is_present=mark.is_present, paper_score=mark.paper_score,
                                          recorded_by_id=actor.id, recorded_at=made_at, received_at=now))
            db.session.flush()
    except IntegrityError:  # the same mark arrived twice at once
        return False
    record("attendance_marked", actor=actor, target=f"training_session:{session.id}", person=person.service_number,
           present=mark.is_present, score=mark.paper_score, mark=mark.client_id)
    return True


def merge_marks(marks: Sequence[AttendanceMark]) -> tuple[bool, int | None, AttendanceMark]:
    """(present, score, the deciding mark) from one person's marks: see the module docstring."""
    latest: dict[int, AttendanceMark] = {}
    for mark in sorted(marks, key=lambda m: (_aware(m.recorded_at), m.id or 0)):
        latest[mark.recorded_by_id] = mark
    said = list(latest.values())
    present = any(m.is_present for m in said)
    scored = [m for m in said if m.paper_score is not None]
    if scored:
        decider = max(scored, key=lambda m: (m.paper_score, _aware(m.recorded_at)))
        return present, decider.paper_score, decider
    decider = max(said, key=lambda m: (m.is_present, _aware(m.recorded_at)))
    return present, None, decider


def _merge(session: TrainingSession, person: User, unit_ids: set[int]) -> Attendance:
    marks = list(db.session.scalars(select(AttendanceMark).where(
        AttendanceMark.session_id == session.id, AttendanceMark.user_id == person.id)))
    present, score, decider = merge_marks(marks)
    attendance = db.session.scalar(select(Attendance).where(Attendance.session_id == session.id,
                                                            Attendance.user_id == person.id))
    if attendance is None:
        deployment = person.current_deployment(session.held_on)
        attendance = Attendance(session_id=session.id, user_id=person.id,
                                is_walk_in=deployment is None or deployment.unit_id not in unit_ids,
                                evidence_id=_latest_evidence_id(session))
        db.session.add(attendance)
    attendance.is_present = present
    attendance.paper_score = score
    attendance.recorded_by_id = decider.recorded_by_id
    attendance.recorded_at = decider.recorded_at
    attendance.client_id = decider.client_id
    db.session.flush()
    return attendance


def complete_in_person(session: TrainingSession, person: User, attendance: Attendance, *, actor: User,
                       now: datetime) -> None:
    """Each module of the session, completed in person on the session's day (or now, if earlier),
    through the same path as online study, so the course certificate comes the same way."""
    moment = min(now, datetime.combine(session.held_on, time(12, 0), tzinfo=UTC))
    for module in session_modules(session):
        version = learning.published_version(module)
        if version is None:  # archived or unpublished since the session was planned
            continue
        progress.record_completion(person, version, delivery_mode=DeliveryMode.IN_PERSON, moment=moment, actor=actor)
    attendance.completed_at = now
    record("training_session_passed", actor=actor, target=f"training_session:{session.id}",
           person=person.service_number, score=attendance.paper_score, pass_mark=session.pass_mark)
    db.session.flush()


# --- evidence ---------------------------------------------------------------------------------

def attach_evidence(session: TrainingSession, upload, *, actor: User) -> SessionEvidence:
    """A scanned signed sheet: checked and re-encoded like a lesson picture; it backs the present
    people's attendance that has no evidence yet."""
    raw = upload.stream.read(images.MAX_UPLOAD_BYTES + 1)
    clean = images.clean_image(raw)
    evidence = db.session.scalar(select(SessionEvidence).where(SessionEvidence.session_id == session.id,
                                                               SessionEvidence.sha256 == clean.sha256))
    if evidence is None:
        evidence = SessionEvidence(session_id=session.id, sha256=clean.sha256, media_type=images.MEDIA_TYPE,
                                   width=clean.width, height=clean.height, data=clean.data, uploaded_by_id=actor.id,
                                   original_name=(getattr(upload, "filename", "") or "")[:200])
        db.session.add(evidence)
        db.session.flush()
        record("training_session_evidence", actor=actor, target=f"training_session:{session.id}",
               sha256=clean.sha256)
    for attendance in db.session.scalars(select(Attendance).where(
            Attendance.session_id == session.id, Attendance.evidence_id.is_(None))):
        attendance.evidence_id = evidence.id
    db.session.flush()
    return evidence


def _latest_evidence_id(session: TrainingSession) -> int | None:
    return db.session.scalar(select(SessionEvidence.id).where(SessionEvidence.session_id == session.id)
                             .order_by(SessionEvidence.id.desc()).limit(1))


# --- reading ----------------------------------------------------------------------------------

@dataclass
class SessionSummary:
    session: TrainingSession
    present: int
    passed: int


def visible_sessions(mission_ids: set[int] | None, *, trainer: User | None = None,
                     also_ran_by: User | None = None) -> list[SessionSummary]:
    """Sessions in `mission_ids` (None: all), newest first, with attendance and pass counts
    counted in SQL; `trainer` keeps those they ran (a trainer of the session, or its planner);
    `also_ran_by` adds, to the missions' sessions, those that person ran elsewhere."""
    present = func.count(Attendance.id).filter(Attendance.is_present)
    passed = func.count(Attendance.id).filter(Attendance.is_present,
                                              Attendance.paper_score >= TrainingSession.pass_mark)
    query = (select(TrainingSession, present, passed)
             .outerjoin(Attendance, Attendance.session_id == TrainingSession.id)
             .group_by(TrainingSession.id).order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc()))
    if mission_ids is not None:
        in_missions = TrainingSession.mission_id.in_(mission_ids or {-1})
        query = query.where(in_missions if also_ran_by is None else or_(in_missions, _ran_by(also_ran_by)))
    if trainer is not None:
        query = query.where(_ran_by(trainer))
    return [SessionSummary(s, p or 0, q or 0) for s, p, q in db.session.execute(query)]


def _ran_by(person: User):
    ran = select(session_trainers.c.session_id).where(session_trainers.c.user_id == person.id)
    return or_(TrainingSession.id.in_(ran), TrainingSession.created_by_id == person.id)


def sessions_per_month(mission_ids: set[int] | None = None, *, since: date | None = None,
                       until: date | None = None) -> list[tuple[str, int]]:
    """[("2026-11", 4), ...]: sessions held per month, oldest first, for the dashboards.
    One GROUP BY over the (mission_id, held_on) index; months with none are left out. Read as plain
    rows (core.reads.rows): the ORM's execute cost three times the statement itself."""
    query = _sessions_per_month(mission_ids is not None, since is not None, until is not None)
    parameters = {"mission_ids": sorted(mission_ids or {-1}) if mission_ids is not None else None,
                  "since": since, "until": until}
    return [(f"{int(y):04d}-{int(m):02d}", n) for y, m, n in reads.rows(query, parameters)]


@lru_cache(maxsize=8)
def _sessions_per_month(missions: bool, since: bool, until: bool):
    """Built once per process for each set of conditions; their
    values are its parameters mission_ids (a list), since and until."""
    year, month = extract("year", TrainingSession.held_on), extract("month", TrainingSession.held_on)
    query = select(year, month, func.count(TrainingSession.id)).group_by(year, month).order_by(year, month)
    if missions:
        query = query.where(TrainingSession.mission_id.in_(bindparam("mission_ids", expanding=True, type_=Integer)))
    if since:
        query = query.where(TrainingSession.held_on >= bindparam("since", type_=Date))
    if until:
        query = query.where(TrainingSession.held_on <= bindparam("until", type_=Date))
    return query


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
