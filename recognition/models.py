"""An outside certificate (another UN course, a contributing country's pre-deployment course) that
an admin or the person's mission lead recognises as meeting one requirement until a set day.

Readiness counts it as "cleared (recognised)" until `expires_at` (readiness.rule). Nothing is
deleted: a removal keeps the row with `removed_at`, and every record, change and removal is on
the audit log (recognition.services).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from accounts.models import User
from database import TimestampMixin
from extensions import db
from training.models import Requirement

EVIDENCE_MEDIA_TYPE = "image/webp"  # evidence is re-encoded like lesson images (training.images)


class OutsideCertificate(TimestampMixin, db.Model):
    __tablename__ = "outside_certificates"
    __table_args__ = (
        # At most one recognition in force per person and requirement, so readiness joins it one
        # to one; a renewed outside certificate is recorded by changing that row.
        Index("uq_outside_certificates_in_force", "user_id", "requirement_id", unique=True,
              sqlite_where=text("removed_at IS NULL"), postgresql_where=text("removed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirements.id"), index=True)
    issuer: Mapped[str] = mapped_column(String(200))
    course_name: Mapped[str] = mapped_column(String(300))
    completed_on: Mapped[date]
    certificate_expires_on: Mapped[date | None]  # the outside certificate's own expiry, when it has one
    # The end of the recognition: midnight UTC of the day it stops counting, so readiness compares
    # it with the moment exactly as it does a certificate's expiry.
    expires_at: Mapped[datetime]
    evidence: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))  # a re-encoded WebP picture
    evidence_name: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[datetime | None]
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    requirement: Mapped[Requirement] = relationship()

    @property
    def expires_on(self) -> date:
        return self.expires_at.date()

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence_name)
