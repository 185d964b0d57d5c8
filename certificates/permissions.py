"""Who may see, download, revoke and export certificates (plain functions, used by views and templates)."""

from __future__ import annotations

from sqlalchemy import select

from accounts.models import Mission, Role, User
from accounts.permissions import can_view_mission
from certificates.models import Certificate
from extensions import db
from training.models import Course, CourseAuthor


def managed_course_ids(user: User) -> set[int] | None:
    """Courses whose certificates `user` may revoke: None means every course (admin)."""
    if user.has_role(Role.ADMIN.value):
        return None
    if not user.has_role(Role.TRAINER.value):
        return set()
    owned = db.session.scalars(select(Course.id).where(Course.owner_id == user.id))
    authored = db.session.scalars(select(CourseAuthor.course_id).where(CourseAuthor.user_id == user.id))
    return set(owned) | set(authored)


def can_manage_certificate(user: User, certificate: Certificate) -> bool:
    """Admin, or a trainer who owns or co-authors the certificate's course."""
    course_ids = managed_course_ids(user)
    return course_ids is None or certificate.course_id in course_ids


def can_manage_any(user: User) -> bool:
    """May open the certificate management list (trainers see their own courses' certificates there)."""
    return user.has_role(Role.ADMIN.value, Role.TRAINER.value)


def can_download(user: User, certificate: Certificate) -> bool:
    """The holder, and those who may revoke it."""
    return certificate.user_id == user.id or can_manage_certificate(user, certificate)


def can_export_mission(user: User, mission: Mission) -> bool:
    """A mission's leads, HQ and admins."""
    return can_view_mission(user, mission)
