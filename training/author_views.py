"""Trainers' screens for courses and modules: create, edit, order, draft, publish, archive, delete, preview.

Every route loads its course or module first (404), then checks that the signed-in person
owns or co-authors the course, or is an admin (403). The shipped course (owned by no trainer)
is readable by every trainer: its overview, modules and preview, and a copy of it of their own.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from accounts.models import Mission, User
from core import languages
from core.forms import EmptyForm
from core.permissions import require, role_required
from extensions import db
from training import authoring, learning, versions
from training.forms import (
    CATEGORY_CHOICES,
    KIND_CHOICES,
    CoAuthorForm,
    CourseAudienceForm,
    CourseCopyForm,
    ModuleDetailsForm,
    ModuleNewForm,
    MoveForm,
    course_form,
)
from training.i18n import pick
from training.models import Course, Module, ModuleVersion
from training.permissions import (
    SHIPPED_CODES,
    authored_course_ids,
    can_author,
    can_create_course,
    can_manage_authors,
    can_read_course,
)
from training.player import interface_language, lesson_context
from training.versions import VersionError

bp = Blueprint("training_author", __name__, url_prefix="/training/author")


def authored_course(course_id: int) -> Course:
    course = db.get_or_404(Course, course_id)
    require(can_author(current_user, course))
    return course


def authored_module(module_id: int) -> Module:
    module = db.get_or_404(Module, module_id)
    require(can_author(current_user, module.course))
    return module


def readable_course(course_id: int) -> Course:
    """A course the user may read (its authors; every trainer for the shipped course)."""
    course = db.get_or_404(Course, course_id)
    require(can_read_course(current_user, course))
    return course


def readable_module(module_id: int) -> Module:
    module = db.get_or_404(Module, module_id)
    require(can_read_course(current_user, module.course))
    return module


def editing_language(course: Course) -> str:
    """?lang= if the course offers it, else the course's default language."""
    lang = request.args.get("lang", "")
    return lang if lang in course.language_list else course.default_language


def _flash_form_errors(form) -> None:
    for field_name, errors in form.errors.items():
        label = getattr(form, field_name).label.text if hasattr(form, field_name) else field_name
        for error in errors:
            flash(_("%(label)s: %(error)s", label=label, error=error), "error")


@bp.get("")
@role_required("trainer")
def author_index():
    """Trainers and admins: the courses they may write (admins: all), the shipped course to read and
    copy, and a button for a new one."""
    ids = authored_course_ids(current_user)
    query = select(Course).order_by(Course.is_archived, Course.code)
    if ids is not None:
        query = query.where(Course.id.in_(ids))
    courses = list(db.session.scalars(query))
    shipped = [] if ids is None else list(db.session.scalars(select(Course).where(
        Course.code.in_(SHIPPED_CODES), Course.is_archived.is_(False), Course.id.not_in(ids)).order_by(Course.code)))
    return render_template("training/author/index.html", courses=courses, shipped=shipped, lang=interface_language(),
                           pick=pick, can_create=can_create_course(current_user))


@bp.route("/courses/new", methods=["GET", "POST"])
@role_required("trainer")
def course_new():
    """Trainers and admins: create a course, which they then own."""
    form = course_form()
    if form.validate_on_submit():
        try:
            course = authoring.create_course(
                owner=current_user, code=form.code.data, title=form.texts("title"),
                description=form.texts("description"), validity_months=form.validity_months.data,
                renewal_window_days=form.renewal_window_days.data, languages=form.languages.data,
                default_language=form.default_language.data)
        except VersionError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Course created. Add its first module."), "success")
            return redirect(url_for(".course_overview", course_id=course.id))
    return render_template("training/author/course_form.html", form=form, course=None)


@bp.get("/courses/<int:course_id>")
@role_required("trainer")
def course_overview(course_id: int):
    """Course owners, co-authors, admins; any trainer, read-only, for the shipped course: the course's
    modules in order, their versions, and its authors."""
    course = readable_course(course_id)
    rows = []
    for module in course.modules:
        rows.append({"module": module, "draft": versions.draft_of(module),
                     "published": versions.latest_published(module), "title": _module_title(module)})
    authors = db.session.scalars(select(User).where(or_(
        User.id == course.owner_id, User.id.in_([a.user_id for a in course.authors]))).order_by(User.name)).all()
    return render_template("training/author/course.html", course=course, rows=rows, authors=authors,
                           module_form=ModuleNewForm(), author_form=CoAuthorForm(), form=EmptyForm(),
                           can_manage_authors=can_manage_authors(current_user, course), pick=pick,
                           lang=interface_language(), can_edit=can_author(current_user, course),
                           can_copy=can_create_course(current_user), copy_form=CourseCopyForm(),
                           **_audience_names(course))


def _audience_names(course: Course) -> dict[str, list[str]]:
    """The course's audience in words, for its overview."""
    audience = course.audience or {}
    kinds, categories = dict(KIND_CHOICES), dict(CATEGORY_CHOICES)
    missions = db.session.scalars(select(Mission.code).where(Mission.id.in_(audience.get("missions", [])))
                                  .order_by(Mission.code)).all()
    return {"audience_missions": list(missions),
            "audience_kinds": [_("every %(kind)s mission", kind=str(kinds.get(k, k)).lower())
                               for k in audience.get("kinds", [])],
            "audience_categories": [str(categories.get(c, c)) for c in audience.get("categories", [])],
            "audience_languages": [languages.configured().name(code) for code in audience.get("languages", [])]}


@bp.post("/courses/<int:course_id>/copy")
@role_required("trainer")
def course_copy(course_id: int):
    """Trainers and admins who may read the course: copy it into a new draft course they own."""
    course = readable_course(course_id)
    require(can_create_course(current_user))
    form = CourseCopyForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return redirect(url_for(".course_overview", course_id=course.id))
    try:
        copy = authoring.copy_course(course, owner=current_user, code=form.code.data)
    except VersionError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".course_overview", course_id=course.id))
    db.session.commit()
    flash(_("Course copied. Its modules are drafts: change them, then publish."), "success")
    return redirect(url_for(".course_overview", course_id=copy.id))


def _module_title(module: Module) -> str:
    version = versions.draft_of(module) or versions.latest_published(module)
    return pick(version.title if version else {}, interface_language(), module.default_language) or module.slug


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@role_required("trainer")
def course_edit(course_id: int):
    """Course owners, co-authors, admins: change the course's titles, description, validity and languages."""
    course = authored_course(course_id)
    form = course_form(data=None if request.method == "POST" else {
        **{f"title_{k}": v for k, v in course.title.items()},
        **{f"description_{k}": v for k, v in course.description.items()},
        "validity_months": course.validity_months, "renewal_window_days": course.renewal_window_days,
        "languages": course.language_list, "default_language": course.default_language})
    del form.code  # the code is printed in certificate serials: it never changes
    if form.validate_on_submit():
        try:
            authoring.update_course(course, actor=current_user, title=form.texts("title"),
                                    description=form.texts("description"), validity_months=form.validity_months.data,
                                    renewal_window_days=form.renewal_window_days.data, languages=form.languages.data,
                                    default_language=form.default_language.data)
        except VersionError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Course saved."), "success")
            return redirect(url_for(".course_overview", course_id=course.id))
    return render_template("training/author/course_form.html", form=form, course=course)


@bp.route("/courses/<int:course_id>/audience", methods=["GET", "POST"])
@role_required("trainer")
def course_audience(course_id: int):
    """Course owners, co-authors, admins: the missions, kinds, categories and languages a published
    optional course is offered to (nobody until chosen; requirements reach whom they name anyway)."""
    course = authored_course(course_id)
    missions = list(db.session.scalars(select(Mission).where(Mission.is_active.is_(True)).order_by(Mission.code)))
    audience = course.audience or {}
    form = CourseAudienceForm(data=None if request.method == "POST" else {
        "missions": audience.get("missions", []), "kinds": audience.get("kinds", []),
        "categories": audience.get("categories", []), "languages": audience.get("languages", [])})
    form.missions.choices = [(m.id, f"{m.code} · {m.name}") for m in missions]
    form.languages.choices = [(code, languages.configured().name(code)) for code in course.language_list]
    if form.validate_on_submit():
        try:
            authoring.set_audience(course, actor=current_user, missions=form.missions.data, kinds=form.kinds.data,
                                   categories=form.categories.data, languages=form.languages.data)
        except VersionError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Saved: the course is offered to the people you chose.") if course.audience
                  else _("Saved: the course is offered to nobody."), "success")
            return redirect(url_for(".course_overview", course_id=course.id))
    return render_template("training/author/audience.html", form=form, course=course, lang=interface_language(),
                           pick=pick)


@bp.post("/courses/<int:course_id>/authors")
@role_required("trainer")
def author_add(course_id: int):
    """Course owners and admins: let another trainer co-author the course."""
    course = authored_course(course_id)
    require(can_manage_authors(current_user, course))
    form = CoAuthorForm()
    if form.validate_on_submit():
        identifier = form.identifier.data.strip()
        person = db.session.scalar(select(User).where(or_(User.service_number == identifier.upper(),
                                                          func.lower(User.email) == identifier.lower())))
        if person is None:
            flash(_("Nobody has that service number or email."), "error")
        else:
            try:
                authoring.add_co_author(course, person, actor=current_user)
            except VersionError as error:
                db.session.rollback()
                flash(str(error), "error")
            else:
                db.session.commit()
                flash(_("%(name)s can now write this course.", name=person.name), "success")
    else:
        _flash_form_errors(form)
    return redirect(url_for(".course_overview", course_id=course.id))


@bp.post("/courses/<int:course_id>/authors/<int:user_id>/remove")
@role_required("trainer")
def author_remove(course_id: int, user_id: int):
    """Course owners and admins: stop a co-author from writing the course."""
    course = authored_course(course_id)
    require(can_manage_authors(current_user, course))
    person = db.get_or_404(User, user_id)
    if EmptyForm().validate_on_submit():
        try:
            authoring.remove_co_author(course, person, actor=current_user)
        except VersionError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("%(name)s no longer writes this course.", name=person.name), "success")
    return redirect(url_for(".course_overview", course_id=course.id))


@bp.post("/courses/<int:course_id>/modules")
@role_required("trainer")
def module_new(course_id: int):
    """Course owners, co-authors, admins: add a module (with an empty draft) at the end of the course."""
    course = authored_course(course_id)
    form = ModuleNewForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return redirect(url_for(".course_overview", course_id=course.id))
    try:
        module = authoring.add_module(course, actor=current_user, title=form.title.data, slug=form.slug.data or "")
    except VersionError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".course_overview", course_id=course.id))
    db.session.commit()
    flash(_("Module added. Write its details and lessons, then publish it."), "success")
    return redirect(url_for(".module_edit", module_id=module.id))


@bp.get("/modules/<int:module_id>")
@role_required("trainer")
def module_edit(module_id: int):
    """Course owners, co-authors, admins; any trainer, read-only, for the shipped course: a module's
    draft and versions, its lessons, and what can be done next."""
    module = readable_module(module_id)
    draft, published = versions.draft_of(module), versions.latest_published(module)
    shown = draft or published
    history = db.session.scalars(select(ModuleVersion).where(ModuleVersion.module_id == module.id)
                                 .order_by(ModuleVersion.number.desc())).all()
    bank_url = (url_for("quiz_author.bank", module_id=module.id)
                if "quiz_author.bank" in current_app.view_functions else None)
    return render_template("training/author/module.html", module=module, draft=draft, published=published,
                           shown=shown, history=history, studied=authoring.has_been_studied(module),
                           was_published=published is not None or any(v.status != "draft" for v in history),
                           form=EmptyForm(), lang=editing_language(module.course), pick=pick,
                           title=_module_title(module), bank_url=bank_url,
                           can_edit=can_author(current_user, module.course))


@bp.post("/modules/<int:module_id>/move")
@role_required("trainer")
def module_move(module_id: int):
    """Course owners, co-authors, admins: move a module up or down in its course."""
    module = authored_module(module_id)
    form = MoveForm()
    if form.validate_on_submit():
        authoring.move_module(module, form.direction.data, actor=current_user)
        db.session.commit()
    return redirect(url_for(".course_overview", course_id=module.course_id))


def _module_action(module_id: int, action, success: str):
    module = authored_module(module_id)
    if EmptyForm().validate_on_submit():
        try:
            action(module)
        except VersionError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(success, "success")
    return module


@bp.post("/modules/<int:module_id>/draft")
@role_required("trainer")
def draft_start(module_id: int):
    """Course owners, co-authors, admins: start a draft that copies the published version (learners keep that one)."""
    module = _module_action(module_id, lambda m: versions.start_draft(m, actor=current_user),
                            _("Draft started. Learners keep the published version until you publish this one."))
    return redirect(url_for(".module_edit", module_id=module.id))


@bp.post("/modules/<int:module_id>/draft/discard")
@role_required("trainer")
def draft_discard(module_id: int):
    """Course owners, co-authors, admins: throw away the draft of a module that has a published version."""
    module = _module_action(module_id, lambda m: authoring.discard_draft(m, actor=current_user), _("Draft discarded."))
    return redirect(url_for(".module_edit", module_id=module.id))


@bp.post("/modules/<int:module_id>/publish")
@role_required("trainer")
def module_publish(module_id: int):
    """Course owners, co-authors, admins: publish the draft; it is frozen from then on."""
    module = _module_action(module_id, lambda m: authoring.publish_module(m, actor=current_user),
                            _("Published. Learners now see this version."))
    return redirect(url_for(".module_edit", module_id=module.id))


@bp.post("/modules/<int:module_id>/archive")
@role_required("trainer")
def module_archive(module_id: int):
    """Course owners, co-authors, admins: archive a module (learners stop seeing it), or bring it back."""
    module = authored_module(module_id)
    archived = not module.is_archived
    _module_action(module_id, lambda m: authoring.set_archived(m, archived, actor=current_user),
                   _("Module archived.") if archived else _("Module restored."))
    return redirect(url_for(".module_edit", module_id=module.id))


@bp.post("/modules/<int:module_id>/delete")
@role_required("trainer")
def module_delete(module_id: int):
    """Course owners, co-authors, admins: delete a module that was never published (others are archived)."""
    module = authored_module(module_id)
    course_id = module.course_id
    if not EmptyForm().validate_on_submit():
        return redirect(url_for(".module_edit", module_id=module.id))
    try:
        authoring.delete_module(module, actor=current_user)
    except VersionError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".module_edit", module_id=module_id))
    db.session.commit()
    flash(_("Module deleted."), "success")
    return redirect(url_for(".course_overview", course_id=course_id))


@bp.route("/modules/<int:module_id>/details", methods=["GET", "POST"])
@role_required("trainer")
def module_details(module_id: int):
    """Course owners, co-authors, admins: the draft's title, summary, objectives, minutes and sources, per language."""
    module = authored_module(module_id)
    draft = versions.draft_of(module)
    if draft is None:
        flash(_("Start a draft to change this module."), "error")
        return redirect(url_for(".module_edit", module_id=module.id))
    lang = editing_language(module.course)
    form = ModuleDetailsForm(data=None if request.method == "POST" else {
        "title": draft.title.get(lang, ""), "summary": draft.summary.get(lang, ""),
        "objectives": "\n".join(draft.objectives.get(lang, [])), "minutes": draft.minutes,
        "sources": "\n".join(draft.sources or [])})
    if form.validate_on_submit():
        authoring.update_details(draft, lang, actor=current_user, title=form.title.data,
                                 summary=form.summary.data or "", objectives=(form.objectives.data or "").splitlines(),
                                 minutes=form.minutes.data, sources=(form.sources.data or "").splitlines())
        db.session.commit()
        flash(_("Details saved."), "success")
        return redirect(url_for(".module_edit", module_id=module.id, lang=lang))
    return render_template("training/author/module_details.html", module=module, draft=draft, form=form, lang=lang,
                           languages=module.course.language_list)


@bp.get("/modules/<int:module_id>/preview")
@role_required("trainer")
def module_preview(module_id: int):
    """Course owners, co-authors, admins; any trainer for the shipped course: the draft (or the
    published version) exactly as learners will see it."""
    module = readable_module(module_id)
    version = versions.draft_of(module) or versions.latest_published(module)
    if version is None or not version.lessons:
        flash(_("Add a lesson to preview the module."), "error")
        return redirect(url_for(".module_edit", module_id=module.id))
    number = request.args.get("lesson", 1, type=int)
    if not 1 <= number <= len(version.lessons):
        abort(404)
    lesson = version.lessons[number - 1]
    lang = learning.content_language(version, request.args.get("lang"), editing_language(module.course))
    if request.args.get("lang") in (lesson.title or {}):  # an author may preview a language still being written
        lang = request.args["lang"]
    return render_template("training/lesson.html", preview=True, **lesson_context(lesson, lang, set()))
