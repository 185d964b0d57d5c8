"""Certificates for signed-in people: the holder's own, revocation by admins and course trainers,
and a mission's certificates as a ZIP. The public verification pages are in verify_views."""

from __future__ import annotations

import secrets
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from accounts.models import Mission, User
from audit.services import record
from certificates import badge, bulk, bulk_job, documents, keys, pdf, qr, services
from certificates.forms import CertificateSearchForm, RevokeForm, UnrevokeForm
from certificates.models import Certificate, CertificateStatus
from certificates.permissions import (
    can_download,
    can_export_mission,
    can_manage_any,
    can_manage_certificate,
    managed_course_ids,
)
from core.forms import EmptyForm
from database import utcnow
from extensions import db
from jobs import services as jobs
from training.i18n import pick
from training.models import Course

bp = Blueprint("certificates", __name__)

# A revoked or superseded certificate is history: its verification page says so, but it is not
# handed out again as a document that looks current.
DOWNLOADABLE = {CertificateStatus.VALID.value, CertificateStatus.EXPIRED.value}


def _load(certificate_id: int) -> Certificate:
    return db.get_or_404(Certificate, certificate_id)


def _downloadable(certificate_id: int) -> Certificate:
    certificate = _load(certificate_id)
    if not can_download(current_user, certificate):
        abort(403)
    if documents.current_status(certificate) not in DOWNLOADABLE:
        abort(403)
    return certificate


@bp.get("/certificates")
@login_required
def mine():
    """Signed-in people: their own certificates, newest first, with status, downloads and "Renew by"."""
    # The course's renewal window comes in the same query: one statement, however many certificates.
    found = db.session.execute(
        select(Certificate, Course).join(Course, Course.id == Certificate.course_id)
        .where(Certificate.user_id == current_user.id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    ).all()
    now = utcnow()
    rows = [(certificate, certificate.status_on(now), pdf_languages(certificate, course)) for certificate, course in found]
    renew_by = {certificate.id: certificate.expires_at.date() for certificate, course in found
                if certificate.status_on(now) == CertificateStatus.VALID.value
                and services.needs_new_certificate(certificate, course, now)}  # valid, in its renewal window
    return render_template("certificates/mine.html", rows=rows, downloadable=DOWNLOADABLE, renew_by=renew_by,
                           can_manage=can_manage_any(current_user))


@bp.get("/certificates/<int:certificate_id>/certificate.pdf")
@login_required
def download_pdf(certificate_id: int):
    """The holder (and admins / the course's trainers): the certificate as a PDF, in any of the course's languages."""
    certificate = _downloadable(certificate_id)
    language = request.args.get("lang") or certificate.language
    course = db.session.get(Course, certificate.course_id)
    if language not in pdf_languages(certificate, course):
        abort(404)
    title = None if language == certificate.language else pick(course.title, language, course.default_language)
    body = pdf.render(documents.certificate_document(certificate, language=language, course_title=title))
    record("certificate_downloaded", actor=current_user, target=f"certificate:{certificate.serial}", format="pdf",
           language=language)
    db.session.commit()
    suffix = "" if language == certificate.language else f"-{language}"
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="certificate-{certificate.serial}{suffix}.pdf"'})


def pdf_languages(certificate: Certificate, course: Course | None) -> list[str]:
    """The issue language first, then the course's other languages."""
    others = [code for code in (course.language_list if course else []) if code != certificate.language]
    return [certificate.language, *others]


@bp.get("/certificates/<int:certificate_id>/badge.jwt")
@login_required
def download_badge(certificate_id: int):
    """The holder only: the certificate as an Open Badges 3.0 credential signed as a JWT."""
    certificate = _load(certificate_id)
    if certificate.user_id != current_user.id:
        abort(403)
    if documents.current_status(certificate) not in DOWNLOADABLE:
        abort(403)
    # The audit record first: on a GET it takes the write lock the subject row may need.
    record("certificate_downloaded", actor=current_user, target=f"certificate:{certificate.serial}", format="badge")
    course = db.session.get(Course, certificate.course_id)
    base = documents.public_base_url()
    urls = documents.badge_urls(course.code, base)
    vc = badge.credential({
        "verify_url": documents.verify_url(certificate.code, base), "urls": urls,
        "issuer_name": documents.issuer_name(certificate.language),
        "subject_id": services.badge_subject(current_user), "email": current_user.email,
        "salt": secrets.token_hex(8), "course_title": certificate.course_title,
        "description": pick(course.description, certificate.language, course.default_language),
        "certificate_id": certificate.id, "issued_at": certificate.issued_at, "expires_at": certificate.expires_at,
    })
    # Signed today with today's key (a retired key signs nothing new); kid is the URL of its JWK.
    key_id, private_key = keys.active_key()
    token = badge.sign(vc, private_key, urls["key"](key_id))
    db.session.commit()
    return Response(token, mimetype="application/jwt", headers={
        "Content-Disposition": f'attachment; filename="badge-{certificate.serial}.jwt"'})


@bp.get("/certificates/<int:certificate_id>/qr")
@login_required
def show_qr(certificate_id: int):
    """The holder (and admins / the course's trainers): the QR code on screen, to show at a checkpoint."""
    certificate = _downloadable(certificate_id)
    text = qr.qr_text(documents.verify_url(certificate.code), services.payload_of(certificate))
    return render_template("certificates/qr.html", certificate=certificate, qr_image=qr.svg_data_uri(text, scale=5),
                           status=documents.current_status(certificate))


# --- revocation: admins and the course's owner / co-authors -----------------------------------

@bp.get("/certificates/manage")
@login_required
def manage():
    """Admins, and trainers for the courses they own or co-author: find certificates to revoke."""
    if not can_manage_any(current_user):
        abort(403)
    form = CertificateSearchForm(request.args)
    query = select(Certificate).order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    course_ids = managed_course_ids(current_user)
    if course_ids is not None:
        query = query.where(Certificate.course_id.in_(course_ids))
    term = (form.q.data or "").strip() if form.validate() else ""
    if term:
        like = f"%{term.replace('%', '').replace('_', '')}%"
        query = query.where(or_(Certificate.serial == term.upper(), Certificate.holder_name.ilike(like)))
    page = db.paginate(query, per_page=50, error_out=False)
    now = utcnow()
    return render_template("certificates/manage.html", form=form, page=page, term=term,
                           status_of=lambda certificate: certificate.status_on(now))


def _manageable(certificate_id: int) -> Certificate:
    certificate = _load(certificate_id)
    if not can_manage_certificate(current_user, certificate):
        abort(403)
    return certificate


def _detail_page(certificate: Certificate, revoke_form=None, unrevoke_form=None, status: int = 200,
                 error: str | None = None):
    holder = db.session.get(User, certificate.user_id)
    return render_template(
        "certificates/detail.html", certificate=certificate, holder=holder,
        status=documents.current_status(certificate), verify_url=documents.verify_url(certificate.code),
        revoke_form=revoke_form or RevokeForm(prefix="revoke"),
        unrevoke_form=unrevoke_form or UnrevokeForm(prefix="unrevoke"), error=error,
    ), status


@bp.get("/certificates/<int:certificate_id>")
@login_required
def detail(certificate_id: int):
    """Admins and the course's trainers: one certificate, its history, and revoke / restore."""
    return _detail_page(_manageable(certificate_id))


@bp.post("/certificates/<int:certificate_id>/revoke")
@login_required
def revoke(certificate_id: int):
    """Admins and the course's trainers: revoke a certificate, with a reason."""
    certificate = _manageable(certificate_id)
    form = RevokeForm(prefix="revoke")
    if not form.validate_on_submit():
        return _detail_page(certificate, revoke_form=form, status=400)
    try:
        services.revoke(certificate, actor=current_user, reason=form.reason.data)
    except services.CertificateError as error:
        return _detail_page(certificate, revoke_form=form, status=400, error=str(error))
    db.session.commit()
    flash(_("Certificate %(serial)s is revoked. Its verification page now says so.", serial=certificate.serial),
          "success")
    return redirect(url_for("certificates.detail", certificate_id=certificate.id))


@bp.post("/certificates/<int:certificate_id>/unrevoke")
@login_required
def unrevoke(certificate_id: int):
    """Admins and the course's trainers: make a revoked certificate valid again, with a reason."""
    certificate = _manageable(certificate_id)
    form = UnrevokeForm(prefix="unrevoke")
    if not form.validate_on_submit():
        return _detail_page(certificate, unrevoke_form=form, status=400)
    try:
        services.unrevoke(certificate, actor=current_user, reason=form.reason.data)
    except services.CertificateError as error:
        return _detail_page(certificate, unrevoke_form=form, status=400, error=str(error))
    db.session.commit()
    flash(_("Certificate %(serial)s is valid again.", serial=certificate.serial), "success")
    return redirect(url_for("certificates.detail", certificate_id=certificate.id))


# --- a mission's certificates as one ZIP ---------------------------------------------------------

@bp.post("/missions/<int:mission_id>/certificates-zip")
@login_required
def mission_zip_job(mission_id: int):
    """The mission's leads, HQ and admins: prepare the certificates ZIP in the background, then download it."""
    mission = db.get_or_404(Mission, mission_id)
    if not can_export_mission(current_user, mission):
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    moment = utcnow()
    params = {"mission_id": mission.id, "moment": moment.isoformat(), "base_url": documents.public_base_url(),
              "folder": f"certificates-{mission.code}-{date.today():%Y-%m-%d}"}
    job = jobs.create(bulk_job.KIND, actor=current_user, params=params, mission_id=mission.id)
    record("certificates_exported", actor=current_user, target=f"mission:{mission.code}",
           count=bulk.count_for_mission(mission.id, moment), job=job.id)
    job_id = job.id
    db.session.commit()
    jobs.enqueue(job_id)
    return redirect(url_for("jobs.show", job_id=job_id))


@bp.get("/missions/<int:mission_id>/certificates.zip")
@login_required
def mission_zip(mission_id: int):
    """The mission's leads, HQ and admins: PDFs of the valid certificates of everyone deployed there now."""
    mission = db.get_or_404(Mission, mission_id)
    if not can_export_mission(current_user, mission):
        abort(403)
    moment = utcnow()
    count = bulk.count_for_mission(mission.id, moment)
    record("certificates_exported", actor=current_user, target=f"mission:{mission.code}", count=count)
    db.session.commit()
    base_url = documents.public_base_url()
    folder = f"certificates-{mission.code}-{date.today():%Y-%m-%d}"
    chunks = bulk.zip_chunks(lambda: bulk.rows_for_mission(mission_id, moment), folder, base_url, moment=moment)
    return Response(stream_with_context(chunks), mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{folder}.zip"', "X-Certificate-Count": str(count)})
