"""Learners' pages: My training, a course, a module, the lesson player, the printable module, lesson images.

Reading a page never writes: progress is recorded by the "mark as read" POST, which is
idempotent (a repeated post records nothing twice).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core import reads
from core.forms import EmptyForm
from core.layout import kept_fragment
from extensions import db
from training import learning, player, progress
from training.hooks import hooks
from training.i18n import pick
from training.markdown import render_frozen
from training.models import Course, LessonImage, Module, ModuleVersion
from training.player import interface_language
from training.statuses import STATUS, STATUS_LIST

bp = Blueprint("training", __name__)
# Every page that shows readiness (My training, the dashboards) loops over these: one definition.
bp.add_app_template_global(STATUS_LIST, "READINESS_STATUSES")
bp.add_app_template_global(STATUS, "READINESS_STATUS")

MEDIA_MAX_AGE = 31_536_000  # one year: the name is the content's hash, so it never changes meaning


def _studied_module(module_id: int) -> tuple[Module, ModuleVersion]:
    module = db.get_or_404(Module, module_id)
    version = learning.learner_version(current_user, module, with_lessons=True)
    if version is None:
        abort(404)
    return module, version


def _quiz_url(module_id: int) -> str | None:
    if "quizzes.intro" in current_app.view_functions:
        return url_for("quizzes.intro", module_id=module_id)
    return None


@bp.get("/training")
@login_required
def my_training():
    """Signed-in people: the courses their current deployment requires, with status, and the optional
    ones offered to their mission, category and language."""
    required = learning.required_courses(current_user)
    required_ids = {item.course.id for item in required}
    optional = [c for c in learning.visible_courses()
                if c.id not in required_ids and learning.offered_to(c, current_user)]
    by_course = learning.courses_progress(current_user, [item.course for item in required] + optional, outlines=True)
    steps = {course_id: learning.next_step(current_user, None, modules)
             for course_id, modules in by_course.items() if modules}
    return render_template("training/my_training.html", required=required, optional=optional, steps=steps,
                           notices=hooks().notices(current_user.id, interface_language()),
                           deployment=current_user.current_deployment(), lang=interface_language(), pick=pick)


@bp.get("/training/courses/<int:course_id>")
@login_required
def course(course_id: int):
    """Signed-in people: a course's modules, their progress in each, and where to continue."""
    course = reads.get(Course, course_id) or abort(404)
    modules = learning.course_progress(current_user, course, outlines=True)
    if not modules:  # archived, or nothing published yet
        abort(404)
    requirement = next((item for item in learning.required_courses(current_user)
                        if item.course.id == course.id), None)
    return render_template("training/course.html", course=course, modules=modules, requirement=requirement,
                           step=learning.next_step(current_user, course, modules), lang=interface_language(),
                           pick=pick, complete=all(m.completed for m in modules))


@bp.get("/training/modules/<int:module_id>")
@login_required
def module(module_id: int):
    """Signed-in people: a module's summary, objectives and lessons, with a button to start or resume."""
    module = db.get_or_404(Module, module_id)
    # The whole course's progress in one go: the page needs "what next" once the module is complete.
    modules = learning.course_progress(current_user, module.course)
    state = next((item for item in modules if item.module.id == module.id), None)
    if state is None and not module.is_archived:  # not live: only a version begun earlier may still be studied
        state = learning.module_progress(current_user, module)
    if state is None or state.version is None:
        abort(404)
    version = state.version
    learning.lesson_bodies(version)  # the page offers the languages every lesson is written in
    lang = learning.content_language(version, request.args.get("lang"), interface_language())
    next_step = learning.next_step(current_user, module.course, modules) if state.completed else None
    return render_template("training/module.html", module=module, version=version, state=state, lang=lang,
                           langs=learning.version_languages(version), quiz_url=_quiz_url(module.id),
                           resume=learning.resume_lesson(version, state.viewed), pick=pick,
                           newer=state.published, next_step=next_step)


@bp.get("/training/lessons/<int:lesson_id>")
@login_required
def lesson(lesson_id: int):
    """Signed-in people: one lesson of the module version they study, with previous / next and where they are."""
    page, mine = player.lesson_and_studied(current_user.id, lesson_id)
    if page is None or mine is None:
        abort(404)
    if mine.id != page.version_id:  # an old link, or a newer version: the same lesson in theirs
        same = learning.lesson_in(db.session.get(ModuleVersion, mine.id), page.key)
        target = url_for(".lesson", lesson_id=same.id) if same else url_for(".module", module_id=page.module.id)
        return redirect(target)
    lessons = player.outline(page)
    langs = player.version_languages(page, lessons)
    lang = learning.pick_language(langs, request.args.get("lang"), interface_language(), page.module.default_language)
    # No form object: the page's one POST button carries csrf_token() itself (checked by CSRFProtect).
    context = player.learner_context(page, lessons, langs, lang, mine.viewed)
    # Both parts are plain values: rendered once per distinct context and language (core.layout).
    # The text does not depend on what the person has read, so it is kept once for everybody.
    text = kept_fragment("training/_lesson_text.html", preview=False,
                         **{name: value for name, value in context.items() if name != "viewed"})
    nav = kept_fragment("training/_lesson_nav.html", preview=False,
                        **{name: value for name, value in context.items() if name != "body"})
    return render_template("training/lesson.html", title=context["title"], text_html=text, nav_html=nav)


@bp.post("/training/lessons/<int:lesson_id>/done")
@login_required
def lesson_done(lesson_id: int):
    """Signed-in people: mark a lesson of their version as read, complete the module if it is, go on."""
    # Plain rows, as the lesson page reads them (the same row): the lesson, its version, module
    # and course as mapped objects, and the version the person studies as one, cost a third of
    # this request, and only ids are needed until the module may be complete
    # (training.progress.lesson_read).
    place, mine = player.lesson_and_studied(current_user.id, lesson_id)
    if place is None:
        abort(404)
    module_id = place.module.id
    if mine is None or mine.id != place.version_id:
        return redirect(url_for(".module", module_id=module_id))
    if not EmptyForm().validate_on_submit():
        abort(400)
    lang = request.args.get("lang")
    lesson_ids = learning.lesson_ids(place.version_id, place.version_published_at)
    following = lesson_ids.index(lesson_id) + 1
    done = progress.lesson_read(current_user, lesson_id, place.version_id, lesson_ids, viewed=mine.viewed,
                                last=following == len(lesson_ids), course=place.course)
    db.session.commit()
    if following < len(lesson_ids):
        return redirect(url_for(".lesson", lesson_id=lesson_ids[following], lang=lang))
    if done.module_completed:
        flash(_("Module complete. Well done."), "success")
        if done.course_completed:
            flash(_("You have completed the course. Your certificate is on the My certificates page."), "success")
    elif done.completion is None and _quiz_url(module_id):
        flash(_("You have read every lesson. Take the quiz to complete the module."), "success")
    return redirect(url_for(".module", module_id=module_id, lang=lang))


@bp.get("/training/modules/<int:module_id>/print")
@login_required
def module_print(module_id: int):
    """Signed-in people: every lesson of the module version they study on one page, for printing."""
    module, version = _studied_module(module_id)
    lang = learning.content_language(version, request.args.get("lang"), interface_language())
    bodies = [(pick(lesson.title, lang, module.default_language),
               render_frozen(pick(lesson.body, lang, module.default_language))) for lesson in version.lessons]
    return render_template("training/print.html", module=module, version=version, lang=lang, bodies=bodies, pick=pick,
                           langs=learning.version_languages(version))


@bp.get("/media/<string(length=64):sha256>.webp")
@login_required
def media(sha256: str):
    """Signed-in people: a lesson image, by the hash of its (re-encoded) bytes; cached for a year."""
    image = db.session.scalar(select(LessonImage).filter_by(sha256=sha256.lower()))
    if image is None:
        abort(404)
    response = current_app.response_class(image.data, mimetype=image.media_type)
    response.headers["Cache-Control"] = f"public, max-age={MEDIA_MAX_AGE}, immutable"
    response.set_etag(image.sha256)
    return response.make_conditional(request)
