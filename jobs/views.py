"""A job's page: its progress (a bar that refreshes itself, no JavaScript needed), result and errors."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.forms import EmptyForm
from extensions import db
from jobs import services
from jobs.models import Job
from jobs.registry import KINDS

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def _job_for(job_id: int) -> Job:
    """Load, then authorise: a job is its starter's and the admins' to see."""
    job = db.get_or_404(Job, job_id)
    if job.created_by_id != current_user.id and not current_user.has_role("admin"):
        abort(403)
    return job


@bp.get("/")
@login_required
def index():
    """Anyone signed in: the jobs they started (admins: every job)."""
    return render_template("jobs/index.html", jobs=services.recent_for(current_user), kinds=KINDS,
                           status_labels=_status_labels())


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int):
    """The job's starter and admins: progress, result, errors by line."""
    job = _job_for(job_id)
    kind = KINDS.get(job.kind)
    next_step = kind.next_step(job) if kind and kind.next_step and job.status == "done" else None
    return render_template("jobs/show.html", job=job, kind=kind, stalled=services.is_stalled(job),
                           can_run_again=services.can_run_again(job), file=services.file_path(job),
                           next_step=next_step, form=EmptyForm())


@bp.get("/<int:job_id>/file")
@login_required
def download(job_id: int):
    """The job's starter and admins: the file the job produced."""
    job = _job_for(job_id)
    path = services.file_path(job)
    if path is None:
        abort(404)
    return send_file(path, as_attachment=True, download_name=job.file_name, max_age=0)


@bp.post("/<int:job_id>/run-again")
@login_required
def run_again(job_id: int):
    """The job's starter and admins: run a failed job, or one whose worker died, from the start."""
    job = _job_for(job_id)
    if not EmptyForm().validate_on_submit() or not services.can_run_again(job):
        abort(400)
    services.requeue(job)
    db.session.commit()
    services.enqueue(job_id)
    return redirect(url_for("jobs.show", job_id=job_id))


def _status_labels() -> dict[str, str]:
    return {"queued": _("Waiting"), "running": _("Running"), "done": _("Done"), "failed": _("Failed")}
