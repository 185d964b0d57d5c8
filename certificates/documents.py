"""Reads: finding certificates, and turning one into the plain dicts that pages, PDFs and JSON use.

Nothing here writes. PDFs are rendered from `certificate_document()` (a dict holding no database
object), so a bulk export can let go of each row as soon as its dict is made.
"""

from __future__ import annotations

import hmac
import os
import re
from datetime import datetime, timezone

from flask import current_app, has_request_context, request
from sqlalchemy import select

from certificates import qr, services
from certificates.models import Certificate, CertificateStatus
from certificates.wording import certificate_labels
from database import utcnow
from extensions import db

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def public_base_url() -> str:
    """Where printed QR codes point. Set PUBLIC_BASE_URL in production: paper outlives host names."""
    configured = current_app.config.get("PUBLIC_BASE_URL") or os.environ.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.url_root.rstrip("/")
    return DEFAULT_BASE_URL


def verify_url(code: str, base_url: str | None = None) -> str:
    return f"{base_url or public_base_url()}/verify/{code}"


def badge_urls(course_code: str | None = None, base_url: str | None = None) -> dict:
    """Where the Open Badges pieces live: all on PUBLIC_BASE_URL, like the printed verify links."""
    base = base_url or public_base_url()
    return {
        "site": f"{base}/",
        "issuer": f"{base}/badges/issuer",
        "achievement": f"{base}/badges/achievements/{course_code}" if course_code else None,
        "status_list": lambda number: f"{base}/badges/status/{number}",
        "key": lambda key_id: f"{base}/verify/keys/{key_id}.json",
    }


_CODE_FORM = re.compile(r"[A-Za-z0-9_-]{16,64}")
_SERIAL_FORM = re.compile(r"[A-Z0-9-]{1,40}")


def find_by_code(code: str) -> Certificate | None:
    if not _CODE_FORM.fullmatch(code or ""):
        return None  # not even shaped like a code (and no NUL byte reaches PostgreSQL)
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def find_by_serial_and_check(serial: str, check_code: str) -> Certificate | None:
    """The certificate whose serial and short check code both match; None for any mismatch."""
    serial = "".join(serial.split()).upper()
    check = "".join(check_code.split()).replace("-", "").upper()
    if not _SERIAL_FORM.fullmatch(serial) or not check.isalnum() or len(check) > 12:
        return None
    certificate = db.session.scalar(select(Certificate).where(Certificate.serial == serial))
    if certificate is None or not hmac.compare_digest(certificate.check_code.encode(), check.encode()):
        return None
    return certificate


def current_status(certificate: Certificate, moment: datetime | None = None) -> str:
    return certificate.status_on(moment or utcnow())


def public_record(certificate: Certificate, moment: datetime | None = None) -> dict:
    """What anyone may learn from a verification code: the contract of /verify/<code>.json.

    Always these keys; the revocation and supersession ones are null unless they apply.
    """
    status = current_status(certificate, moment)
    revoked = status == CertificateStatus.REVOKED.value
    superseded = status == CertificateStatus.SUPERSEDED.value and certificate.superseded_by is not None
    return {
        "name": certificate.holder_name,
        "course": certificate.course_title,
        "issued": _aware(certificate.issued_at).date().isoformat(),
        "expires": _aware(certificate.expires_at).date().isoformat(),
        "status": status,
        "revoked_at": _iso(certificate.revoked_at) if revoked else None,
        "revocation_reason": certificate.revoked_reason if revoked else None,
        "superseded_by": verify_url(certificate.superseded_by.code) if superseded else None,
    }


def certificate_document(certificate: Certificate, base_url: str | None = None,
                         payload: str | None = None, *, language: str | None = None,
                         course_title: str | None = None) -> dict:
    """Everything the PDF shows, as plain values (see certificates.pdf for the keys).

    `language` and `course_title` give the same certificate in another of the course's languages:
    only the printed words change. The QR payload carries the claims signed at issue (in the
    issue language), so every language's PDF has the same serial, signature and check code.
    """
    url = verify_url(certificate.code, base_url)
    return {
        "language": language or certificate.language,
        "holder_name": certificate.holder_name,
        "holder_name_arabic": certificate.holder_name_arabic,
        "course_title": course_title or certificate.course_title,
        "issued_on": _aware(certificate.issued_at).date(),
        "expires_on": _aware(certificate.expires_at).date(),
        "serial": certificate.serial,
        "check_code": certificate.check_code,
        "key_id": certificate.key_id,
        "verify_url": url,
        "qr_text": qr.qr_text(url, payload or services.payload_of(certificate)),
        "issuer": current_app.config.get("CERTIFICATE_ISSUER"),
        "delivery_mode": certificate.delivery_mode,
    }


def issuer_name(language: str) -> str:
    """The issuing body as printed on certificates (CERTIFICATE_ISSUER overrides the default)."""
    return current_app.config.get("CERTIFICATE_ISSUER") or certificate_labels(language)["issuer"]


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return _aware(moment).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
