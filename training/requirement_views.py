"""Setting required training: a mission's own requirements (its leads and admins) and kind-wide ones (admins)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Mission
from accounts.permissions import visible_mission_ids
from core.forms import EmptyForm
from core.permissions import require, role_required
from extensions import db
from training import requirements
from training.forms import RequirementEditForm, RequirementForm
from training.i18n import pick
from training.models import Course, Requirement
from training.permissions import can_set_requirements, can_view_requirements
from training.player import interface_language
from training.versions import VersionError

bp = Blueprint("requirements", __name__)


def _course_choices() -> list[tuple[int, str]]:
    lang = interface_language()
    courses = db.session.scalars(select(Course).where(Course.is_archived.is_(False)).order_by(Course.code))
    return [(c.id, f"{pick(c.title, lang, c.default_language) or c.code} ({c.code})") for c in courses]


def _add(form: RequirementForm, *, mission: Mission | None, kind: str | None) -> bool:
    course = db.session.get(Course, form.course_id.data)
    if course is None:
        flash(_("Choose a course."), "error")
        return False
    try:
        requirements.add_requirement(course, actor=current_user, categories=form.categories.data,
                                     due_days=form.due_days.data, mission=mission, kind=kind,
                                     satisfied_by=form.satisfied_by.data)
    except VersionError as error:
        db.session.rollback()
        flash(str(error), "error")
        return False
    db.session.commit()
    flash(_("Requirement added."), "success")
    return True


@bp.route("/training/requirements", methods=["GET", "POST"])
@role_required("mission_lead", "hq")
def requirements_index():
    """Admins (who set them), HQ and mission leads: requirements for every mission of a kind, and links to each mission's."""
    form = RequirementForm()
    form.course_id.choices = _course_choices()
    may_set = can_set_requirements(current_user, None)
    if form.is_submitted():
        require(may_set)
        if form.validate() and _add(form, mission=None, kind=form.mission_kind.data):
            return redirect(url_for(".requirements_index"))
    ids = visible_mission_ids(current_user)
    query = select(Mission).where(Mission.is_active.is_(True)).order_by(Mission.code)
    if ids is not None:
        query = query.where(Mission.id.in_(ids))
    return render_template("training/requirements/index.html", form=form, may_set=may_set,
                           rules=requirements.active_requirements(), missions=db.session.scalars(query).all(),
                           lang=interface_language(), pick=pick, remove_form=EmptyForm())


@bp.route("/missions/<int:mission_id>/requirements", methods=["GET", "POST"])
@role_required("mission_lead", "hq")
def mission_requirements(mission_id: int):
    """The mission's leads and admins: what this mission requires of whom, by when; HQ reads it."""
    mission = db.get_or_404(Mission, mission_id)
    require(can_view_requirements(current_user, mission))
    may_set = can_set_requirements(current_user, mission)
    form = RequirementForm()
    del form.mission_kind
    form.course_id.choices = _course_choices()
    if form.is_submitted():
        require(may_set)
        if form.validate() and _add(form, mission=mission, kind=None):
            return redirect(url_for(".mission_requirements", mission_id=mission.id))
    return render_template("training/requirements/mission.html", mission=mission, form=form, may_set=may_set,
                           rules=requirements.active_requirements(mission=mission),
                           kind_rules=requirements.active_requirements(kind=mission.kind),
                           lang=interface_language(), pick=pick, remove_form=EmptyForm())


def _managed_requirement(requirement_id: int) -> tuple[Requirement, Mission | None]:
    requirement = db.get_or_404(Requirement, requirement_id)
    if not requirement.is_active:
        abort(404)
    mission = db.session.get(Mission, requirement.mission_id) if requirement.mission_id else None
    require(can_set_requirements(current_user, mission))
    return requirement, mission


def _back(mission: Mission | None):
    if mission is None:
        return redirect(url_for(".requirements_index"))
    return redirect(url_for(".mission_requirements", mission_id=mission.id))


@bp.route("/training/requirements/<int:requirement_id>", methods=["GET", "POST"])
@role_required("mission_lead")
def requirement_edit(requirement_id: int):
    """Admins, and the leads of a requirement's mission: change who it applies to and when it is due."""
    requirement, mission = _managed_requirement(requirement_id)
    # A post without "satisfied by" (an older page) keeps the requirement's setting.
    shown = {"satisfied_by": requirement.satisfied_by}
    if not EmptyForm().is_submitted():
        shown |= {"categories": requirement.category_list, "due_days": requirement.due_days}
    form = RequirementEditForm(data=shown)
    if form.validate_on_submit():
        try:
            requirements.change_requirement(requirement, actor=current_user, categories=form.categories.data,
                                            due_days=form.due_days.data, satisfied_by=form.satisfied_by.data)
        except VersionError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Requirement saved."), "success")
            return _back(mission)
    return render_template("training/requirements/edit.html", requirement=requirement, mission=mission, form=form,
                           lang=interface_language(), pick=pick)


@bp.post("/training/requirements/<int:requirement_id>/remove")
@role_required("mission_lead")
def requirement_remove(requirement_id: int):
    """Admins, and the leads of a requirement's mission: stop requiring the course."""
    requirement, mission = _managed_requirement(requirement_id)
    if EmptyForm().validate_on_submit():
        requirements.remove_requirement(requirement, actor=current_user)
        db.session.commit()
        flash(_("Requirement removed."), "success")
    return _back(mission)
