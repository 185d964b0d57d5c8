"""Issuing exactly once, recertification, revocation and the signed payload."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from accounts.models import User
from certificates import keys, services, signing
from certificates.models import Certificate
from extensions import db
from training.models import Course


@pytest.fixture
def course(app):
    course = Course(code="cp-test", title={"en": "Child Protection", "fr": "Protection de l'enfance"},
                    validity_months=12, renewal_window_days=30, languages="en,fr")
    db.session.add(course)
    db.session.commit()
    return course


def _count() -> int:
    return db.session.scalar(select(func.count(Certificate.id)))


def test_issue_signs_a_verifiable_payload(app, learner, course):
    certificate = services.issue_for_course(learner, course)
    db.session.commit()
    assert len(certificate.code) >= 22  # 18+ random bytes, base64url
    claims = signing.verify_payload(services.payload_of(certificate), keys.public_keys())
    assert claims.name == learner.name and claims.serial == certificate.serial
    assert certificate.expires_at.date() > certificate.issued_at.date() + timedelta(days=360)


def test_completing_again_while_valid_issues_nothing(app, learner, course):
    first = services.issue_for_course(learner, course)
    again = services.issue_for_course(learner, course)
    assert again.id == first.id and _count() == 1


def test_recertification_inside_renewal_window_supersedes(app, learner, course):
    issued = datetime.now(timezone.utc) - timedelta(days=350)
    old = services.issue_for_course(learner, course, issued)
    new = services.issue_for_course(learner, course)
    db.session.commit()
    assert new.id != old.id and new.supersedes_id == old.id
    assert old.status == "superseded" and old.superseded_by_id == new.id


def test_recertification_after_expiry(app, learner, course):
    old = services.issue_for_course(learner, course, datetime.now(timezone.utc) - timedelta(days=800))
    assert old.status_on(datetime.now(timezone.utc)) == "expired"
    new = services.issue_for_course(learner, course)
    assert new.id != old.id and old.status == "superseded"


def test_revoke_and_unrevoke_are_logged(app, learner, admin, course):
    certificate = services.issue_for_course(learner, course)
    with pytest.raises(services.CertificateError):
        services.revoke(certificate, actor=admin, reason="  ")
    services.revoke(certificate, actor=admin, reason="Issued in error")
    assert certificate.status == "revoked" and certificate.revoked_reason == "Issued in error"
    services.unrevoke(certificate, actor=admin, reason="Checked: it was right")
    assert certificate.status == "valid"
    from audit.models import AuditEvent

    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["certificate_revoked", "certificate_unrevoked"]


def test_tampered_payload_is_rejected(app, learner, course):
    payload = services.payload_of(services.issue_for_course(learner, course))
    body = payload.split(".")[1]
    flipped = body[:-3] + ("A" if body[-3] != "A" else "B") + body[-2:]
    with pytest.raises(signing.PayloadError):
        signing.verify_payload(payload.replace(body, flipped), keys.public_keys())
    forged = signing.Claims("X-1", "Someone Else", "Child Protection", datetime.now().date(),
                            datetime.now().date(), "unknown-key")
    with pytest.raises(signing.PayloadError, match="unknown signing key"):
        signing.verify_payload(signing.payload(forged, "AAAA"), keys.public_keys())


def test_retired_key_still_verifies(app, learner, course):
    old = services.issue_for_course(learner, course)
    keys.rotate()
    other = User(service_number="ROT-1", name="Rotated Person", category="police")
    db.session.add(other)
    db.session.flush()
    new = services.issue_for_course(other, course)
    assert new.key_id != old.key_id
    for certificate in (old, new):
        signing.verify_payload(services.payload_of(certificate), keys.public_keys())


def test_one_certificate_under_ten_parallel_completions(app, learner, course):
    barrier = threading.Barrier(10)
    errors: list[BaseException] = []
    user_id, course_id = learner.id, course.id

    def complete() -> None:
        try:
            barrier.wait(timeout=10)
            # A POST request context, as in production: SQLite takes the write lock up front.
            with app.test_request_context("/", method="POST"):
                user = db.session.get(User, user_id)
                services.issue_for_course(user, db.session.get(Course, course_id))
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=complete) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    db.session.rollback()  # drop this session's snapshot to see what the threads committed
    assert _count() == 1
