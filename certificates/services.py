"""Issuing, superseding and revoking certificates. Adds and flushes; the caller commits."""

from __future__ import annotations

import calendar
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from functools import cache

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from accounts.models import User
from audit.services import record
from certificates import keys, signing
from certificates.models import BadgeSubject, Certificate, CertificateStatus
from core.reads import rows
from database import AUDIT_CHAIN_LOCK, advisory_lock, utcnow
from extensions import db
from training.hooks import CycleCourse
from training.i18n import pick
from training.models import Completion, Course

SERIAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class CertificateError(ValueError):
    """A request that breaks a rule; the message is safe to show."""


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def latest_certificate(user_id: int, course_id: int) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(Certificate.user_id == user_id, Certificate.course_id == course_id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc()).limit(1)
    )


def certificate_count(user_id: int, course_id: int) -> int:
    return db.session.scalar(select(func.count(Certificate.id)).where(
        Certificate.user_id == user_id, Certificate.course_id == course_id)) or 0


def needs_new_certificate(current: Certificate | None, course: CycleCourse, moment: datetime) -> bool:
    """A first completion, a completion after expiry or revocation, or one inside the renewal window."""
    if current is None or current.status != CertificateStatus.VALID.value:
        return True
    expires = _aware(current.expires_at)
    return moment >= expires - timedelta(days=course.renewal_window_days)


@cache
def _held_statement():
    # Built once per process: My training, the course and the module page all ask for the cycles.
    # Plain rows of the three columns the cycles need (needs_new_certificate reads status and
    # expires_at): whole Certificate objects, with their signed documents, cost 5-10x more.
    return (select(Certificate.course_id, Certificate.status, Certificate.expires_at)
            .where(Certificate.user_id == bindparam("user_id"),
                   Certificate.course_id.in_(bindparam("course_ids", expanding=True)))
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc()))


def certification_cycles(user_id: int, courses: Sequence[CycleCourse], moment: datetime) -> dict[int, int]:
    """Which certification cycle each course's completions count toward now (training's cycles hook).

    The n-th certificate closes cycle n-1. While the newest certificate is valid and outside its
    renewal window, further completions still belong to its cycle; once renewal is open (window,
    expiry or revocation), they start the next one. One statement: a person holds few certificates.
    """
    held: dict[int, list] = {}
    for certificate in rows(_held_statement(), {"user_id": user_id, "course_ids": [c.id for c in courses]}):
        held.setdefault(certificate.course_id, []).append(certificate)
    cycles = {}
    for course in courses:
        issued = held.get(course.id, [])
        if not issued:
            cycles[course.id] = 0
        else:
            cycles[course.id] = len(issued) if needs_new_certificate(issued[0], course, moment) else len(issued) - 1
    return cycles


def delivery_mode_of(user_id: int, course: Course, cycle: int) -> str:
    """How the completions of this certification cycle were made: "online" or "in_person" when all
    were made the same way, else "mixed" (a requirement may accept only one way: readiness.rule)."""
    module_ids = [m.id for m in course.modules if not m.is_archived]
    modes = set(db.session.scalars(select(Completion.delivery_mode).distinct().where(
        Completion.user_id == user_id, Completion.module_id.in_(module_ids), Completion.cycle == cycle)))
    if not modes:
        return "online"
    return modes.pop() if len(modes) == 1 else "mixed"


def issue_for_course(user: User, course: Course, completed_at: datetime | None = None) -> Certificate | None:
    """Issue the certificate for a completed course, exactly once per completion cycle. Training's
    course_completed hook (app.py wires it), so it runs in the completing request's transaction.

    Returns the new certificate, or the existing one when it is still valid and outside the
    renewal window (completing a course twice in a row issues nothing new).
    """
    moment = _aware(completed_at or utcnow())
    _serialise_issuing(user.id, course.id)
    current = latest_certificate(user.id, course.id)
    if not needs_new_certificate(current, course, moment):
        return current
    sequence = certificate_count(user.id, course.id) + 1
    issue_key = f"{user.id}:{course.id}:{sequence}"
    try:
        with db.session.begin_nested():
            certificate = _build(user, course, moment, issue_key)
            # The n-th certificate closes cycle n-1 (training.progress.current_cycle).
            certificate.delivery_mode = delivery_mode_of(user.id, course, sequence - 1)
            db.session.add(certificate)
            db.session.flush()
            if current is not None and current.status == CertificateStatus.VALID.value:
                current.status = CertificateStatus.SUPERSEDED.value
                current.superseded_by_id = certificate.id
                certificate.supersedes_id = current.id
                record("certificate_superseded", actor=user, target=f"certificate:{current.serial}",
                       by=certificate.serial)
            elif current is not None:
                certificate.supersedes_id = current.id
            record("certificate_issued", actor=user, target=f"certificate:{certificate.serial}",
                   course=course.code, expires_at=certificate.expires_at.date().isoformat())
            db.session.flush()
    except IntegrityError:
        # A parallel request issued this cycle's certificate first: that one is the certificate.
        return db.session.scalar(select(Certificate).where(Certificate.issue_key == issue_key))
    return certificate


def _serialise_issuing(user_id: int, course_id: int) -> None:
    """One issuer at a time per person and course, until the transaction ends. Without it, on
    PostgreSQL (read committed: each statement sees the latest commits) a request could read "no
    certificate yet", then count one issued meanwhile and issue a second under the next key.
    SQLite needs nothing: writing requests hold the database's write lock from their first
    statement (database.py)."""
    # The audit chain's lock first, as every other writer takes it (a completion is recorded before
    # its certificate is issued): taken in the other order, two requests could deadlock.
    advisory_lock(db.session, AUDIT_CHAIN_LOCK)
    advisory_lock(db.session, f"certificate:{user_id}:{course_id}")


def _build(user: User, course: Course, moment: datetime, issue_key: str) -> Certificate:
    key_id, private_key = keys.active_key()
    language = user.preferred_language if user.preferred_language in course.language_list else course.default_language
    expires_at = add_months(moment, course.validity_months)
    serial = f"{course.code.upper()[:8]}-{moment:%Y}-" + "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(6))
    course_title = pick(course.title, language, course.default_language)
    claims = signing.Claims(serial=serial, name=user.name, course=course_title, issued=moment.date(),
                            expires=expires_at.date(), key_id=key_id)
    signature = signing.sign(claims, private_key)
    return Certificate(
        serial=serial, code=secrets.token_urlsafe(24), check_code=signing.check_code(signature),
        issue_key=issue_key, user_id=user.id, course_id=course.id, course_version=course.version,
        holder_name=user.name, holder_name_arabic=user.name_arabic or None, course_title=course_title,
        language=language, issued_at=moment,
        expires_at=expires_at, status=CertificateStatus.VALID.value, key_id=key_id, signature=signature,
    )


def claims_of(certificate: Certificate) -> signing.Claims:
    return signing.Claims(serial=certificate.serial, name=certificate.holder_name, course=certificate.course_title,
                          issued=_aware(certificate.issued_at).date(), expires=_aware(certificate.expires_at).date(),
                          key_id=certificate.key_id)


def payload_of(certificate: Certificate) -> str:
    return signing.payload(claims_of(certificate), certificate.signature)


def revoke(certificate: Certificate, *, actor: User, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        raise CertificateError("Give a reason for the revocation.")
    if certificate.status == CertificateStatus.REVOKED.value:
        raise CertificateError("This certificate is already revoked.")
    if certificate.status == CertificateStatus.SUPERSEDED.value:
        raise CertificateError("This certificate was superseded; revoke the newer one instead.")
    certificate.status = CertificateStatus.REVOKED.value
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason[:500]
    certificate.revoked_by_id = actor.id
    record("certificate_revoked", actor=actor, target=f"certificate:{certificate.serial}", reason=reason[:500])
    db.session.flush()


def unrevoke(certificate: Certificate, *, actor: User, reason: str) -> None:
    if certificate.status != CertificateStatus.REVOKED.value:
        raise CertificateError("Only a revoked certificate can be restored.")
    newer = db.session.scalar(select(func.count(Certificate.id)).where(
        Certificate.user_id == certificate.user_id, Certificate.course_id == certificate.course_id,
        Certificate.issued_at > certificate.issued_at))
    if newer:
        raise CertificateError("A newer certificate exists for this course; this one cannot be restored.")
    certificate.status = CertificateStatus.VALID.value
    certificate.revoked_at = None
    certificate.revoked_reason = None
    certificate.revoked_by_id = None
    record("certificate_unrevoked", actor=actor, target=f"certificate:{certificate.serial}", reason=reason.strip()[:500])
    db.session.flush()


def badge_subject(user: User) -> str:
    """The person's Open Badges subject URN, made on their first badge and kept for good."""
    existing = db.session.scalar(select(BadgeSubject.subject_id).where(BadgeSubject.user_id == user.id))
    if existing:
        return existing
    subject_id = f"urn:uuid:{uuid.uuid4()}"
    try:
        with db.session.begin_nested():  # a second tab making the same row at the same moment
            db.session.add(BadgeSubject(user_id=user.id, subject_id=subject_id))
    except IntegrityError:
        return db.session.scalar(select(BadgeSubject.subject_id).where(BadgeSubject.user_id == user.id))
    return subject_id


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
