"""Recognised outside certificates: a mission's list, recording one, changing or removing it, its
evidence, and recording many from a CSV file. Leads of the person's mission and admins record;
HQ reads; learners have nothing here."""

from __future__ import annotations

from pathlib import PurePath

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from accounts.models import Mission, User
from accounts.roster import RosterFileError, decode_roster
from core.forms import EmptyForm
from core.permissions import require, role_required
from database import utcnow
from extensions import db
from recognition import bulk, services
from recognition.forms import (
    NewOutsideCertificateForm,
    OutsideCertificateForm,
    RecognitionApplyForm,
    RecognitionUploadForm,
)
from recognition.models import EVIDENCE_MEDIA_TYPE, OutsideCertificate
from recognition.permissions import can_record_recognitions, can_view_recognitions
from training import images
from training.i18n import pick
from training.models import Course, Requirement
from training.player import interface_language

bp = Blueprint("recognition", __name__, url_prefix="/recognised")


def _mission(mission_id: int) -> Mission:
    mission = db.get_or_404(Mission, mission_id)
    require(can_view_recognitions(current_user, mission))
    return mission


def _record(outside_id: int, *, to_change: bool) -> tuple[OutsideCertificate, Mission | None]:
    """Load, then authorise against the person's mission now (a person who rotated is their new mission's)."""
    outside = db.get_or_404(OutsideCertificate, outside_id)
    if outside.removed_at is not None:
        abort(404)
    mission = services.current_mission(outside.user)
    require((can_record_recognitions if to_change else can_view_recognitions)(current_user, mission))
    return outside, mission


def _requirement_choices(mission: Mission) -> list[tuple[int, str]]:
    lang = interface_language()
    found = db.session.execute(select(Requirement, Course).join(Course, Course.id == Requirement.course_id).where(
        Requirement.is_active.is_(True),
        or_(Requirement.mission_id == mission.id, Requirement.mission_kind == mission.kind)).order_by(Requirement.id))
    return [(r.id, pick(c.title, lang, c.default_language) or c.code) for r, c in found]


def _details(form: OutsideCertificateForm) -> services.Details:
    return services.Details(form.issuer.data or "", form.course_name.data or "", form.completed_on.data,
                            form.certificate_expires_on.data, form.recognised_until.data)


def _evidence(form: OutsideCertificateForm) -> tuple[images.CleanImage | None, str]:
    """The uploaded evidence re-encoded like a lesson image (ImageError says why not), or (None, "")."""
    upload = form.evidence.data
    if not upload or not getattr(upload, "filename", ""):
        return None, ""
    raw = upload.stream.read(images.MAX_UPLOAD_BYTES + 1)
    return images.clean_image(raw), PurePath(upload.filename.replace("\\", "/")).name


@bp.get("/missions/<int:mission_id>")
@role_required("mission_lead", "hq")
def mission_list(mission_id: int):
    """The mission's leads, HQ and admins: outside certificates recognised for the people deployed there now."""
    mission = _mission(mission_id)
    titles = dict(_requirement_choices(mission))
    return render_template("recognition/mission.html", mission=mission, titles=titles,
                           records=services.recognised_in_mission(mission), today=utcnow().date(),
                           may_record=can_record_recognitions(current_user, mission), remove_form=EmptyForm())


@bp.route("/missions/<int:mission_id>/new", methods=["GET", "POST"])
@role_required("mission_lead")
def record_new(mission_id: int):
    """The mission's leads and admins: recognise one outside certificate for a person deployed there."""
    mission = _mission(mission_id)
    require(can_record_recognitions(current_user, mission))
    form = NewOutsideCertificateForm()
    form.requirement_id.choices = _requirement_choices(mission)
    if form.validate_on_submit():
        person = db.session.scalar(select(User).where(
            func.upper(User.service_number) == form.service_number.data.strip().upper(), User.is_active.is_(True)))
        now_in = services.current_mission(person) if person is not None else None
        requirement = db.session.get(Requirement, form.requirement_id.data)
        try:
            if person is None or now_in is None or now_in.id != mission.id:
                raise services.RecognitionError(_("Nobody with this service number is deployed in %(mission)s now.",
                                                  mission=mission.code))
            evidence, name = _evidence(form)
            services.record_outside_certificate(person, requirement, _details(form), actor=current_user,
                                                evidence=evidence, evidence_name=name)
        except (services.RecognitionError, images.ImageError) as error:
            db.session.rollback()
            flash(_("Nothing was recorded: %(reason)s", reason=str(error)), "error")
        else:
            db.session.commit()
            flash(_("Outside certificate recognised for %(name)s.", name=person.name), "success")
            return redirect(url_for(".mission_list", mission_id=mission.id))
    return render_template("recognition/form.html", mission=mission, form=form, outside=None)


@bp.route("/<int:outside_id>/edit", methods=["GET", "POST"])
@role_required("mission_lead")
def record_edit(outside_id: int):
    """The person's mission leads and admins: change a recognition (a renewed certificate, a typo, new evidence)."""
    outside, mission = _record(outside_id, to_change=True)
    form = OutsideCertificateForm(data=None if EmptyForm().is_submitted() else {
        "issuer": outside.issuer, "course_name": outside.course_name, "completed_on": outside.completed_on,
        "certificate_expires_on": outside.certificate_expires_on, "recognised_until": outside.expires_on})
    if form.validate_on_submit():
        try:
            evidence, name = _evidence(form)
            services.change_outside_certificate(outside, _details(form), actor=current_user, evidence=evidence,
                                                evidence_name=name)
        except (services.RecognitionError, images.ImageError) as error:
            db.session.rollback()
            flash(_("Nothing was changed: %(reason)s", reason=str(error)), "error")
        else:
            db.session.commit()
            flash(_("Recognition saved."), "success")
            return _back(mission)
    return render_template("recognition/form.html", mission=mission, form=form, outside=outside)


@bp.post("/<int:outside_id>/remove")
@role_required("mission_lead")
def record_remove(outside_id: int):
    """The person's mission leads and admins: stop recognising an outside certificate."""
    outside, mission = _record(outside_id, to_change=True)
    if EmptyForm().validate_on_submit():
        services.remove_outside_certificate(outside, actor=current_user)
        db.session.commit()
        flash(_("Recognition removed."), "success")
    return _back(mission)


@bp.get("/<int:outside_id>/evidence")
@role_required("mission_lead", "hq")
def evidence(outside_id: int):
    """The person's mission leads, HQ and admins: the evidence picture (re-encoded on upload)."""
    outside, _mission_now = _record(outside_id, to_change=False)
    if not outside.has_evidence:
        abort(404)
    response = current_app.response_class(outside.evidence, mimetype=EVIDENCE_MEDIA_TYPE)
    response.headers["Cache-Control"] = "private, no-store"  # personal data: never kept by a shared cache
    return response


def _back(mission: Mission | None):
    if mission is None:
        return redirect(url_for("core.home"))
    return redirect(url_for(".mission_list", mission_id=mission.id))


@bp.route("/missions/<int:mission_id>/import", methods=["GET", "POST"])
@role_required("mission_lead")
def import_check(mission_id: int):
    """The mission's leads and admins: upload a CSV of outside certificates and see what it would record."""
    mission = _mission(mission_id)
    require(can_record_recognitions(current_user, mission))
    form = RecognitionUploadForm()
    if form.validate_on_submit():
        try:
            text, filename = _read_upload(form.file.data)
            plan = _plan(text, mission)
        except RosterFileError as error:
            return render_template("recognition/import.html", mission=mission, form=form, plan=None,
                                   problem=str(error)), 400
        apply_form = RecognitionApplyForm(formdata=None, payload=bulk.sign_upload(
            current_app.secret_key, text, filename, mission.id))
        return render_template("recognition/import.html", mission=mission, form=RecognitionUploadForm(formdata=None),
                               plan=plan, apply_form=apply_form, filename=filename)
    return render_template("recognition/import.html", mission=mission, form=form, plan=None)


@bp.post("/missions/<int:mission_id>/import/apply")
@role_required("mission_lead")
def import_apply(mission_id: int):
    """The mission's leads and admins: record every row of the checked file, or nothing if any row is bad."""
    mission = _mission(mission_id)
    require(can_record_recognitions(current_user, mission))
    form = RecognitionApplyForm()
    upload_form = RecognitionUploadForm(formdata=None)
    if not form.validate_on_submit():
        return render_template("recognition/import.html", mission=mission, form=upload_form, plan=None,
                               problem=_("Upload the file again.")), 400
    plan = None
    try:
        text, filename = bulk.read_signed_upload(current_app.secret_key, form.payload.data, mission.id)
        plan = _plan(text, mission)
        recorded = bulk.apply_plan(plan, actor=current_user, mission=mission, source=filename)
    except (RosterFileError, bulk.Rejected, services.RecognitionError) as error:
        db.session.rollback()
        return render_template("recognition/import.html", mission=mission, form=upload_form,
                               plan=plan, problem=str(error)), 400
    db.session.commit()
    flash(_("%(num)s outside certificates recognised from %(name)s.", num=recorded, name=filename), "success")
    return redirect(url_for(".mission_list", mission_id=mission.id))


def _read_upload(storage) -> tuple[str, str]:
    filename = PurePath((storage.filename or "outside-certificates.csv").replace("\\", "/")).name[:120]
    if not filename.lower().endswith(".csv"):
        raise RosterFileError(_("Choose a .csv file (in a spreadsheet: Save as, CSV UTF-8)."))
    data = storage.stream.read(bulk.MAX_UPLOAD_BYTES + 1)
    if len(data) > bulk.MAX_UPLOAD_BYTES:
        raise RosterFileError(_("The file is larger than 2 MB. Split it into smaller files."))
    return decode_roster(data), filename


def _plan(text: str, mission: Mission) -> bulk.Plan:
    today = utcnow().date()
    rows, problems, total = bulk.parse_file(text, today)
    return bulk.plan_file(rows, problems, total, mission, today)
