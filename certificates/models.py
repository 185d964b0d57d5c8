"""Certificates and the keys that sign them. Nothing here is ever deleted."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from database import utcnow
from extensions import db

if TYPE_CHECKING:
    from training.models import Course


class CertificateStatus(str, enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"        # derived from expires_at, never stored
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint("status IN ('valid', 'revoked', 'superseded')", name="status"),
        Index("ix_certificates_user_course", "user_id", "course_id", "issued_at"),
        # Readiness looks up a person's valid certificate, its expiry and how it was earned without
        # reading the row.
        Index("ix_certificates_user_course_status", "user_id", "course_id", "status", "expires_at", "delivery_mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # >= 128 random bits, URL-safe
    check_code: Mapped[str] = mapped_column(String(12))          # short, read over a phone
    # "user:course:n" - the n-th certificate of this person for this course. A retry or a
    # second tab computes the same key and hits the unique constraint instead of issuing twice.
    issue_key: Mapped[str] = mapped_column(String(80), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    course_version: Mapped[int]
    holder_name: Mapped[str] = mapped_column(String(200))
    # Printed on the Arabic PDF beside the signed Latin name; not a signed claim, so that the
    # claims stay the same whatever the language of the PDF.
    holder_name_arabic: Mapped[str | None] = mapped_column(String(200))
    course_title: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(5), default="en")
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default=CertificateStatus.VALID.value)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(500))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    key_id: Mapped[str] = mapped_column(String(40))
    signature: Mapped[str] = mapped_column(Text)  # base64url Ed25519 over the canonical payload
    # How the completions that earned it were made: online | in_person when all the same, else mixed
    # (certificates.services.delivery_mode_of). Printed on the PDF, not a signed claim, not on /verify;
    # a requirement may accept only one way (readiness.rule).
    delivery_mode: Mapped[str] = mapped_column(String(12), default="online", server_default="online")

    course: Mapped[Course] = relationship(viewonly=True)
    supersedes: Mapped[Certificate | None] = relationship(foreign_keys=[supersedes_id], remote_side=[id])
    superseded_by: Mapped[Certificate | None] = relationship(foreign_keys=[superseded_by_id], remote_side=[id])

    def status_on(self, moment: datetime) -> str:
        if self.status != CertificateStatus.VALID.value:
            return self.status
        expires = self.expires_at if self.expires_at.tzinfo else self.expires_at.replace(tzinfo=moment.tzinfo)
        return CertificateStatus.EXPIRED.value if expires <= moment else CertificateStatus.VALID.value


class SigningKey(db.Model):
    """A signing key: its public half, and its private half sealed with KEY_ENCRYPTION_KEY.

    Every host reads the same active key from here (certificates.keys). Rows made before keys
    moved into the database have no sealed half until their instance/ file is imported.
    """

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(40), unique=True)
    public_key: Mapped[str] = mapped_column(String(100))  # base64url raw Ed25519 public key
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
    private_key_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)


class BadgeSubject(db.Model):
    """The holder's id in Open Badges (`credentialSubject.id`, the JWT `sub`).

    A random URN rather than anything derived from the person or from a secret: it reveals nothing,
    and it stays the same across key rotation, secret rotation and name changes, so every badge a
    person ever holds names the same subject.
    """

    __tablename__ = "badge_subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    subject_id: Mapped[str] = mapped_column(String(60), unique=True)  # urn:uuid:<uuid4>
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
