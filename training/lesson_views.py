"""Trainers' screens for the lessons of a module's draft: add, write (with a preview), order, delete, add a picture."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from core.forms import EmptyForm
from core.permissions import require, role_required
from extensions import db
from training import authoring, images, versions
from training.author_views import authored_module, editing_language
from training.forms import ImageForm, LessonForm, LessonNewForm, MoveForm
from training.markdown import render as render_markdown
from training.models import Lesson, VersionStatus
from training.permissions import can_author
from training.versions import VersionError

bp = Blueprint("lesson_author", __name__, url_prefix="/training/author")


def _authored_lesson(lesson_id: int) -> Lesson:
    lesson = db.get_or_404(Lesson, lesson_id)
    require(can_author(current_user, lesson.module_version.module.course))
    return lesson


def _to_module(lesson: Lesson, lang: str | None = None):
    return redirect(url_for("training_author.module_edit", module_id=lesson.module_version.module_id, lang=lang))


def _is_draft(lesson: Lesson) -> bool:
    if lesson.module_version.status == VersionStatus.DRAFT.value:
        return True
    flash(_("This lesson is part of a published version, which never changes. Start a draft to edit it."), "error")
    return False


@bp.post("/modules/<int:module_id>/lessons")
@role_required("trainer")
def lesson_new(module_id: int):
    """Course owners, co-authors, admins: add a lesson at the end of the module's draft."""
    module = authored_module(module_id)
    lang = editing_language(module.course)
    draft = versions.draft_of(module)
    form = LessonNewForm()
    if draft is None:
        flash(_("Start a draft to change this module."), "error")
    elif form.validate_on_submit():
        try:
            lesson = authoring.add_lesson(draft, lang, actor=current_user, title=form.title.data)
        except VersionError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            return redirect(url_for(".lesson_edit", lesson_id=lesson.id, lang=lang))
    else:
        flash(_("Give the lesson a title."), "error")
    return redirect(url_for("training_author.module_edit", module_id=module.id, lang=lang))


@bp.route("/lessons/<int:lesson_id>", methods=["GET", "POST"])
@role_required("trainer")
def lesson_edit(lesson_id: int):
    """Course owners, co-authors, admins: write a draft lesson in one language; preview shows what learners get."""
    lesson = _authored_lesson(lesson_id)
    module = lesson.module_version.module
    lang = editing_language(module.course)
    if not _is_draft(lesson):
        return _to_module(lesson, lang)
    form = LessonForm(data=None if request.method == "POST" else {
        "title": lesson.title.get(lang, ""), "body": lesson.body.get(lang, "")})
    preview_html = None
    if form.validate_on_submit():
        if form.preview.data:
            preview_html = render_markdown(form.body.data or "")
        else:
            try:
                authoring.update_lesson(lesson, lang, actor=current_user, title=form.title.data,
                                        body=form.body.data or "")
            except VersionError as error:
                db.session.rollback()
                flash(str(error), "error")
            else:
                db.session.commit()
                flash(_("Lesson saved."), "success")
                return redirect(url_for(".lesson_edit", lesson_id=lesson.id, lang=lang))
    elif request.method == "GET":
        preview_html = render_markdown(lesson.body.get(lang, ""))
    draft = lesson.module_version
    return render_template("training/author/lesson.html", lesson=lesson, module=module, draft=draft, form=form,
                           image_form=ImageForm(), lang=lang, languages=module.course.language_list,
                           preview_html=preview_html, number=draft.lessons.index(lesson) + 1,
                           box_title=_box_title(lang))


def _box_title(lang: str) -> str:
    """The action box's title in the lesson's language (the toolbar writes it into the text), not
    in the interface's: a trainer reading the site in English may be writing the Arabic lesson."""
    with force_locale(lang):
        return _("What you do")


@bp.post("/lessons/<int:lesson_id>/move")
@role_required("trainer")
def lesson_move(lesson_id: int):
    """Course owners, co-authors, admins: move a draft lesson up or down."""
    lesson = _authored_lesson(lesson_id)
    form = MoveForm()
    if _is_draft(lesson) and form.validate_on_submit():
        authoring.move_lesson(lesson, form.direction.data, actor=current_user)
        db.session.commit()
    return _to_module(lesson, request.args.get("lang"))


@bp.post("/lessons/<int:lesson_id>/delete")
@role_required("trainer")
def lesson_delete(lesson_id: int):
    """Course owners, co-authors, admins: remove a lesson from the draft (published versions keep theirs)."""
    lesson = _authored_lesson(lesson_id)
    module_id = lesson.module_version.module_id
    if _is_draft(lesson) and EmptyForm().validate_on_submit():
        authoring.delete_lesson(lesson, actor=current_user)
        db.session.commit()
        flash(_("Lesson removed from the draft."), "success")
    return redirect(url_for("training_author.module_edit", module_id=module_id))


@bp.post("/lessons/<int:lesson_id>/image")
@role_required("trainer")
def lesson_image(lesson_id: int):
    """Course owners, co-authors, admins: upload a picture; it is checked, re-encoded and added to the lesson."""
    lesson = _authored_lesson(lesson_id)
    lang = editing_language(lesson.module_version.module.course)
    if not _is_draft(lesson):
        return _to_module(lesson, lang)
    form = ImageForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for(".lesson_edit", lesson_id=lesson.id, lang=lang))
    try:
        image = images.store_upload(form.image.data, actor=current_user)
        snippet = images.markdown_snippet(image, form.alt.data)
        authoring.append_to_lesson(lesson, lang, snippet)
    except images.ImageError as error:
        db.session.rollback()
        flash(_("The picture was not added: %(reason)s", reason=str(error)), "error")
        return redirect(url_for(".lesson_edit", lesson_id=lesson.id, lang=lang))
    db.session.commit()
    flash(_("Picture added at the end of the lesson. Move this line where you want it: %(snippet)s",
            snippet=snippet), "success")
    return redirect(url_for(".lesson_edit", lesson_id=lesson.id, lang=lang))
