"""What training announces to, and asks of, the packages built on it, without importing them.

Training sits below quizzes, certificates, readiness and reports (docs/architecture.md). Yet a
module is complete only once its quiz is passed, a completed course issues its certificate in the
same transaction, the certification cycle depends on the certificates held, and My training shows
each requirement's status and the person's reminders. So each app holds one `Hooks`, and
create_app fills it in one visible place (app.py, `register_training_hooks`): read that function
to see who answers what. An app that registers nothing gets the defaults below (no gate, no
certificate, cycle 0, no requirement, no notice).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from flask import Flask, current_app

from accounts.models import User
from training.models import Course, Module, ModuleVersion, Requirement


class Standing(Protocol):
    """A requirement's status for one person, as My training shows it (readiness.rule.Readiness)."""

    status: str
    due_on: date
    renew_by: date | None

    @property
    def renewal_due(self) -> bool: ...


class CycleCourse(Protocol):
    """What the cycles hook reads of a course: a Course, or a plain row of these columns
    (marking a lesson read passes the one the lesson page's statement brings)."""

    id: int
    renewal_window_days: int


ModuleGate = Callable[[User, ModuleVersion], bool]
ModuleCopied = Callable[[Module, Module], None]
CourseCompleted = Callable[[User, Course, datetime], object]
CycleSource = Callable[[int, Sequence[CycleCourse], datetime], dict[int, int]]
RequirementSource = Callable[[User, date | None], list[tuple[Requirement, Standing]]]
NoticeSource = Callable[[int, str], list[Any]]


def first_cycle(user_id: int, courses: Sequence[CycleCourse], moment: datetime) -> dict[int, int]:
    return {course.id: 0 for course in courses}


def no_requirements(user: User, on: date | None = None) -> list[tuple[Requirement, Standing]]:
    return []


def no_notices(user_id: int, lang: str) -> list[Any]:
    return []


@dataclass
class Hooks:
    # Asked before a module version counts as complete: every gate must say yes.
    module_gates: list[ModuleGate] = field(default_factory=list)
    # Told when a course copy has made its copy of a module (source, copy), in the same transaction.
    module_copied: list[ModuleCopied] = field(default_factory=list)
    # Told when a completion completes a course, in the caller's transaction (before it commits).
    course_completed: list[CourseCompleted] = field(default_factory=list)
    # Asked which certification cycle each course's completions count toward now.
    cycles: CycleSource = first_cycle
    # Asked which requirements apply to a person now, each with its status (My training, course page).
    requirements: RequirementSource = no_requirements
    # Asked for the notices My training shows the person (recent reminders).
    notices: NoticeSource = no_notices


def init_app(app: Flask) -> Hooks:
    """Give the app its (empty) hooks; create_app fills them in."""
    app.extensions["training"] = Hooks()
    return app.extensions["training"]


def hooks() -> Hooks:
    return current_app.extensions["training"]
