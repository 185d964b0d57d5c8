"""In-person sessions: plan, print the sheet, take attendance (offline too), attach the scan, list and export."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from accounts.models import Mission
from audit.services import record
from core import languages
from core.labels import mission_name
from core.permissions import require
from core.spreadsheet import csv_stream, xlsx_bytes
from database import utcnow
from extensions import db
from inperson import permissions, services, sheet
from inperson.forms import ChooseForm, EvidenceForm, PlanForm, attendance_form, present_field, score_field
from inperson.models import SessionEvidence, TrainingSession
from training import learning
from training.i18n import pick
from training.images import ImageError
from training.models import Course

bp = Blueprint("inperson", __name__, url_prefix="/training-sessions")

EXPORT_FORMATS = ("csv", "xlsx")


def _runs_sessions_required() -> None:
    require(permissions.runs_sessions(current_user))


def _load(session_id: int, *, write: bool) -> TrainingSession:
    """Load, then authorise: 404 for no such session, 403 for one outside the person's missions."""
    session = db.get_or_404(TrainingSession, session_id)
    require(permissions.can_record(current_user, session) if write else permissions.can_read(current_user, session))
    return session


def _course_title(course: Course, language: str | None = None) -> str:
    return learning.course_title(course, language or str(get_locale()))


@bp.get("/")
@login_required
def index():
    """Trainers, mission trainers, mission leads, HQ and admins: the sessions they ran (or may read), with counts."""
    require(permissions.reads_sessions(current_user))
    scope = _scope()
    summaries = _summaries(scope)
    return render_template("inperson/index.html", summaries=summaries, scope=scope,
                           runs=permissions.runs_sessions(current_user), course_title=_course_title)


def _scope() -> str:
    """"mine" (sessions the person ran: the trainer's view) or "all" (every session they may read)."""
    default = "mine" if permissions.runs_sessions(current_user) else "all"
    scope = request.args.get("scope", default)
    return scope if scope in ("mine", "all") else default


def _summaries(scope: str) -> list[services.SessionSummary]:
    return services.visible_sessions(permissions.readable_mission_ids(current_user),
                                     trainer=current_user if scope == "mine" else None,
                                     also_ran_by=current_user if permissions.runs_sessions(current_user) else None)


@bp.get("/export")
@login_required
def export():
    """Trainers, mission trainers, mission leads, HQ and admins: the sessions of the list as CSV or XLSX."""
    require(permissions.reads_sessions(current_user))
    fmt = request.args.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        abort(404)
    scope = _scope()
    header = [_("Date"), _("Mission"), _("Units"), _("Place"), _("Course"), _("Language"), _("Trainers"),
              _("Pass mark (%)"), _("Present"), _("Passed")]
    rows = [[s.session.held_on, s.session.mission.code, ", ".join(u.code for u in s.session.units), s.session.place,
             _course_title(s.session.course), s.session.language, ", ".join(t.name for t in s.session.trainers),
             s.session.pass_mark, s.present, s.passed] for s in _summaries(scope)]
    record("report_exported", actor=current_user, target="training_sessions", table="sessions", format=fmt,
           rows=len(rows), scope=scope)
    db.session.commit()
    stem = f"training-sessions-{date.today():%Y-%m-%d}"
    if fmt == "csv":
        return current_app.response_class("".join(csv_stream(header, rows)), mimetype="text/csv; charset=utf-8",
                                          headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'})
    return current_app.response_class(
        xlsx_bytes(_("Sessions"), header, rows),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'})


@bp.route("/new", methods=["GET", "POST"])
@login_required
def plan():
    """Trainers, mission trainers (their missions) and admins: plan a session (course and mission first)."""
    _runs_sessions_required()
    allowed = permissions.runnable_mission_ids(current_user)
    missions = db.session.scalars(select(Mission).where(Mission.is_active).order_by(Mission.code)).all()
    missions = [m for m in missions if allowed is None or m.id in allowed]
    courses = learning.visible_courses()
    choose = ChooseForm(request.args)
    choose.course.choices = [(c.id, _course_title(c)) for c in courses]
    choose.mission.choices = [(m.id, f"{m.code} – {mission_name(m)}") for m in missions]
    if not (request.args.get("course") and request.args.get("mission")) or not choose.validate():
        return render_template("inperson/choose.html", choose=choose)
    course = next(c for c in courses if c.id == choose.course.data)
    mission = next(m for m in missions if m.id == choose.mission.data)
    form = PlanForm()
    modules = learning.live_modules(course)
    form.modules.choices = [(m.id, _module_title(m)) for m in modules]
    form.units.choices = [(u.id, f"{u.code} – {u.name}") for u in mission.units]
    form.language.choices = [(code, languages.configured().name(code)) for code in course.language_list]
    eligible = services.eligible_trainers(mission)
    form.trainers.choices = [(u.id, u.name) for u in eligible]
    if request.method == "GET":
        form.trainers.data = [current_user.id] if any(u.id == current_user.id for u in eligible) else []
        form.language.data = str(get_locale()) if str(get_locale()) in course.language_list else course.default_language
    if form.validate_on_submit():
        try:
            session = services.plan_session(
                actor=current_user, course=course, module_ids=form.modules.data, mission=mission,
                unit_ids=form.units.data, place=form.place.data, held_on=form.held_on.data,
                language=form.language.data, pass_mark=form.pass_mark.data, trainer_ids=form.trainers.data)
        except services.SessionError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Session planned. Print the attendance sheet, then take attendance on the day."), "success")
            return redirect(url_for(".show", session_id=session.id))
    return render_template("inperson/plan.html", form=form, course=course, mission=mission,
                           course_title=_course_title(course))


def _module_title(module) -> str:
    version = learning.published_version(module)
    return pick(version.title, str(get_locale()), module.default_language) if version else module.slug


@bp.get("/<int:session_id>")
@login_required
def show(session_id: int):
    """The session's trainers and mission trainers, its mission's leads, HQ and admins: the session and its attendance."""
    session = _load(session_id, write=False)
    people = services.roster(session)
    attendance = services.attendance_by_user(session)
    evidence = db.session.scalars(select(SessionEvidence).where(SessionEvidence.session_id == session.id)
                                  .order_by(SessionEvidence.id)).all()
    return render_template("inperson/show.html", session=session, people=people, attendance=attendance,
                           evidence=evidence, modules=services.session_modules(session),
                           can_record=permissions.can_record(current_user, session),
                           evidence_form=EvidenceForm(), course_title=_course_title(session.course),
                           module_title=_module_title)


@bp.get("/<int:session_id>/sheet.pdf")
@login_required
def sheet_pdf(session_id: int):
    """Who may read the session: its attendance sheet as a PDF, in the session's language."""
    session = _load(session_id, write=False)
    language = session.language
    people = services.roster(session)
    data = {
        "language": language,
        "course": _course_title(session.course, language),
        "modules": ([] if set(session.module_ids) == {m.id for m in learning.live_modules(session.course)}
                    else [_module_title_in(m, language) for m in services.session_modules(session)]),
        "mission": f"{session.mission.code} – {mission_name(session.mission, language)}",
        "units": ", ".join(u.code for u in session.units),
        "place": session.place,
        "held_on": session.held_on,
        "trainers": ", ".join(t.name for t in session.trainers),
        "pass_mark": session.pass_mark,
        "people": [{"name": (p.name_arabic or p.name) if languages.define(language).is_rtl else p.name,
                    "service_number": p.service_number} for p in people],
        "created": utcnow(),
    }
    pdf = sheet.render(data)
    record("attendance_sheet_printed", actor=current_user, target=f"training_session:{session.id}", people=len(people))
    db.session.commit()
    return current_app.response_class(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="attendance-{session.held_on.isoformat()}-{session.id}.pdf"'})


def _module_title_in(module, language: str) -> str:
    version = learning.published_version(module)
    return pick(version.title, language, module.default_language) if version else module.slug


@bp.route("/<int:session_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(session_id: int):
    """The session's mission trainers, trainers and admins: tick who attended and type paper scores (a plain form;
    static/js/attendance.js keeps the marks on the device and syncs them when there is no connection)."""
    session = _load(session_id, write=True)
    people = services.roster(session)
    current = services.attendance_by_user(session)
    form = attendance_form(people)
    if request.method == "GET":
        for person in people:
            row = current.get(person.id)
            if row is not None:
                getattr(form, present_field(person)).data = row.is_present
                getattr(form, score_field(person)).data = row.paper_score
    if form.validate_on_submit():
        marks = _marks_from_form(form, people, current)
        if not marks:
            flash(_("Nothing changed."), "info")
            return redirect(url_for(".attendance", session_id=session.id))
        try:
            result = services.apply_marks(session, marks, actor=current_user)
        except services.MarksRefused as refused:
            db.session.rollback()
            for message in refused.problems.values():
                flash(_("Not saved: %(reason)s", reason=message), "error")
        except services.SessionError as error:
            db.session.rollback()
            flash(_("Not saved: %(reason)s", reason=str(error)), "error")
        else:
            db.session.commit()
            flash(_("Attendance saved: %(n)s change(s); %(passed)s passed.", n=len(result.accepted),
                    passed=len(result.completed)), "success")
            return redirect(url_for(".attendance", session_id=session.id))
    return render_template("inperson/attendance.html", session=session, people=people, form=form, current=current,
                           present_field=present_field, score_field=score_field,
                           course_title=_course_title(session.course))


def _marks_from_form(form, people, current) -> list[services.Mark]:
    """One mark per person whose tick or score differs from what the page showed (the merged state)."""
    marks = []
    for person in people:
        present = bool(getattr(form, present_field(person)).data)
        score = getattr(form, score_field(person)).data
        row = current.get(person.id)
        shown = (row.is_present, row.paper_score) if row else (False, None)
        if score is not None:
            present = True  # a score is only typed for someone who sat the quiz
        if (present, score) != shown:
            marks.append(services.Mark(uuid.uuid4().hex, person.service_number, present, score))
    if form.walk_in.data:
        marks.append(services.Mark(uuid.uuid4().hex, form.walk_in.data.strip(), True, form.walk_in_score.data))
    return marks


@bp.post("/<int:session_id>/marks")
def sync(session_id: int):
    """The session's mission trainers, trainers and admins: marks kept on a device, as JSON, stored once each.

    {"marks": [{"id": client id, "person": service number, "present": bool, "score": 0-100 or null,
    "at": ISO time the mark was made}]}. 200 {"accepted": [...], "duplicate": [...], "completed": [...]};
    422 {"refused": {client id: reason}} and nothing stored; CSRF in X-CSRFToken as for every POST.
    """
    if not current_user.is_authenticated:
        return jsonify(error="signed_out", message=_("Sign in again to send the attendance.")), 401
    session = _load(session_id, write=True)
    marks = _marks_from_json(request.get_json(silent=True))
    if marks is None:
        return jsonify(error="bad_request", message=_("This attendance could not be read.")), 400
    try:
        result = services.apply_marks(session, marks, actor=current_user)
    except services.MarksRefused as refused:
        db.session.rollback()
        return jsonify(error="refused", refused=refused.problems), 422
    except services.SessionError as error:
        db.session.rollback()
        return jsonify(error="refused", message=str(error), refused={m.client_id: str(error) for m in marks}), 422
    db.session.commit()
    return jsonify(accepted=result.accepted, duplicate=result.duplicate, completed=result.completed)


def _marks_from_json(payload) -> list[services.Mark] | None:
    items = payload.get("marks") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items or len(items) > services.MAX_MARKS:
        return None
    marks = []
    for item in items:
        if not isinstance(item, dict):
            return None
        client_id, person, present, score = item.get("id"), item.get("person"), item.get("present"), item.get("score")
        if not isinstance(client_id, str) or not services.CLIENT_ID.fullmatch(client_id):
            return None
        if not isinstance(person, str) or not 0 < len(person) <= 40 or not isinstance(present, bool):
            return None
        if score is not None and (isinstance(score, bool) or not isinstance(score, int)):
            return None
        made_at = None
        if isinstance(item.get("at"), str):
            try:
                made_at = datetime.fromisoformat(item["at"].replace("Z", "+00:00"))
            except ValueError:
                return None
        marks.append(services.Mark(client_id, person.strip(), present, score, made_at))
    return marks


@bp.post("/<int:session_id>/evidence")
@login_required
def evidence_upload(session_id: int):
    """The session's mission trainers, trainers and admins: attach a scanned signed sheet (re-encoded)."""
    session = _load(session_id, write=True)
    form = EvidenceForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for e in form.scan.errors) or _("Choose a picture of the signed sheet."), "error")
        return redirect(url_for(".show", session_id=session.id))
    try:
        services.attach_evidence(session, form.scan.data, actor=current_user)
    except ImageError as error:
        db.session.rollback()
        flash(_(str(error)), "error")
        return redirect(url_for(".show", session_id=session.id))
    db.session.commit()
    flash(_("The scan is attached to the session."), "success")
    return redirect(url_for(".show", session_id=session.id))


@bp.get("/<int:session_id>/evidence/<sha256>.webp")
@login_required
def evidence(session_id: int, sha256: str):
    """Who may read the session: a scan attached to it (never cached by shared caches: it shows signatures)."""
    session = _load(session_id, write=False)
    scan = db.session.scalar(select(SessionEvidence).where(SessionEvidence.session_id == session.id,
                                                           SessionEvidence.sha256 == sha256))
    if scan is None:
        abort(404)
    response = current_app.response_class(scan.data, mimetype=scan.media_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
