"""Admin screens: missions and units, people, deployments, roles, roster import. Admins only."""

from __future__ import annotations

from datetime import date
from pathlib import PurePath

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from accounts import admin_services, roster, roster_job
from accounts.admin_forms import (
    DeactivateForm,
    DeploymentForm,
    MissionForm,
    NewPersonForm,
    PeopleFilterForm,
    PersonForm,
    RoleGrantForm,
    RosterApplyForm,
    RosterUploadForm,
    SetPasswordForm,
    UnitForm,
)
from accounts.models import Deployment, Mission, RoleGrant, Unit, User
from accounts.services import AccountError, deploy, grant_role, revoke_role, set_active, set_password
from core.forms import EmptyForm
from core.labels import mission_name
from core.permissions import admin_required
from extensions import db
from jobs import services as jobs

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _values(form, fields: tuple[str, ...]) -> dict:
    return {name: form[name].data for name in fields}


# --- missions and units --------------------------------------------------------------------

@bp.get("/missions")
@admin_required
def missions():
    """Admin: every mission, with how many people are deployed there now."""
    rows = db.session.scalars(select(Mission).order_by(Mission.code)).all()
    counts = admin_services.people_deployed_now(Deployment.mission_id)
    return render_template("admin/missions.html", missions=rows, counts=counts)


@bp.route("/missions/new", methods=["GET", "POST"])
@admin_required
def mission_new():
    """Admin: create a mission."""
    form = MissionForm()
    if form.validate_on_submit():
        mission = admin_services.create_mission(actor=current_user, **_values(form, admin_services.MISSION_FIELDS))
        db.session.commit()
        flash(_("Mission %(code)s created. Add its units below.", code=mission.code), "success")
        return redirect(url_for(".mission", mission_id=mission.id))
    return render_template("admin/mission_form.html", form=form, mission=None)


@bp.get("/missions/<int:mission_id>")
@admin_required
def mission(mission_id: int):
    """Admin: one mission and its units."""
    mission = db.get_or_404(Mission, mission_id)
    counts = admin_services.people_deployed_now(Deployment.unit_id)
    return render_template("admin/mission.html", mission=mission, counts=counts,
                           people_now=admin_services.people_deployed_now(Deployment.mission_id).get(mission.id, 0))


@bp.route("/missions/<int:mission_id>/edit", methods=["GET", "POST"])
@admin_required
def mission_edit(mission_id: int):
    """Admin: change a mission's code, name, kind, country or languages."""
    mission = db.get_or_404(Mission, mission_id)
    form = MissionForm(mission=mission)
    if form.validate_on_submit():
        changed = admin_services.update_mission(mission, actor=current_user,
                                                **_values(form, admin_services.MISSION_FIELDS))
        db.session.commit()
        flash(_("Mission saved.") if changed else _("Nothing to change."), "success" if changed else "info")
        return redirect(url_for(".mission", mission_id=mission.id))
    return render_template("admin/mission_form.html", form=form, mission=mission)


def _unit_of(mission: Mission, unit_id: int) -> Unit:
    unit = db.get_or_404(Unit, unit_id)
    if unit.mission_id != mission.id:
        abort(404)
    return unit


@bp.route("/missions/<int:mission_id>/units/new", methods=["GET", "POST"])
@admin_required
def unit_new(mission_id: int):
    """Admin: add a unit to a mission."""
    mission = db.get_or_404(Mission, mission_id)
    form = UnitForm(mission=mission)
    if form.validate_on_submit():
        unit = admin_services.create_unit(mission, actor=current_user, **_values(form, admin_services.UNIT_FIELDS))
        db.session.commit()
        flash(_("Unit %(code)s added to %(mission)s.", code=unit.code, mission=mission.code), "success")
        return redirect(url_for(".mission", mission_id=mission.id))
    return render_template("admin/unit_form.html", form=form, mission=mission, unit=None)


@bp.route("/missions/<int:mission_id>/units/<int:unit_id>/edit", methods=["GET", "POST"])
@admin_required
def unit_edit(mission_id: int, unit_id: int):
    """Admin: rename a unit or change its code."""
    mission = db.get_or_404(Mission, mission_id)
    unit = _unit_of(mission, unit_id)
    form = UnitForm(mission=mission, unit=unit)
    if form.validate_on_submit():
        changed = admin_services.update_unit(unit, actor=current_user, **_values(form, admin_services.UNIT_FIELDS))
        db.session.commit()
        flash(_("Unit saved.") if changed else _("Nothing to change."), "success" if changed else "info")
        return redirect(url_for(".mission", mission_id=mission.id))
    return render_template("admin/unit_form.html", form=form, mission=mission, unit=unit)


# --- people --------------------------------------------------------------------------------

def _mission_choices(blank: str) -> list[tuple[int, str]]:
    missions = db.session.scalars(select(Mission).order_by(Mission.code)).all()
    return [(0, blank)] + [(m.id, f"{m.code} – {mission_name(m)}") for m in missions]


def _unit_choices(blank: str) -> list[tuple[int, str]]:
    units = db.session.scalars(select(Unit).join(Unit.mission).options(joinedload(Unit.mission))
                               .order_by(Mission.code, Unit.code)).all()
    return [(0, blank)] + [(u.id, f"{u.mission.code} / {u.code}") for u in units]


def _usable(field) -> bool:
    return bool(field.data) and not field.errors


def _people_query(form: PeopleFilterForm, today: date):
    query = select(User).options(
        selectinload(User.deployments).options(joinedload(Deployment.mission), joinedload(Deployment.unit)),
        selectinload(User.role_grants).joinedload(RoleGrant.mission),
    )
    if _usable(form.q):
        pattern = "%" + form.q.data.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(*(column.ilike(pattern, escape="\\")
                                  for column in (User.name, User.service_number, User.email))))
    for field, column in ((form.mission, Deployment.mission_id), (form.unit, Deployment.unit_id)):
        if _usable(field):
            query = query.where(select(Deployment.id).where(
                Deployment.user_id == User.id, column == field.data, Deployment.current_clause(today)).exists())
    if _usable(form.category):
        query = query.where(User.category == form.category.data)
    return query.order_by(User.name, User.id)


@bp.get("/people")
@admin_required
def people():
    """Admin: find people by name, service number or email; filter by mission, unit, category."""
    form = PeopleFilterForm(request.args)
    form.mission.choices = _mission_choices(_("Any"))
    form.unit.choices = _unit_choices(_("Any"))
    form.validate()  # a bad filter value is ignored (and marked), the others still apply
    today = date.today()
    page = db.paginate(_people_query(form, today), per_page=current_app.config["PEOPLE_PER_PAGE"], error_out=False)
    filters = {name: form[name].data for name in ("q", "mission", "unit", "category") if _usable(form[name])}
    return render_template("admin/people.html", form=form, page=page, filters=filters, today=today)


@bp.route("/people/new", methods=["GET", "POST"])
@admin_required
def person_new():
    """Admin: add one person, with their mission, unit and arrival date (a roster import adds many)."""
    form = _with_choices(NewPersonForm())
    if form.validate_on_submit():
        user = admin_services.create_person(actor=current_user, **_values(form, admin_services.PERSON_FIELDS))
        mission = db.session.get(Mission, form.mission_id.data) if form.mission_id.data else None
        unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None
        try:
            if mission is not None:
                deploy(user, mission, unit, form.arrival_on.data, actor=current_user)
        except AccountError as error:
            db.session.rollback()  # nobody is added without the deployment asked for
            form.unit_id.errors = [*form.unit_id.errors, _(str(error))]
        else:
            db.session.commit()
            flash(_("%(name)s added to %(mission)s. Set a temporary password below.", name=user.name,
                    mission=mission.code) if mission else
                  _("%(name)s added. Deploy them and set a temporary password below.", name=user.name), "success")
            return redirect(url_for(".person", user_id=user.id))
    return render_template("admin/person_new.html", form=form)


def _person_page(user: User, **forms):
    """The person page; `forms` replaces the blank form of the action that just failed."""
    if "details" not in forms:
        forms["details"] = PersonForm(formdata=None, person=user, prefix="person")
    if "move" not in forms:
        forms["move"] = _with_choices(DeploymentForm(formdata=None, prefix="move", arrival_on=date.today()))
    if "role" not in forms:
        forms["role"] = _with_choices(RoleGrantForm(formdata=None, prefix="role"))
    if "password" not in forms:
        forms["password"] = SetPasswordForm(formdata=None, prefix="password")
    if "deactivate" not in forms:
        forms["deactivate"] = DeactivateForm(formdata=None)
    return render_template("admin/person.html", person=user, forms=forms, today=date.today())


def _with_choices(form):
    form.mission_id.choices = _mission_choices("—")
    if isinstance(form, DeploymentForm | NewPersonForm):
        form.unit_id.choices = _unit_choices(_("No unit"))
    return form


@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
@admin_required
def person(user_id: int):
    """Admin: a person's details (editable), deployments, roles and account."""
    user = db.get_or_404(User, user_id)
    form = PersonForm(person=user, prefix="person")
    if form.validate_on_submit():
        changed = admin_services.update_person(user, actor=current_user, **_values(form, admin_services.PERSON_FIELDS))
        db.session.commit()
        flash(_("Details saved.") if changed else _("Nothing to change."), "success" if changed else "info")
        return redirect(url_for(".person", user_id=user.id))
    return _person_page(user, details=form)


@bp.post("/people/<int:user_id>/move")
@admin_required
def person_move(user_id: int):
    """Admin: deploy a person to another mission or unit; the current deployment is closed, kept."""
    user = db.get_or_404(User, user_id)
    form = _with_choices(DeploymentForm(prefix="move"))
    if form.validate_on_submit():
        mission = db.get_or_404(Mission, form.mission_id.data)
        unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None
        before = {d.id for d in user.deployments}
        try:
            deployment = deploy(user, mission, unit, form.arrival_on.data, actor=current_user)
        except AccountError as error:
            db.session.rollback()
            target = form.unit_id if unit is not None and unit.mission_id != mission.id else form.arrival_on
            target.errors = [*target.errors, str(error)]
        else:
            if deployment.id in before:
                flash(_("%(name)s is already deployed there; nothing changed.", name=user.name), "info")
            else:
                db.session.commit()
                flash(_("%(name)s moved to %(mission)s.", name=user.name, mission=mission.code), "success")
            return redirect(url_for(".person", user_id=user.id))
    return _person_page(user, move=form)


@bp.post("/people/<int:user_id>/roles")
@admin_required
def role_add(user_id: int):
    """Admin: give a person a role (a mission lead role names its mission)."""
    user = db.get_or_404(User, user_id)
    form = _with_choices(RoleGrantForm(prefix="role"))
    if form.validate_on_submit():
        mission = db.session.get(Mission, form.mission_id.data) if form.mission_id.data else None
        if any(g.role == form.role.data and g.mission_id == (mission.id if mission else None) for g in user.role_grants):
            flash(_("%(name)s already has this role.", name=user.name), "info")
            return redirect(url_for(".person", user_id=user.id))
        try:
            grant_role(user, form.role.data, actor=current_user, mission=mission)
        except AccountError as error:
            db.session.rollback()
            form.role.errors = [*form.role.errors, str(error)]
        else:
            db.session.commit()
            flash(_("Role granted."), "success")
            return redirect(url_for(".person", user_id=user.id))
    return _person_page(user, role=form)


@bp.post("/people/<int:user_id>/roles/<int:grant_id>/remove")
@admin_required
def role_remove(user_id: int, grant_id: int):
    """Admin: take a role away (not your own admin role)."""
    user = db.get_or_404(User, user_id)
    grant = db.get_or_404(RoleGrant, grant_id)
    if grant.user_id != user.id:
        abort(404)
    if EmptyForm().validate_on_submit():
        try:
            revoke_role(grant, actor=current_user)
        except AccountError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Role removed."), "success")
    return redirect(url_for(".person", user_id=user.id))


def _set_active(user_id: int, active: bool):
    user = db.get_or_404(User, user_id)
    if EmptyForm().validate_on_submit() and user.is_active != active:
        try:
            set_active(user, active, actor=current_user)
        except AccountError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Account reactivated.") if active
                  else _("Account deactivated; every browser signed in as this person is signed out."), "success")
    return redirect(url_for(".person", user_id=user.id))


@bp.post("/people/<int:user_id>/deactivate")
@admin_required
def person_deactivate(user_id: int):
    """Admin: stop a person signing in (records stay), once the confirmation box is ticked; ends their sessions."""
    user = db.get_or_404(User, user_id)
    form = DeactivateForm()  # no prefix: its CSRF field is the one _set_active checks
    if user.is_active and not form.validate_on_submit():
        return _person_page(user, deactivate=form), 400
    return _set_active(user_id, False)


@bp.post("/people/<int:user_id>/reactivate")
@admin_required
def person_reactivate(user_id: int):
    """Admin: let a deactivated person sign in again."""
    return _set_active(user_id, True)


@bp.post("/people/<int:user_id>/password")
@admin_required
def person_password(user_id: int):
    """Admin: set a temporary password the person must change at their next sign-in."""
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        flash(_("Change your own password on the Password page."), "error")
        return redirect(url_for(".person", user_id=user.id))
    form = SetPasswordForm(prefix="password")
    if form.validate_on_submit():
        set_password(user, form.new.data, actor=current_user, must_change=True)
        db.session.commit()
        flash(_("Temporary password set. %(name)s must choose a new one at the next sign-in.", name=user.name),
              "success")
        return redirect(url_for(".person", user_id=user.id))
    return _person_page(user, password=form)


# --- roster import -------------------------------------------------------------------------

def _read_upload(storage) -> tuple[str, str]:
    filename = PurePath((storage.filename or "roster.csv").replace("\\", "/")).name[:120]
    if not filename.lower().endswith(".csv"):
        raise roster.RosterFileError(_("Choose a .csv file (in a spreadsheet: Save as, CSV UTF-8)."))
    data = storage.stream.read(roster.MAX_UPLOAD_BYTES + 1)
    if len(data) > roster.MAX_UPLOAD_BYTES:
        raise roster.RosterFileError(_("The file is larger than 6 MB. Split it into smaller files."))
    return roster.decode_roster(data), filename


@bp.route("/roster", methods=["GET", "POST"])
@admin_required
def roster_import():
    """Admin: upload a roster CSV and see what it would change; nothing is saved yet."""
    form = RosterUploadForm()
    created = request.args.get("created", "")[:4000] if request.method == "GET" else ""
    if form.validate_on_submit():
        try:
            text, filename = _read_upload(form.file.data)
            plan = roster.plan_roster(roster.parse_roster(text))
        except roster.RosterFileError as error:
            form.file.errors = [*form.file.errors, str(error)]
        else:
            apply_form = RosterApplyForm(formdata=None, payload=roster.sign_upload(current_app.secret_key, text, filename,
                                                                                   plan=plan))
            return render_template("admin/roster.html", form=RosterUploadForm(formdata=None), plan=plan,
                                   apply_form=apply_form, filename=filename)
    slips = None
    if created:
        try:
            ids, source = roster.read_created(current_app.secret_key, created)
        except roster.RosterFileError as error:
            flash(str(error), "error")
        else:
            slips = {"token": created, "count": len(ids), "source": source}
    return render_template("admin/roster.html", form=form, plan=None, slips=slips)


@bp.post("/roster/apply")
@admin_required
def roster_apply():
    """Admin: import a file checked on the upload page, as a background job (one short transaction)."""
    form = RosterApplyForm()
    upload_form = RosterUploadForm(formdata=None)
    if not form.validate_on_submit():
        return render_template("admin/roster.html", form=upload_form, plan=None,
                               problem=_("Nothing was imported. Upload the file again.")), 400
    try:
        checked = roster.read_signed_upload(current_app.secret_key, form.payload.data)
    except roster.RosterFileError as error:
        return render_template("admin/roster.html", form=upload_form, plan=None, problem=str(error)), 400
    keep_good_rows = bool(form.apply_good.data)
    if checked.bad_rows and not keep_good_rows:
        return render_template("admin/roster.html", form=upload_form, plan=None,
                               problem=_("The file has bad rows, so nothing was imported.")), 400
    # The job checks the file against the database again, and applies only the plan shown here.
    job_id = roster_job.start(checked, actor=current_user, keep_good_rows=keep_good_rows).id
    db.session.commit()
    jobs.enqueue(job_id)
    return redirect(url_for("jobs.show", job_id=job_id))
