"""Lesson progress and module / course completion. Adds and flushes; the caller commits.

A module version is complete when every one of its lessons has been viewed and every module gate
passes (training.hooks: quizzes adds "the quiz is passed, or there is none"). A course is complete
when each of its modules has a completion of any version; completing it tells the course_completed
hooks (certificates issues the certificate) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from accounts.models import User
from audit.services import record
from core.reads import rows
from database import utcnow
from extensions import db
from training.hooks import CycleCourse, ModuleGate, hooks
from training.models import Completion, Course, DeliveryMode, Lesson, LessonView, ModuleVersion


def record_lesson_view(user: User, lesson: Lesson) -> bool:
    """Mark a lesson studied. Returns True the first time; a repeat records nothing."""
    return record_view(user.id, lesson.id)


def record_view(user_id: int, lesson_id: int) -> bool:
    """record_lesson_view() by ids: one statement, an insert that does nothing when the row is
    there (a repeat, or the same request twice at once: the unique index decides), where a
    look-up, a savepoint, the insert and its release were four."""
    db.session.flush()  # a Core statement skips the autoflush: what the caller added goes first
    statement = _view_insert(db.session.get_bind().dialect.name)
    params = {"user_id": user_id, "lesson_id": lesson_id, "viewed_at": utcnow()}
    return db.session.execute(statement, params).first() is not None  # the new row's id, or nothing


@cache
def _view_insert(dialect: str):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (insert(LessonView.__table__)
            .values(user_id=bindparam("user_id"), lesson_id=bindparam("lesson_id"), viewed_at=bindparam("viewed_at"))
            .on_conflict_do_nothing(index_elements=["user_id", "lesson_id"]).returning(LessonView.__table__.c.id))


def viewed_lesson_ids(user_id: int, module_version_id: int) -> set[int]:
    """The lessons of the version the person has read (plain rows, core.reads.rows: the ORM's
    execute, which flushes first, only when something is pending)."""
    return set(rows(_viewed_statement(), {"user_id": user_id, "version_id": module_version_id}).scalars())


@cache
def _viewed_statement():
    # Built once: every module completion checked online runs it.
    return (select(LessonView.lesson_id).join(Lesson, Lesson.id == LessonView.lesson_id)
            .where(LessonView.user_id == bindparam("user_id"), Lesson.module_version_id == bindparam("version_id")))


def lessons_done(user: User, module_version: ModuleVersion) -> bool:
    total = db.session.scalar(select(func.count(Lesson.id)).where(Lesson.module_version_id == module_version.id))
    return len(viewed_lesson_ids(user.id, module_version.id)) >= (total or 0)


def current_cycle(user_id: int, course: CycleCourse, moment: datetime | None = None) -> int:
    """Which certification cycle completions count toward now (the cycles hook answers:
    certificates.services.certification_cycles has the rule)."""
    return current_cycles(user_id, [course], moment)[course.id]


def current_cycles(user_id: int, courses: Sequence[CycleCourse], moment: datetime | None = None) -> dict[int, int]:
    """current_cycle() for several courses at once (answered by the cycles hook: certificates)."""
    return hooks().cycles(user_id, courses, moment or utcnow())


def complete_module_if_done(user: User, module_version: ModuleVersion, *, attempt_id: int | None = None,
                            moment: datetime | None = None, passed: Collection[ModuleGate] = ()) -> Completion | None:
    """Record the completion when lessons and gates are done (idempotent per cycle), and tell the
    course_completed hooks when this completes the course (certificates issues the certificate),
    all in the caller's transaction. `passed`: gates the caller has just seen pass, not asked
    again (the quiz gate, when a passing attempt is what completes the module)."""
    return _complete_if_done(user, module_version, attempt_id=attempt_id, moment=moment, passed=passed)[0]


def _complete_if_done(user: User, module_version: ModuleVersion, *, attempt_id: int | None = None,
                      moment: datetime | None = None, lessons_read: bool | None = None,
                      passed: Collection[ModuleGate] = ()) -> tuple[Completion | None, bool]:
    """complete_module_if_done(), and whether this call recorded the completion. `lessons_read`:
    whether every lesson is read, when the caller knows."""
    moment = moment or utcnow()
    course = db.session.get(Course, module_version.module.course_id)
    cycle = current_cycle(user.id, course, moment)
    existing = _completion_in_cycle(user.id, module_version.id, cycle)
    if existing is not None:
        return existing, False
    return _complete_in_cycle(user, module_version, course, cycle, moment, attempt_id=attempt_id,
                              lessons_read=lessons_read, passed=passed)


def _complete_in_cycle(user: User, module_version: ModuleVersion, course: Course, cycle: int, moment: datetime, *,
                       attempt_id: int | None = None, lessons_read: bool | None = None,
                       passed: Collection[ModuleGate] = ()) -> tuple[Completion | None, bool]:
    """_complete_if_done() once the cycle is known to hold no completion of the version."""
    if lessons_read is None:
        lessons_read = lessons_done(user, module_version)
    if not lessons_read or not all(gate(user, module_version) for gate in hooks().module_gates
                                   if gate not in passed):
        return None, False
    return _record_completion(user, module_version, course, cycle, moment, attempt_id=attempt_id,
                              delivery_mode=DeliveryMode.ONLINE)


@dataclass(frozen=True)
class LessonRead:
    """What marking a lesson read did to the module (and its course)."""

    completion: Completion | None  # the module's completion in this cycle (None: not complete, or not asked)
    module_completed: bool = False  # recorded by this request
    course_completed: bool = False  # and that completed the course


def lesson_read(user: User, lesson_id: int, version_id: int, lesson_ids: list[int], *, viewed: frozenset[int],
                last: bool, course: CycleCourse) -> LessonRead:
    """Mark a lesson of the version the person studies read (`lesson_ids`: the version's lessons in
    order; `viewed`: those the person had read, as this request's transaction read them with the
    studied version, learning.studied_from; `course`: its course, or a row of it) and complete the module if
    that, and its gates, make it complete. While a lesson is unread no completion can be recorded,
    so, except at the version's `last` lesson (whose answer tells what became of the module),
    nothing more is asked: one statement, none when the lesson was read before."""
    viewed = set(viewed)
    if lesson_id not in viewed:
        record_view(user.id, lesson_id)  # a request that recorded it meanwhile: the insert does nothing
        viewed.add(lesson_id)
    lessons_read = len(viewed) >= len(lesson_ids)
    if not lessons_read and not last:
        return LessonRead(None)
    # The completion of this cycle first: once the module is complete (a learner going over it
    # again), that is the answer, and the version with its module, mapped with two joined loads,
    # was a third of such a request; the course as a mapped object only to record a completion.
    moment = utcnow()
    cycle = current_cycle(user.id, course, moment)
    existing = _completion_in_cycle(user.id, version_id, cycle)
    if existing is not None or not lessons_read:
        return LessonRead(existing)
    version = db.session.get(ModuleVersion, version_id)
    mapped = db.session.get(Course, course.id)
    completion, created = _complete_in_cycle(user, version, mapped, cycle, moment, lessons_read=True)
    if not created:
        return LessonRead(completion)
    course_now = (course_complete(user.id, mapped, completion.cycle)
                  and not course_complete(user.id, mapped, completion.cycle, without=completion.id))
    return LessonRead(completion, module_completed=True, course_completed=course_now)


def record_completion(user: User, module_version: ModuleVersion, *, delivery_mode: str,
                      moment: datetime | None = None, actor: User | None = None) -> Completion:
    """Record a completion that its own evidence proves (an in-person session passed on paper),
    without the online gates; idempotent per cycle, and it issues the certificate exactly as an
    online completion does, in the caller's transaction."""
    moment = moment or utcnow()
    course = db.session.get(Course, module_version.module.course_id)
    cycle = current_cycle(user.id, course, moment)
    existing = _completion_in_cycle(user.id, module_version.id, cycle)
    if existing is not None:
        return existing
    return _record_completion(user, module_version, course, cycle, moment, delivery_mode=delivery_mode,
                              actor=actor)[0]


def _completion_in_cycle(user_id: int, module_version_id: int, cycle: int) -> Completion | None:
    return db.session.scalar(_completion_statement(),
                             {"user_id": user_id, "module_version_id": module_version_id, "cycle": cycle})


@cache
def _completion_statement():
    # Built once: every lesson marked read at the end of a module, and every quiz submit, asks.
    return select(Completion).where(Completion.user_id == bindparam("user_id"),
                                    Completion.module_version_id == bindparam("module_version_id"),
                                    Completion.cycle == bindparam("cycle"))


def _record_completion(user: User, module_version: ModuleVersion, course: Course, cycle: int, moment: datetime, *,
                       delivery_mode: str, attempt_id: int | None = None,
                       actor: User | None = None) -> tuple[Completion, bool]:
    """The completion and True, or, when a parallel request recorded it first, that one and False."""
    try:
        with db.session.begin_nested():
            completion = Completion(user_id=user.id, module_id=module_version.module_id, cycle=cycle,
                                    module_version_id=module_version.id, completed_at=moment, attempt_id=attempt_id,
                                    delivery_mode=delivery_mode)
            db.session.add(completion)
            db.session.flush()
    except IntegrityError:  # a parallel request completed it first
        return _completion_in_cycle(user.id, module_version.id, cycle), False
    details = {} if delivery_mode == DeliveryMode.ONLINE else {"delivery_mode": delivery_mode, "for": f"user:{user.id}"}
    record("module_completed", actor=actor or user, target=f"module:{module_version.module_id}",
           version=module_version.number, cycle=cycle, **details)
    if course_complete(user.id, course, cycle):
        for announce in hooks().course_completed:
            announce(user, course, moment)
    return completion, True


def course_complete(user_id: int, course: Course, cycle: int, *, without: int | None = None) -> bool:
    """Every live module of the course has a completion (any version) in this cycle; `without`:
    not counting that completion (was the course complete before it?)."""
    module_ids = [m.id for m in course.modules if not m.is_archived]
    if not module_ids:
        return False
    query = select(func.count(func.distinct(Completion.module_id))).where(
        Completion.user_id == user_id, Completion.module_id.in_(module_ids), Completion.cycle == cycle)
    if without is not None:
        query = query.where(Completion.id != without)
    return (db.session.scalar(query) or 0) == len(module_ids)
