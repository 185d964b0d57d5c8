"""Running one job: its work and its 'done' commit together, so a job killed half-way leaves nothing.

A handler reads and computes first (reporting progress as it goes) and writes last; the runner
commits the handler's writes in the same transaction that marks the job done. If the worker
dies, that transaction never commits: the job's row still says "running" and stops moving, its
page says the worker stopped, and it can be run again from the start.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from database import utcnow, writing_outside_requests
from extensions import db
from jobs.models import Job, JobStatus
from jobs.registry import KINDS, JobFailed

log = logging.getLogger(__name__)
# Only tests/test_job_worker.py sets it, for a worker it starts itself: a pause after every progress
# report, so that the test can kill the worker half-way through a job.
_FAULT_DELAY = float(os.environ.get("FAULT_DELAY_JOB_STEP") or 0)
UNEXPECTED = "The job stopped on an unexpected error and nothing was saved. Run it again; if it fails again, an administrator can read the server log."


def run(job_id: int) -> None:
    db.session.rollback()
    with writing_outside_requests():
        job = db.session.get(Job, job_id)
        if job is None or job.status == JobStatus.DONE.value:
            db.session.rollback()
            return  # a second delivery of a finished job does nothing
        job.status, job.started_at, job.finished_at = JobStatus.RUNNING.value, utcnow(), None
        job.done, job.message, job.errors, job.result, job.progress_at = 0, "", [], {}, utcnow()
        job.runs += 1
        kind = KINDS[job.kind]
        db.session.commit()
    try:
        result = kind.handler(job, _reporter(job_id))
        if not _has_written():
            db.session.rollback()  # end the read: the 'done' write below then waits its turn for the lock
        with writing_outside_requests():
            job = db.session.get(Job, job_id)
            db.session.refresh(job)  # the progress reports were written on another connection
            if kind.produces_file:
                job.file_name = result.pop("file_name")
            job.status, job.finished_at, job.result = JobStatus.DONE.value, utcnow(), result
            job.done = job.total = max(job.done, job.total)
            db.session.commit()
    except JobFailed as failure:
        _fail(job_id, failure.errors)
        return
    except Exception:
        log.exception("job %s (%s) failed", job_id, kind.name)
        _fail(job_id, [{"line": None, "message": UNEXPECTED}])
        return
    log.info("job %s (%s) done: %s", job_id, kind.name, result)


@contextmanager
def apply():
    """A handler's write phase, after it has read and checked everything: one short transaction.

    Ends the read transaction and starts one that holds the write lock (SQLite) until the runner
    commits it together with the job's 'done'. The objects the plan made (millions, for a 50,000-row
    roster) are frozen out of the garbage collector meanwhile: a full collection scanning them took
    a second of the time the lock was held.
    """
    db.session.rollback()
    gc.freeze()
    try:
        with writing_outside_requests():
            yield
    finally:
        gc.unfreeze()


def _has_written() -> bool:
    session = db.session
    return bool(session.new or session.dirty or session.deleted or session.info.get("flushed"))


def _fail(job_id: int, errors: list[dict]) -> None:
    db.session.rollback()  # nothing of the handler's work is kept
    with writing_outside_requests():
        job = db.session.get(Job, job_id)
        job.status, job.finished_at, job.errors = JobStatus.FAILED.value, utcnow(), errors[:1000]
        db.session.commit()


def _reporter(job_id: int):
    """Progress goes to the job's row on a connection of its own, at most every JOB_PROGRESS_INTERVAL s.

    It never waits for a lock: if a writer holds SQLite's lock, this report is skipped and the
    next one tries again (progress is a hint; the job's result is what counts).
    """
    last = [0.0]
    every = float(current_app.config.get("JOB_PROGRESS_INTERVAL", 0.5))

    def report(done: int, total: int, message: str = "") -> None:
        now = time.monotonic()
        if now - last[0] < every and done < total:
            return
        last[0] = now
        statement = update(Job).where(Job.id == job_id).values(done=done, total=total, message=message[:300],
                                                               progress_at=utcnow())
        try:
            with db.engine.connect() as connection:
                raw = connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
                if raw is not None:
                    raw.execute("PRAGMA busy_timeout = 0")  # the DB-API connection: no transaction begins
                try:
                    connection.execute(statement)
                    connection.commit()
                finally:
                    if raw is not None:
                        raw.execute(f"PRAGMA busy_timeout = {int(current_app.config['SQLITE_BUSY_TIMEOUT'] * 1000)}")
        except OperationalError:
            pass  # the lock was busy: skip this report
        if _FAULT_DELAY:
            time.sleep(_FAULT_DELAY)

    return report
