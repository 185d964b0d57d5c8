"""Taking a quiz: the intro page, the attempt pages (no JavaScript needed), submitting, the result."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import String, bindparam, cast, func, literal_column, select
from sqlalchemy.orm import defer, joinedload

from core import languages
from core.forms import EmptyForm
from core.layout import Deferred, frozen_key, kept_fragment
from core.reads import read
from database import utcnow
from extensions import db
from quizzes import attempts as attempt_service
from quizzes.attempts import GRACE, AttemptClosed, aware, time_is_up
from quizzes.forms import FinishForm, attempt_form
from quizzes.models import Answer, Attempt, Layout, Quiz, QuizVersion, kept_question_map
from quizzes.review import attempt_questions, build_review, open_questions
from quizzes.services import QuizError, bank_size, quiz_for_module
from quizzes.text import render as render_text
from training import learning
from training.i18n import pick
from training.models import Module, ModuleVersion

bp = Blueprint("quizzes", __name__, url_prefix="/quiz")
bp.add_app_template_global(render_text, "quiz_text")


def _lang() -> str:
    return languages.current_code()


def module_title(module_id: int, lang: str) -> str:
    """The module's title from its published version (else its latest), or its slug."""
    # Plain columns (core.reads): a version object brings four JSON columns to show one title.
    row = read(_title_statement(), {"module_id": module_id}).first()
    if row is None:
        return ""
    return pick(row.title or {}, lang, row.default_language) or row.slug


@cache
def _title_statement():
    return (select(Module.slug, Module.default_language, ModuleVersion.title)
            .outerjoin(ModuleVersion, ModuleVersion.module_id == Module.id).where(Module.id == bindparam("module_id"))
            .order_by((ModuleVersion.status == "published").desc(), ModuleVersion.number.desc()).limit(1))


def _load_quiz(module_id: int):
    """A module learners may study, its quiz, the size of its bank and the id of the version the
    person studies; 404 for drafts, archived modules and empty banks."""
    # With its course: the certification cycle reads it.
    module = db.get_or_404(Module, module_id, options=[joinedload(Module.course)])
    quiz = quiz_for_module(module.id)
    size = bank_size(module.id) if quiz is not None else 0
    if not size or module.is_archived or module.course.is_archived:
        abort(404)
    # learner_version()'s choice from plain rows: only its id is needed.
    version_id = learning.studied_version_id(current_user.id, module.id)
    if version_id is None:
        abort(404)
    return module, quiz, size, version_id


def _load_attempt(attempt_id: int) -> Attempt:
    # Every attempt page reads the frozen version (and most the quiz): in the same statement.
    # The questions stay in the database until a page needs them, and then usually come from
    # QuizVersion.question_map()'s per-process copy, kept by the version's fingerprint.
    attempt = db.get_or_404(Attempt, attempt_id, options=[
        joinedload(Attempt.quiz_version).options(defer(QuizVersion.questions), joinedload(QuizVersion.quiz))])
    if attempt.user_id != current_user.id:
        abort(403)
    return attempt


def time_left(attempt: Attempt, now: datetime) -> dict | None:
    if attempt.deadline_at is None:
        return None
    deadline = aware(attempt.deadline_at)
    seconds = max(0, int((deadline - now).total_seconds()))
    return {"minutes": seconds // 60, "seconds": seconds % 60, "deadline": deadline}


@bp.get("/module/<int:module_id>")
@login_required
def intro(module_id: int):
    """Any signed-in person: the quiz of a module, their attempts, and a start button."""
    module, quiz, size, _version_id = _load_quiz(module_id)
    past = attempt_service.attempts_of(current_user.id, quiz.id)
    current = next((a for a in past if a.is_open), None)
    now = utcnow()
    if current is not None and attempt_service.close_if_expired(current, now):
        db.session.commit()
        current = None
    check = attempt_service.start_check(current_user, quiz, now,
                                        current=attempt_service.current_attempts(current_user.id, quiz, past))
    return render_template("quizzes/intro.html", module=module, quiz=quiz, title=module_title(module.id, _lang()),
                           attempts=[a for a in past if not a.is_open], current=current, check=check,
                           count=_question_count(quiz, size))


def _question_count(quiz, total: int) -> int:
    """How many questions an attempt draws from a bank of `total`."""
    per_tag = quiz.draw_per_tag or {}
    if per_tag:
        return sum(per_tag.values())
    return min(quiz.draw_count, total) if quiz.draw_count else total


@bp.post("/module/<int:module_id>/start")
@login_required
def start(module_id: int):
    """Any signed-in person: start an attempt (or resume the open one)."""
    _module, quiz, _size, version_id = _load_quiz(module_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        attempt = attempt_service.start_attempt(current_user, quiz, language=_lang(), module_version_id=version_id)
    except QuizError as error:
        db.session.rollback()
        flash(_(str(error)), "error")
        return redirect(url_for(".intro", module_id=module_id))
    attempt_id = attempt.id  # before the commit expires it (asking after loaded it again)
    db.session.commit()
    return redirect(url_for(".attempt", attempt_id=attempt_id))


def _closed_redirect(attempt_id: int, message: str | None = None):
    # By id: after the commit, asking the attempt for its id loaded it again, in a second
    # transaction (on SQLite a second write lock for a form post).
    if message:
        flash(message, "error")
    return redirect(url_for(".result", attempt_id=attempt_id))


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
def attempt(attempt_id: int):
    """The attempt's owner: all questions on one page, or a redirect to the page they were on."""
    if request.method == "GET":
        row = _read_attempt(attempt_id)
        if row.settings["layout"] == Layout.ONE_PER_PAGE.value:
            return redirect(url_for(".page", attempt_id=row.id, number=row.position + 1))
        return _show_page(row, list(range(len(row.drawn))), number=None)
    row = _read_for_saving(attempt_id)
    if row.settings["layout"] == Layout.ONE_PER_PAGE.value:
        return redirect(url_for(".page", attempt_id=row.id, number=row.position + 1))
    return _save_page(row, list(range(len(row.drawn))), number=None)


@bp.route("/attempts/<int:attempt_id>/q/<int:number>", methods=["GET", "POST"])
@login_required
def page(attempt_id: int, number: int):
    """The attempt's owner: question `number` (from 1) of a one-question-per-page attempt."""
    if request.method == "GET":
        row = _read_attempt(attempt_id)
        if not 1 <= number <= len(row.drawn):
            abort(404)
        return _show_page(row, [number - 1], number=number)
    row = _read_for_saving(attempt_id)
    if not 1 <= number <= len(row.drawn):
        abort(404)
    return _save_page(row, [number - 1], number=number)


# Showing a page of an open attempt (GET) is the quiz's hottest request, so it reads plain rows
# (core.reads): three statements after the BEGIN instead of four, and no mapped attempt, version, quiz and answers
# (with the form written out in the template: 2.2 -> 1.5 ms of CPU a request in the test client,
# README "Learner pages against bare Flask"). Saving answers (POST), and a page whose time is up,
# which grades the attempt, go through the mapped Attempt and the services as before.

@cache
def _attempt_statement():
    # The module's title comes in the same statement (module_title()'s order: published version first).
    title = (select(ModuleVersion.title).where(ModuleVersion.module_id == Quiz.module_id)
             .order_by((ModuleVersion.status == "published").desc(), ModuleVersion.number.desc())
             .limit(1).correlate(Quiz).scalar_subquery())
    return (select(Attempt.id, Attempt.user_id, Attempt.submitted_at, Attempt.deadline_at, Attempt.drawn,
                   Attempt.position, Attempt.quiz_version_id, QuizVersion.fingerprint, QuizVersion.settings,
                   Module.slug, Module.default_language, title.label("title"), _saved_responses().label("saved"))
            .join(QuizVersion, QuizVersion.id == Attempt.quiz_version_id)
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .join(Module, Module.id == Quiz.module_id)
            .where(Attempt.id == bindparam("attempt_id")))


def _saved_responses():
    """The attempt's saved answers in the same statement, as the text of a JSON array of
    [question id, response] pairs: each response is stored as JSON text, so the pairs are JSON
    whatever a free-text answer holds. (A statement of their own was a twentieth of the page.)"""
    pair = (literal_column("'['", String) + cast(Answer.question_id, String) + literal_column("','", String)
            + cast(Answer.response, String) + literal_column("']'", String))
    joined = func.coalesce(func.aggregate_strings(pair, literal_column("','")), literal_column("''", String))
    return (select(literal_column("'['", String) + joined + literal_column("']'", String))
            .where(Answer.attempt_id == Attempt.id).correlate(Attempt).scalar_subquery())


def _responses(saved: str | None) -> dict[int, list]:
    return {question_id: response for question_id, response in json.loads(saved or "[]")}


@cache
def _questions_statement():
    return select(QuizVersion.questions).where(QuizVersion.id == bindparam("version_id"))


def _read_attempt(attempt_id: int):
    """The attempt as a plain row, with its version's settings and its module's title; 404, then 403
    for anyone but its owner, as _load_attempt()."""
    return _owned_row(_attempt_statement(), attempt_id)


def _owned_row(statement, attempt_id: int):
    """`statement`'s row for the attempt: 404 if there is none, 403 for anyone but its owner."""
    row = read(statement, {"attempt_id": attempt_id}).first()
    if row is None:
        abort(404)
    if row.user_id != current_user.id:
        abort(403)
    return row


def _show_page(row, indexes: list[int], number: int | None):
    """GET of an attempt page, from _read_attempt()'s row: the same checks and page as _answer_page()."""
    now = utcnow()
    if row.submitted_at is not None:
        return redirect(url_for(".result", attempt_id=row.id))
    if time_is_up(row, now):  # grading is a write: the mapped attempt and the services do it
        return _answer_page(_load_attempt(row.id), indexes, number)
    lang = _lang()
    responses = _responses(row.saved)

    def items() -> list[dict]:
        questions = kept_question_map(
            row.fingerprint, lambda: read(_questions_statement(), {"version_id": row.quiz_version_id}).scalar_one())
        return open_questions(row.drawn, questions, responses, lang, indexes)

    title = pick(row.title or {}, lang, row.default_language) or row.slug
    # Rendered once per distinct question, option order, saved choice, number and language. What
    # the page shows of a question is fixed by the version's content (its fingerprint), the
    # attempt's option order and the saved choice, so that is the key: walking the questions'
    # texts to make one cost 3% of the page.
    shown = tuple((index, row.drawn[index]["id"], tuple(row.drawn[index]["options"]),
                   frozen_key(responses.get(row.drawn[index]["id"]))) for index in indexes)
    questions_html = kept_fragment("quizzes/_questions.html", total=len(row.drawn),
                                   items=Deferred(("open questions", row.fingerprint, lang, shown), items))
    return render_template("quizzes/attempt.html", questions_html=questions_html, number=number, title=title,
                           total=len(row.drawn), time_left=time_left(row, now), grace=int(GRACE.total_seconds()))


# Saving a page (POST) reads the attempt as a plain row too, and writes with two statements
# (quizzes.attempts.save_responses): the mapped attempt, its answers and the flush cost half of
# this request. A page whose time is up, or a post that does not validate, goes to
# _answer_page() with the mapped attempt, which grades or shows the page again.

@cache
def _saving_statement():
    return (select(Attempt.id, Attempt.user_id, Attempt.quiz_id, Attempt.submitted_at, Attempt.deadline_at,
                   Attempt.drawn, Attempt.position, Attempt.quiz_version_id, QuizVersion.fingerprint,
                   QuizVersion.settings)
            .join(QuizVersion, QuizVersion.id == Attempt.quiz_version_id)
            .where(Attempt.id == bindparam("attempt_id")))


def _read_for_saving(attempt_id: int):
    """The attempt as a plain row with its version's settings; 404, then 403 for anyone but its owner."""
    return _owned_row(_saving_statement(), attempt_id)


def _save_page(row, indexes: list[int], number: int | None):
    """POST of an attempt page, from _read_for_saving()'s row: save the answers, then go where the
    button said (the next or previous question, one of the navigation, the finish page) or stay."""
    now = utcnow()
    if row.submitted_at is not None:
        return redirect(url_for(".result", attempt_id=row.id))
    ids = [row.drawn[i]["id"] for i in indexes]
    form = attempt_form(ids)
    if time_is_up(row, now) or not form.validate_on_submit():
        return _answer_page(_load_attempt(row.id), indexes, number)
    responses = {qid: form[f"q{qid}"].data or [] for qid in ids}
    total = len(row.drawn)
    target = None  # the question number to go to; "finish"; None: stay, with "saved"
    go = request.form.get("go", type=int)  # a question number of the navigation, saved like Next
    if form.finish.data:
        target = "finish"
    elif number is not None and go is not None and 1 <= go <= total:
        target = go
    elif number is not None and (form.next.data or form.previous.data):
        following = number + (1 if form.next.data else -1)
        if 1 <= following <= total:
            target = following
        elif form.next.data:
            target = "finish"
    questions = kept_question_map(
        row.fingerprint, lambda: read(_questions_statement(), {"version_id": row.quiz_version_id}).scalar_one())
    position = target - 1 if isinstance(target, int) else indexes[0]
    try:
        attempt_service.save_responses(row, responses, questions, position=position, now=now)
    except AttemptClosed as error:
        db.session.rollback()
        attempt = _load_attempt(row.id)
        attempt_service.close_if_expired(attempt, now)
        db.session.commit()
        return _closed_redirect(row.id, _(str(error)))
    db.session.commit()
    if target == "finish":
        return redirect(url_for(".finish", attempt_id=row.id))
    if target is not None:
        return redirect(url_for(".page", attempt_id=row.id, number=target))
    flash(_("Your answers are saved."), "success")
    return redirect(url_for(".page", attempt_id=row.id, number=number) if number
                    else url_for(".attempt", attempt_id=row.id))


def _answer_page(attempt: Attempt, indexes: list[int], number: int | None):
    """An attempt page whose time is up (graded now), or a post that did not validate (no CSRF
    token ...): the page again."""
    now = utcnow()
    attempt_id = attempt.id
    if attempt.submitted_at is not None:
        return _closed_redirect(attempt_id)
    if attempt_service.close_if_expired(attempt, now):
        db.session.commit()
        return _closed_redirect(attempt_id, _("Time is up. Your attempt was submitted with the answers you had saved."))
    items = attempt_questions(attempt, _lang(), indexes)
    return render_template("quizzes/attempt.html", items=items, number=number,
                           title=module_title(attempt.quiz_version.quiz.module_id, _lang()),
                           total=len(attempt.drawn), time_left=time_left(attempt, now), grace=int(GRACE.total_seconds()))


@bp.route("/attempts/<int:attempt_id>/finish", methods=["GET", "POST"])
@login_required
def finish(attempt_id: int):
    """The attempt's owner: check what is unanswered, then submit for grading."""
    attempt = _load_attempt(attempt_id)
    now = utcnow()
    if attempt.submitted_at is not None:
        return _closed_redirect(attempt_id)
    form = FinishForm()
    if form.validate_on_submit():
        attempt_service.submit(attempt, now=now)
        db.session.commit()
        return redirect(url_for(".result", attempt_id=attempt_id))
    if attempt_service.close_if_expired(attempt, now):
        db.session.commit()
        return _closed_redirect(attempt_id, _("Time is up. Your attempt was submitted with the answers you had saved."))
    answered = {a.question_id for a in attempt.answers if a.response}
    unanswered = [i + 1 for i, d in enumerate(attempt.drawn) if d["id"] not in answered]
    return render_template("quizzes/finish.html", attempt=attempt, form=form, unanswered=unanswered,
                           total=len(attempt.drawn), time_left=time_left(attempt, now),
                           one_per_page=attempt.quiz_version.settings["layout"] == Layout.ONE_PER_PAGE.value)


@bp.get("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    """The attempt's owner: the score, why it passed or not, and the review the settings allow."""
    attempt = _load_attempt(attempt_id)
    if attempt.submitted_at is None:
        if not attempt_service.close_if_expired(attempt):
            return redirect(url_for(".attempt", attempt_id=attempt.id))
        db.session.commit()
    # With its course, which current_attempts() reads for the certification cycle.
    module = db.session.get(Module, attempt.quiz_version.quiz.module_id, options=[joinedload(Module.course)])
    quiz = attempt.quiz_version.quiz
    current = attempt_service.current_attempts(current_user.id, quiz)
    past = current
    if attempt not in past:  # an attempt from an earlier certification cycle
        past = attempt_service.attempts_of(current_user.id, quiz.id)
    review = build_review(attempt, _lang(), past)
    check = attempt_service.start_check(current_user, quiz, current=current)
    return render_template("quizzes/result.html", attempt=attempt, module=module, review=review, check=check,
                           title=module_title(module.id, _lang()))
