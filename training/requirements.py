"""Setting which courses a mission (or every mission of a kind) requires. Adds and flushes; the view commits.

Every change is written to the audit log. Removing a requirement switches it off rather than
deleting it, so reports of the past can still say what was required.
"""

from __future__ import annotations

from sqlalchemy import select

from accounts.models import CATEGORIES, MISSION_KINDS, Mission, User
from audit.services import record
from extensions import db
from training.models import SATISFIED_BY, Course, Requirement
from training.versions import VersionError

DUE_DAYS_LIMIT = 730


class RequirementError(VersionError):
    """A requirement that cannot be saved; the message is safe to show."""


def _clean(categories: list[str], due_days: int) -> str:
    chosen = [c for c in CATEGORIES if c in set(categories)]
    if not chosen:
        raise RequirementError("Choose at least one category of staff.")
    if not -DUE_DAYS_LIMIT <= due_days <= DUE_DAYS_LIMIT:
        raise RequirementError(f"The due date must be within {DUE_DAYS_LIMIT} days of arrival.")
    return ",".join(chosen)


def _describe(requirement: Requirement) -> str:
    if requirement.mission_id is not None:
        return f"mission:{requirement.mission_id}"
    return f"kind:{requirement.mission_kind}"


def active_requirements(*, mission: Mission | None = None, kind: str | None = None) -> list[Requirement]:
    query = select(Requirement).where(Requirement.is_active.is_(True))
    if mission is not None:
        query = query.where(Requirement.mission_id == mission.id)
    elif kind is not None:
        query = query.where(Requirement.mission_kind == kind)
    else:
        query = query.where(Requirement.mission_kind.is_not(None))
    return list(db.session.scalars(query.order_by(Requirement.mission_kind, Requirement.id)))


def _satisfied_by(value: str) -> str:
    if value not in SATISFIED_BY:
        raise RequirementError("Choose what satisfies the requirement: online, in person, or either.")
    return value


def add_requirement(course: Course, *, actor: User | None, categories: list[str], due_days: int,
                    mission: Mission | None = None, kind: str | None = None,
                    satisfied_by: str = "either") -> Requirement:
    if (mission is None) == (kind is None):
        raise RequirementError("A requirement applies either to one mission or to every mission of a kind.")
    if kind is not None and kind not in MISSION_KINDS:
        raise RequirementError("Choose a kind of mission.")
    requirement = Requirement(course_id=course.id, mission_id=mission.id if mission else None, mission_kind=kind,
                              categories=_clean(categories, due_days), due_days=due_days,
                              satisfied_by=_satisfied_by(satisfied_by), created_by_id=getattr(actor, "id", None))
    db.session.add(requirement)
    db.session.flush()
    record("requirement_added", actor=actor, target=f"requirement:{requirement.id}", course=course.code,
           scope=_describe(requirement), categories=requirement.categories, due_days=due_days,
           satisfied_by=requirement.satisfied_by)
    return requirement


def change_requirement(requirement: Requirement, *, actor: User, categories: list[str], due_days: int,
                       satisfied_by: str | None = None) -> None:
    before = {"categories": requirement.categories, "due_days": requirement.due_days,
              "satisfied_by": requirement.satisfied_by}
    requirement.categories = _clean(categories, due_days)
    requirement.due_days = due_days
    requirement.satisfied_by = _satisfied_by(satisfied_by or requirement.satisfied_by)
    db.session.flush()
    record("requirement_changed", actor=actor, target=f"requirement:{requirement.id}", scope=_describe(requirement),
           before=before, after={"categories": requirement.categories, "due_days": due_days,
                                 "satisfied_by": requirement.satisfied_by})


def remove_requirement(requirement: Requirement, *, actor: User) -> None:
    if not requirement.is_active:
        raise RequirementError("This requirement was already removed.")
    requirement.is_active = False
    db.session.flush()
    record("requirement_removed", actor=actor, target=f"requirement:{requirement.id}", scope=_describe(requirement),
           course=requirement.course.code)
