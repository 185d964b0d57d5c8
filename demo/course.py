"""seed-demo's course steps: the shipped course, and its requirement in every peacekeeping mission."""

from __future__ import annotations

from sqlalchemy import select

from coursepack.cli import SHIPPED_COURSE
from coursepack.importer import import_content
from extensions import db
from training.models import Course, Requirement
from training.requirements import add_requirement

SHIPPED_CODE = "cp-peace-ops"


def seed_shipped_course() -> str:
    summary = import_content(SHIPPED_COURSE, publish=True)
    return "; ".join(line.strip() for line in summary.lines())


def seed_requirements() -> str:
    """Require the shipped course in every peacekeeping mission, within 30 days of arrival (once)."""
    course = db.session.scalar(select(Course).filter_by(code=SHIPPED_CODE))
    if course is None:
        return f"course {SHIPPED_CODE} not imported yet; no requirement added"
    existing = db.session.scalar(select(Requirement).where(
        Requirement.course_id == course.id, Requirement.mission_kind == "peacekeeping", Requirement.is_active.is_(True)))
    if existing is not None:
        return f"{SHIPPED_CODE} is already required in every peacekeeping mission"
    add_requirement(course, actor=None, categories=["military", "police", "civilian"], due_days=30, kind="peacekeeping")
    return f"{SHIPPED_CODE} required in every peacekeeping mission, for everyone, within 30 days of arrival"
