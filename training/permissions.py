"""Who may author which course and set which requirements (plain functions for views and templates)."""

from __future__ import annotations

from sqlalchemy import select

from accounts.models import Mission, Role, User
from accounts.permissions import can_view_mission
from extensions import db
from training.models import Course, CourseAuthor


def can_create_course(user: User) -> bool:
    return user.has_role(Role.ADMIN.value, Role.TRAINER.value)


def can_author(user: User, course: Course) -> bool:
    """Admins, and trainers who own or co-author the course."""
    if user.has_role(Role.ADMIN.value):
        return True
    if not user.has_role(Role.TRAINER.value):
        return False
    if course.owner_id == user.id:
        return True
    return db.session.scalar(select(CourseAuthor.id).where(
        CourseAuthor.course_id == course.id, CourseAuthor.user_id == user.id).limit(1)) is not None


# The course shipped with the product (content/cp-peace-ops, imported by `seed-demo` and
# `import-course`). It is the course everyone takes, so every trainer may read it.
SHIPPED_CODES = frozenset({"cp-peace-ops"})


def is_shipped(course: Course) -> bool:
    return course.code in SHIPPED_CODES and not course.is_archived


def can_read_course(user: User, course: Course) -> bool:
    """Its authors; and any trainer for the shipped course: read it, its question bank and item
    analysis, and copy it into a course of their own. Editing stays with can_author."""
    return can_author(user, course) or (user.has_role(Role.TRAINER.value) and is_shipped(course))


def can_manage_authors(user: User, course: Course) -> bool:
    """Admins, and the course's owner (co-authors write; the owner decides who writes)."""
    return user.has_role(Role.ADMIN.value) or (user.has_role(Role.TRAINER.value) and course.owner_id == user.id)


def authored_course_ids(user: User) -> set[int] | None:
    """Courses `user` may author; None means every course (admin)."""
    if user.has_role(Role.ADMIN.value):
        return None
    if not user.has_role(Role.TRAINER.value):
        return set()
    owned = db.session.scalars(select(Course.id).where(Course.owner_id == user.id))
    co_authored = db.session.scalars(select(CourseAuthor.course_id).where(CourseAuthor.user_id == user.id))
    return set(owned) | set(co_authored)


def can_view_requirements(user: User, mission: Mission) -> bool:
    """Admins, HQ (read-only) and the mission's leads."""
    return can_view_mission(user, mission)


def can_set_requirements(user: User, mission: Mission | None) -> bool:
    """Admins for any mission and for kind-wide rules; a mission lead for their own missions only."""
    if user.has_role(Role.ADMIN.value):
        return True
    return mission is not None and mission.id in user.lead_mission_ids()
