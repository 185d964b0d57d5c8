"""Trainers' screens: a module's question bank, questions, quiz settings, GIFT in and out, item analysis.

Only the course's owner, its co-authors and admins may open them; mission leads never see scores.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from core import languages
from core.forms import EmptyForm
from core.permissions import role_required
from extensions import db
from jobs import services as jobs
from quizzes import analysis, gift_job, quality, services, transfer
from quizzes.forms import GiftUploadForm, QuizSettingsForm, question_form
from quizzes.models import Attempt, Question, QuizVersion
from quizzes.registry import TYPES, get_type
from quizzes.services import QuizError
from quizzes.views import module_title
from training import images
from training.images import ImageError
from training.models import Module
from training.permissions import can_author, can_read_course

bp = Blueprint("quiz_author", __name__, url_prefix="/quiz/author")


def _module(module_id: int, *, read: bool = False) -> Module:
    """The module, if the user may write its course (or, with `read`, read it: the shipped course)."""
    module = db.get_or_404(Module, module_id)
    if not (can_read_course if read else can_author)(current_user, module.course):
        abort(403)
    return module


def _languages(module: Module) -> list[str]:
    return module.course.language_list or [module.default_language]


def _chosen_lang(module: Module) -> str:
    lang = request.args.get("lang", module.default_language)
    return lang if lang in languages.codes() else module.default_language


def _guessability(module: Module, questions: list[dict], settings: dict) -> list[dict]:
    """Both guessers' chance to pass, one row per language of the course."""
    figures = quality.guessability(questions, settings, _languages(module))
    rows: dict[str, dict] = {}
    for figure in figures:
        rows.setdefault(figure.lang, {"lang": figure.lang})[figure.guesser] = figure
    return list(rows.values())


def _current_guessability(module: Module, quiz) -> list[dict]:
    """For the bank as it is now and the settings as they are now (what the next version freezes)."""
    return _guessability(module, [q.snapshot() for q in services.bank(module.id)], quiz.settings())


@bp.get("/module/<int:module_id>")
@role_required("trainer")
def bank(module_id: int):
    """Course owners, co-authors, admins; any trainer, read-only, for the shipped course: the module's
    question bank, quiz settings and versions."""
    module = _module(module_id, read=True)
    can_edit = can_author(current_user, module.course)
    quiz = services.get_or_create_quiz(module) if can_edit else services.quiz_for_module(module.id)
    if quiz is None:  # a reader of a module without a quiz: nothing to show, nothing created
        abort(404)
    db.session.commit()
    questions = services.bank(module.id, include_archived=True)
    versions = db.session.execute(
        select(QuizVersion, func.count(Attempt.id)).outerjoin(Attempt, Attempt.quiz_version_id == QuizVersion.id)
        .where(QuizVersion.quiz_id == quiz.id).group_by(QuizVersion.id).order_by(QuizVersion.number.desc())).all()
    warnings = {q.id: quality.question_warnings(q.snapshot()) for q in questions}
    return render_template("quizzes/author/bank.html", module=module, quiz=quiz, questions=questions, types=TYPES,
                           versions=versions, languages=_languages(module), title=module_title(module.id, "en"),
                           pending=services.has_unfrozen_changes(quiz), form=EmptyForm(), warnings=warnings,
                           guessability=_current_guessability(module, quiz), can_edit=can_edit)


def _question_page(module: Module, qtype, question: Question | None):
    lang = _chosen_lang(module)
    content = dict(question.content) if question else {}
    answer = dict(question.answer) if question else {}
    form = question_form(qtype, content if question else None, answer if question else None)
    lang_content = dict(content.get(lang) or {})
    if request.method == "GET" and question is not None:
        form.key.data, form.tags.data = question.key, ", ".join(question.tags or [])
        form.is_critical.data = question.is_critical
        form.text.data = lang_content.get("text", "")
        form.format.data = lang_content.get("format", "plain")
        form.general_feedback.data = lang_content.get("general_feedback", "")
        qtype.load_form(form, lang_content, answer)
    if form.validate_on_submit():
        try:
            base = {**lang_content, "text": form.text.data.strip(), "format": form.format.data,
                    "general_feedback": (form.general_feedback.data or "").strip()}
            new_lang, new_answer, others = qtype.read_form(form, base, answer, content)
            content = {**others, lang: new_lang}
            image_id, keep = _image_change(qtype, form)
            saved = services.save_question(module, actor=current_user, key=form.key.data, type_name=qtype.name,
                                           content=content, answer=new_answer, tags=form.tags.data,
                                           is_critical=form.is_critical.data, question=question,
                                           image_id=image_id, keep_image=keep)
        except (QuizError, ImageError, ValueError) as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Question %(key)s saved.", key=saved.key), "success")
            return redirect(url_for(".bank", module_id=module.id))
    warnings = quality.question_warnings(question.snapshot()) if question is not None else []
    # The type's author template extends quizzes/author/question.html with its own fields.
    return render_template(qtype.template("author"), module=module, form=form, qtype=qtype, question=question,
                           lang=lang, languages=_languages(module), warnings=warnings)


def _image_change(qtype, form) -> tuple[int | None, bool]:
    """(new image id, keep the current one) from the form of a type that takes an image."""
    if not qtype.has_image:
        return None, True
    if form.remove_image.data:
        return None, False
    upload = form.image.data
    if upload and getattr(upload, "filename", ""):
        return images.store_upload(upload, actor=current_user).id, True
    return None, True


@bp.route("/module/<int:module_id>/questions/new", methods=["GET", "POST"])
@role_required("trainer")
def question_new(module_id: int):
    """Course owners, co-authors, admins: add a question of the chosen type."""
    module = _module(module_id)
    type_name = request.args.get("type", "single_choice")
    if type_name not in TYPES:
        abort(404)
    return _question_page(module, TYPES[type_name], None)


@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
@role_required("trainer")
def question_edit(question_id: int):
    """Course owners, co-authors, admins: change a question (one language at a time)."""
    question = db.get_or_404(Question, question_id)
    module = _module(question.module_id)
    return _question_page(module, get_type(question.type), question)


@bp.post("/questions/<int:question_id>/archive")
@role_required("trainer")
def question_archive(question_id: int):
    """Course owners, co-authors, admins: take a question out of the pool, or put it back."""
    question = db.get_or_404(Question, question_id)
    module = _module(question.module_id)
    if EmptyForm().validate_on_submit():
        try:
            services.set_archived(question, not question.is_archived, actor=current_user)
        except QuizError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
    return redirect(url_for(".bank", module_id=module.id))


@bp.route("/module/<int:module_id>/settings", methods=["GET", "POST"])
@role_required("trainer")
def settings(module_id: int):
    """Course owners, co-authors, admins: the quiz settings (the next attempt freezes them)."""
    module = _module(module_id)
    quiz = services.get_or_create_quiz(module)
    form = QuizSettingsForm(obj=quiz)
    if request.method == "GET":
        form.draw_per_tag.data = ", ".join(f"{t}: {n}" for t, n in (quiz.draw_per_tag or {}).items())
    if form.validate_on_submit():
        try:
            values = {name: getattr(form, name).data for name in quiz.SETTINGS if name != "draw_per_tag"}
            values["draw_per_tag"] = form.per_tag()
            values["min_critical"] = values["min_critical"] or 0
            services.update_settings(quiz, actor=current_user, **values)
        except (QuizError, ValueError) as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Quiz settings saved. The next attempt uses them; attempts already started keep theirs."), "success")
            return redirect(url_for(".bank", module_id=module.id))
    return render_template("quizzes/author/settings.html", module=module, form=form, quiz=quiz,
                           guessability=_current_guessability(module, quiz))


@bp.route("/module/<int:module_id>/import", methods=["GET", "POST"])
@role_required("trainer")
def gift_import(module_id: int):
    """Course owners, co-authors, admins: import questions from a Moodle GIFT file (a background job)."""
    module = _module(module_id)
    form = GiftUploadForm(lang=module.default_language)
    if form.validate_on_submit():
        upload = form.file.data
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            flash(_("The file is not UTF-8 text."), "error")
            return render_template("quizzes/author/import.html", module=module, form=form)
        # Parsed, checked and written by the job: a big file takes longer than a page may.
        job_id = gift_job.start(text, upload.filename or "", module_id=module.id, lang=form.lang.data,
                                keep_good=form.keep_good.data, actor=current_user).id
        db.session.commit()
        jobs.enqueue(job_id)
        return redirect(url_for("jobs.show", job_id=job_id))
    return render_template("quizzes/author/import.html", module=module, form=form)


@bp.get("/module/<int:module_id>/export.gift")
@role_required("trainer")
def gift_export(module_id: int):
    """Course owners, co-authors, admins: download the bank as GIFT in one language."""
    module = _module(module_id)
    lang = _chosen_lang(module)
    text = transfer.export_gift(module, lang)
    filename = f"{module.slug}.{lang}.gift"
    return Response(text, mimetype="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


@bp.get("/module/<int:module_id>/analysis")
@role_required("trainer")
def item_analysis(module_id: int):
    """Course owners, co-authors, admins; any trainer for the shipped course: how each quiz version and
    each question performed."""
    module = _module(module_id, read=True)
    quiz = services.quiz_for_module(module.id)
    versions = list(quiz.versions) if quiz else []
    if not versions:
        # No attempt yet: how guessable the quiz is already shows, for the bank and settings as they are.
        guessability = _current_guessability(module, quiz) if quiz else []
        return render_template("quizzes/author/analysis.html", module=module, versions=[], report=None, quiz=quiz,
                               guessability=guessability)
    number = request.args.get("version", type=int) or versions[-1].number
    version = next((v for v in versions if v.number == number), None)
    if version is None:
        abort(404)
    report = analysis.analyse(version, lang=_chosen_lang(module))
    return render_template("quizzes/author/analysis.html", module=module, versions=versions, version=version,
                           report=report, guessability=_guessability(module, version.questions, version.settings))
