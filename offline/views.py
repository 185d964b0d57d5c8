"""The service worker at /sw.js, a course's offline manifest, the page shown for pages not saved,
and the JSON endpoint that receives answers given while offline."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core import assets
from database import utcnow
from extensions import db
from offline.manifest import course_urls
from quizzes import attempts as attempt_service
from quizzes.attempts import AttemptClosed
from quizzes.models import Attempt
from training import learning
from training.models import Course

bp = Blueprint("offline", __name__)

MAX_QUESTIONS = 500    # far more than any quiz draws
MAX_VALUES = 50        # options chosen for one question
MAX_VALUE_LENGTH = 64  # option ids are short tokens


@bp.get("/sw.js")
def service_worker():
    """Anyone: the service worker. Served from the site root so that its scope is the whole site."""
    script = assets.manifest().by_name["js/sw.js"]
    response = current_app.response_class(script.data, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"  # a new version must reach browsers at once
    return response


@bp.get("/offline/courses/<int:course_id>.json")
@login_required
def course_manifest(course_id: int):
    """Signed-in people: the URLs of a course they can open, for their device to keep."""
    course = db.get_or_404(Course, course_id)
    if not learning.is_visible(course):
        abort(404)
    return jsonify(course_urls(current_user, course))


@bp.get("/offline/unavailable")
def unavailable():
    """Anyone: what the service worker shows for a page that was not saved on the device."""
    return render_template("offline/unavailable.html")


@bp.post("/offline/attempts/<int:attempt_id>/answers")
def save_answers(attempt_id: int):
    """The attempt's owner: answers given offline, sent as JSON; stored exactly as the form stores them.

    Saving is an upsert per attempt and question (quizzes.attempts.save_answers), so sending the
    same answers twice - a retry after a lost reply, two tabs - leaves one row per question.
    CSRF is checked as for every POST (X-CSRFToken header). Nothing is graded here.
    """
    if not current_user.is_authenticated:
        return jsonify(error="signed_out", message=_("Sign in again to send your answers.")), 401
    attempt = db.get_or_404(Attempt, attempt_id)
    if attempt.user_id != current_user.id:
        abort(403)
    responses = _responses(request.get_json(silent=True))
    if responses is None:
        return jsonify(error="bad_request", message=_("These answers could not be read.")), 400
    now = utcnow()
    try:
        attempt_service.save_answers(attempt, responses, now=now)
    except AttemptClosed as error:
        db.session.rollback()
        attempt_service.close_if_expired(attempt, now)
        db.session.commit()
        return jsonify(error="closed", message=_(str(error))), 409
    db.session.commit()
    drawn = {d["id"] for d in attempt.drawn}
    return jsonify(saved=sorted(q for q in responses if q in drawn), ignored=sorted(q for q in responses if q not in drawn))


def _responses(payload) -> dict[int, list[str]] | None:
    """{"answers": {"<question id>": ["<option id>", ...]}} -> {question id: [option ids]}, or None if malformed."""
    answers = payload.get("answers") if isinstance(payload, dict) else None
    if not isinstance(answers, dict) or not answers or len(answers) > MAX_QUESTIONS:
        return None
    responses = {}
    for key, values in answers.items():
        if not str(key).isdigit() or not isinstance(values, list) or len(values) > MAX_VALUES:
            return None
        if not all(isinstance(v, str) and 0 < len(v) <= MAX_VALUE_LENGTH for v in values):
            return None
        responses[int(key)] = values
    return responses


@bp.after_app_request
def forget_the_device_copy_on_sign_out(response):
    # A shared PC must not keep one person's saved pages and answers for the next: signing out
    # tells the browser to drop this site's storage, service worker and caches included.
    if request.endpoint == "accounts.sign_out" and not current_user.is_authenticated:
        response.headers["Clear-Site-Data"] = '"storage"'
    return response
