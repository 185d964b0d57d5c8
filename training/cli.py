"""Training's part of `flask seed-demo`: the shipped course is required in every peacekeeping mission."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from extensions import db
from training.models import Course, Requirement
from training.requirements import add_requirement

SHIPPED_COURSE = "cp-peace-ops"


def seed_requirements() -> str:
    """Require the shipped course in every peacekeeping mission, within 30 days of arrival (once)."""
    course = db.session.scalar(select(Course).filter_by(code=SHIPPED_COURSE))
    if course is None:
        return f"course {SHIPPED_COURSE} not imported yet; no requirement added"
    existing = db.session.scalar(select(Requirement).where(
        Requirement.course_id == course.id, Requirement.mission_kind == "peacekeeping", Requirement.is_active.is_(True)))
    if existing is not None:
        return f"{SHIPPED_COURSE} is already required in every peacekeeping mission"
    add_requirement(course, actor=None, categories=["military", "police", "civilian"], due_days=30, kind="peacekeeping")
    return f"{SHIPPED_COURSE} required in every peacekeeping mission, for everyone, within 30 days of arrival"


def register(app: Flask) -> None:
    from accounts.cli import add_seed_step

    # After coursepack's step, which imports the shipped course (app.register_cli keeps that order).
    add_seed_step(app, "training requirements", seed_requirements)
