"""Starting jobs and reading them. Services add and flush; the view commits, then enqueues."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from database import utcnow
from extensions import db
from jobs.models import Job, JobStatus
from jobs.registry import KINDS


def create(kind: str, *, actor, params: dict | None = None, mission_id: int | None = None) -> Job:
    if kind not in KINDS:
        raise KeyError(kind)
    job = Job(kind=kind, params=params or {}, created_by_id=getattr(actor, "id", actor), mission_id=mission_id)
    db.session.add(job)
    db.session.flush()
    return job


def enqueue(job_id: int) -> None:
    """Hand a committed job to the workers (or, with JOBS_INLINE, run it now beside this request).

    Takes the id, read before the commit: touching the committed row again would open a new
    transaction, which in a form post holds SQLite's write lock while the job waits for it.
    """
    if current_app.config.get("JOBS_INLINE"):
        _run_beside(job_id)
        return
    from jobs.queue import run_job

    run_job(job_id)


def _run_beside(job_id: int) -> None:
    """Run the job now, in a thread of its own as a worker would (its own session, no request)."""
    from jobs import runner

    app = current_app._get_current_object()
    failures = []

    def work() -> None:
        with app.app_context():
            try:
                runner.run(job_id)
            except BaseException as error:  # re-raised in the caller's thread
                failures.append(error)

    thread = threading.Thread(target=work, name=f"job-{job_id}")
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


def is_stalled(job: Job) -> bool:
    """Running, but its worker has not reported for JOB_STALL_SECONDS: the worker died."""
    if job.status != JobStatus.RUNNING.value:
        return False
    last = job.progress_at or job.started_at
    limit = timedelta(seconds=current_app.config.get("JOB_STALL_SECONDS", 120))
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=utcnow().tzinfo)
    return last is None or utcnow() - last > limit


def can_run_again(job: Job) -> bool:
    return job.status == JobStatus.FAILED.value or is_stalled(job)


def requeue(job: Job) -> None:
    job.status, job.finished_at = JobStatus.QUEUED.value, None
    db.session.flush()


def recent_for(user, limit: int = 50) -> list[Job]:
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if not user.has_role("admin"):
        query = query.where(Job.created_by_id == user.id)
    return list(db.session.scalars(query))


def files_dir() -> Path:
    path = Path(current_app.config.get("JOB_FILES_DIR") or Path(current_app.instance_path) / "job-files")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def file_path(job: Job) -> Path | None:
    if not job.file_name or job.status != JobStatus.DONE.value:
        return None
    path = files_dir() / str(job.id) / job.file_name
    return path if path.is_file() else None
