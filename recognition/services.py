"""Recording, changing and removing recognised outside certificates. Adds and flushes; the view commits.

Every record, change and removal is one audit event naming the person, the requirement and the
dates. Who may do it is decided by recognition.permissions; these functions check the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy import or_, select

from accounts.models import Mission, User
from accounts.services import current_deployments
from audit.services import record
from database import utcnow
from extensions import db
from recognition.models import OutsideCertificate
from training.images import CleanImage
from training.models import Requirement
from training.versions import VersionError

MAX_YEARS = 5  # a recognition ends at most this many years from today: outside courses age too


class RecognitionError(VersionError):
    """A recognition that cannot be saved; the message is safe to show."""


@dataclass(frozen=True)
class Details:
    """What is recorded about an outside certificate (from the form or a CSV row)."""

    issuer: str
    course_name: str
    completed_on: date
    certificate_expires_on: date | None
    recognised_until: date  # the day it stops counting (like a certificate's expiry date)


def expiry_instant(day: date) -> datetime:
    """Midnight UTC starting `day`: from then on the recognition no longer counts."""
    return datetime.combine(day, time(), timezone.utc)


def problems_with(details: Details, today: date) -> list[str]:
    """Every reason the details cannot be saved (empty when they can). Pure: the form and the
    CSV import share it, so both say the same thing."""
    problems = []
    if not details.issuer.strip():
        problems.append("issuer is missing")
    if not details.course_name.strip():
        problems.append("course name is missing")
    if len(details.issuer) > 200:
        problems.append("issuer is longer than 200 characters")
    if len(details.course_name) > 300:
        problems.append("course name is longer than 300 characters")
    if details.completed_on > today:
        problems.append("the course was completed in the future")
    expires = details.certificate_expires_on
    if expires is not None and expires <= details.completed_on:
        problems.append("the certificate expires before it was completed")
    if details.recognised_until <= today:
        problems.append("the recognition must end after today")
    if expires is not None and details.recognised_until > expires:
        problems.append("the recognition cannot last beyond the certificate's own expiry")
    if details.recognised_until > date(today.year + MAX_YEARS, today.month, min(today.day, 28)):
        problems.append(f"the recognition can last at most {MAX_YEARS} years")
    return problems


def current_mission(person: User, on: date | None = None) -> Mission | None:
    deployment = person.current_deployment(on or utcnow().date())
    return deployment.mission if deployment is not None else None


def requirements_for_person(person: User, on: date | None = None) -> list[Requirement]:
    """The active requirements that apply to the person now: their mission's own or its kind's, their category."""
    mission = current_mission(person, on)
    if mission is None:
        return []
    found = db.session.scalars(select(Requirement).where(
        Requirement.is_active.is_(True),
        or_(Requirement.mission_id == mission.id, Requirement.mission_kind == mission.kind)).order_by(Requirement.id))
    return [requirement for requirement in found if person.category in requirement.category_list]


def in_force(person_id: int, requirement_id: int) -> OutsideCertificate | None:
    return db.session.scalar(select(OutsideCertificate).where(
        OutsideCertificate.user_id == person_id, OutsideCertificate.requirement_id == requirement_id,
        OutsideCertificate.removed_at.is_(None)))


def _summary(outside: OutsideCertificate) -> dict:
    return {"issuer": outside.issuer, "course_name": outside.course_name,
            "completed_on": outside.completed_on.isoformat(),
            "certificate_expires_on": outside.certificate_expires_on.isoformat() if outside.certificate_expires_on else None,
            "recognised_until": outside.expires_on.isoformat(), "evidence": outside.has_evidence}


def record_outside_certificate(person: User, requirement: Requirement, details: Details, *, actor: User,
                               evidence: CleanImage | None = None, evidence_name: str = "",
                               source: str = "form") -> OutsideCertificate:
    """Recognise an outside certificate as meeting `requirement` for `person` until details.recognised_until."""
    problems = problems_with(details, utcnow().date())
    if requirement.id not in {r.id for r in requirements_for_person(person)}:
        problems.append("this requirement does not apply to the person where they are deployed now")
    elif in_force(person.id, requirement.id) is not None:
        problems.append("an outside certificate is already recognised for this person and requirement: change it")
    if problems:
        raise RecognitionError("; ".join(problems))
    outside = OutsideCertificate(user_id=person.id, requirement_id=requirement.id, recorded_by_id=actor.id)
    _apply(outside, details, evidence, evidence_name)
    db.session.add(outside)
    db.session.flush()
    record("outside_certificate_recorded", actor=actor, target=f"outside_certificate:{outside.id}",
           person=person.service_number, requirement=requirement.id, source=source, **_summary(outside))
    return outside


def change_outside_certificate(outside: OutsideCertificate, details: Details, *, actor: User,
                               evidence: CleanImage | None = None, evidence_name: str = "") -> None:
    """Change the details (a renewed outside certificate, a typo); new evidence replaces the old."""
    if outside.removed_at is not None:
        raise RecognitionError("This recognition was removed.")
    problems = problems_with(details, utcnow().date())
    if problems:
        raise RecognitionError("; ".join(problems))
    before = _summary(outside)
    _apply(outside, details, evidence, evidence_name)
    db.session.flush()
    record("outside_certificate_changed", actor=actor, target=f"outside_certificate:{outside.id}",
           person=outside.user.service_number, requirement=outside.requirement_id, before=before,
           after=_summary(outside))


def remove_outside_certificate(outside: OutsideCertificate, *, actor: User) -> None:
    """Stop recognising it; the row stays (removed_at), so the audit log keeps its meaning."""
    if outside.removed_at is not None:
        raise RecognitionError("This recognition was already removed.")
    outside.removed_at = utcnow()
    outside.removed_by_id = actor.id
    db.session.flush()
    record("outside_certificate_removed", actor=actor, target=f"outside_certificate:{outside.id}",
           person=outside.user.service_number, requirement=outside.requirement_id, **_summary(outside))


def _apply(outside: OutsideCertificate, details: Details, evidence: CleanImage | None, evidence_name: str) -> None:
    outside.issuer = details.issuer.strip()
    outside.course_name = details.course_name.strip()
    outside.completed_on = details.completed_on
    outside.certificate_expires_on = details.certificate_expires_on
    outside.expires_at = expiry_instant(details.recognised_until)
    if evidence is not None:
        outside.evidence = evidence.data
        outside.evidence_name = (evidence_name or "evidence").strip()[:200] or "evidence"


def recognised_in_mission(mission: Mission, on: date | None = None) -> list[tuple[OutsideCertificate, User]]:
    """The recognitions in force (ended ones too, until removed) of the people deployed in the mission now."""
    deployment = current_deployments(on or utcnow().date())
    return list(db.session.execute(
        select(OutsideCertificate, User).join(User, User.id == OutsideCertificate.user_id)
        .join(deployment, deployment.c.user_id == User.id)
        .where(deployment.c.mission_id == mission.id, OutsideCertificate.removed_at.is_(None))
        .order_by(OutsideCertificate.expires_at, User.name)).all())
