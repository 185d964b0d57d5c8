"""Lesson progress and module / course completion. Adds and flushes; the caller commits.

A module version is complete when every one of its lessons has been viewed and every gate in
MODULE_GATES passes (the quizzes package adds "the quiz is passed, or there is none"). A course
is complete when each of its modules has a completion of any version; completing it issues the
certificate in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from accounts.models import User
from audit.services import record
from certificates.models import Certificate
from database import utcnow
from extensions import db
from training.models import Completion, Course, Lesson, LessonView, Module, ModuleVersion

ModuleGate = Callable[[User, ModuleVersion], bool]
MODULE_GATES: list[ModuleGate] = []


def record_lesson_view(user: User, lesson: Lesson) -> bool:
    """Mark a lesson studied. Returns True the first time; a repeat records nothing."""
    exists = db.session.scalar(select(LessonView.id).filter_by(user_id=user.id, lesson_id=lesson.id))
    if exists:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(LessonView(user_id=user.id, lesson_id=lesson.id))
            db.session.flush()
    except IntegrityError:  # the same request arrived twice at once
        return False
    return True


def viewed_lesson_ids(user_id: int, module_version_id: int) -> set[int]:
    return set(db.session.scalars(_viewed_statement(), {"user_id": user_id, "version_id": module_version_id}))


@cache
def _viewed_statement():
    # Built once: every lesson page runs it.
    return (select(LessonView.lesson_id).join(Lesson, Lesson.id == LessonView.lesson_id)
            .where(LessonView.user_id == bindparam("user_id"), Lesson.module_version_id == bindparam("version_id")))


def lessons_done(user: User, module_version: ModuleVersion) -> bool:
    total = db.session.scalar(select(func.count(Lesson.id)).where(Lesson.module_version_id == module_version.id))
    return len(viewed_lesson_ids(user.id, module_version.id)) >= (total or 0)


def completion_for(user_id: int, module_id: int) -> Completion | None:
    """The person's latest completion of any version of the module."""
    return db.session.scalar(select(Completion).where(Completion.user_id == user_id, Completion.module_id == module_id)
                             .order_by(Completion.completed_at.desc()).limit(1))


def current_cycle(user_id: int, course: Course, moment: datetime | None = None) -> int:
    """Which certification cycle completions count toward now.

    The n-th certificate closes cycle n-1. While the newest certificate is valid and outside its
    renewal window, further completions still belong to its cycle; once renewal is open (window,
    expiry or revocation), they start the next one.
    """
    return current_cycles(user_id, [course], moment)[course.id]


def current_cycles(user_id: int, courses: list[Course], moment: datetime | None = None) -> dict[int, int]:
    """current_cycle() for several courses in one statement (a person holds few certificates)."""
    from certificates.services import needs_new_certificate

    moment = moment or utcnow()
    held: dict[int, list[Certificate]] = {}
    for certificate in db.session.scalars(_certificates_statement(),
                                          {"user_id": user_id, "course_ids": [c.id for c in courses]}):
        held.setdefault(certificate.course_id, []).append(certificate)
    cycles = {}
    for course in courses:
        issued = held.get(course.id, [])
        if not issued:
            cycles[course.id] = 0
        else:
            cycles[course.id] = len(issued) if needs_new_certificate(issued[0], course, moment) else len(issued) - 1
    return cycles


@cache
def _certificates_statement():
    # Built once per process: My training, the course and the module page run it.
    return (select(Certificate).where(Certificate.user_id == bindparam("user_id"),
                                      Certificate.course_id.in_(bindparam("course_ids", expanding=True)))
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc()))


def complete_module_if_done(user: User, module_version: ModuleVersion, *, attempt_id: int | None = None,
                            moment: datetime | None = None) -> Completion | None:
    """Record the completion when lessons and gates are done (idempotent per cycle), and issue
    the certificate when this completes the course, all in the caller's transaction."""
    moment = moment or utcnow()
    course = db.session.get(Course, module_version.module.course_id)
    cycle = current_cycle(user.id, course, moment)
    existing = db.session.scalar(select(Completion).filter_by(
        user_id=user.id, module_version_id=module_version.id, cycle=cycle))
    if existing is not None:
        return existing
    if not lessons_done(user, module_version) or not all(gate(user, module_version) for gate in MODULE_GATES):
        return None
    try:
        with db.session.begin_nested():
            completion = Completion(user_id=user.id, module_id=module_version.module_id, cycle=cycle,
                                    module_version_id=module_version.id, completed_at=moment, attempt_id=attempt_id)
            db.session.add(completion)
            db.session.flush()
    except IntegrityError:  # a parallel request completed it first
        return db.session.scalar(select(Completion).filter_by(
            user_id=user.id, module_version_id=module_version.id, cycle=cycle))
    record("module_completed", actor=user, target=f"module:{module_version.module_id}",
           version=module_version.number, cycle=cycle)
    if course_complete(user.id, course, cycle):
        from certificates.services import issue_for_course

        issue_for_course(user, course, moment)
    return completion


def course_complete(user_id: int, course: Course, cycle: int) -> bool:
    """Every live module of the course has a completion (any version) in this cycle."""
    module_ids = [m.id for m in course.modules if not m.is_archived]
    if not module_ids:
        return False
    done = db.session.scalar(select(func.count(func.distinct(Completion.module_id))).where(
        Completion.user_id == user_id, Completion.module_id.in_(module_ids), Completion.cycle == cycle))
    return (done or 0) == len(module_ids)


def module_versions_for(course: Course) -> list[tuple[Module, ModuleVersion | None]]:
    """Each live module with its latest published version (None if never published)."""
    result = []
    for module in course.modules:
        if module.is_archived:
            continue
        published = [v for v in module.versions if v.status == "published"]
        result.append((module, published[-1] if published else None))
    return result
