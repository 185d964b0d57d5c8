"""Applying a checked roster as a background job: the admin saw the dry run, the job does it.

The job reads and plans again outside any write transaction (the database may have changed since
the dry run: if the plan is not the one the admin saw, nothing is done and the page says to check
the file again), then writes in one short transaction (accounts.roster_apply) committed with the
job's "done". Killed half-way, it has written nothing, and it can be run again.
"""

from __future__ import annotations

import logging
import time

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from accounts import roster
from accounts.roster_apply import RosterChanged, prepare, write
from jobs import registry, runner, services
from jobs.models import Job

KIND = "roster_import"
INPUT = "roster.csv"
CHANGED_SINCE_CHECK = ("The people in the database changed since the file was checked, so what it would do is not "
                       "what you saw. Nothing was imported: check the file again, then apply it.")
log = logging.getLogger(__name__)


def start(checked: roster.CheckedUpload, *, actor, keep_good_rows: bool) -> Job:
    """Record the job and keep the checked file beside it (JOB_FILES_DIR). The caller commits, then enqueues."""
    job = services.create(KIND, actor=actor, params={"source": checked.name, "digest": checked.digest,
                                                     "keep_good_rows": keep_good_rows})
    folder = services.files_dir() / str(job.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / INPUT).write_text(checked.text, encoding="utf-8")
    return job


def run(job: Job, report: registry.Report) -> dict:
    params = job.params
    text = (services.files_dir() / str(job.id) / INPUT).read_text(encoding="utf-8")
    rows = max(1, text.count("\n"))
    total = 3 * rows  # read and check, compare with the database, write
    report(0, total, "")
    try:
        parsed = roster.parse_roster(text, progress=lambda done: report(done, total, ""))
    except roster.RosterFileError as error:
        raise registry.JobFailed([{"line": None, "message": str(error)}]) from None
    report(rows, total, "")
    plan = roster.plan_roster(parsed, progress=lambda done: report(rows + done, total, ""))
    if params.get("digest") and roster.plan_digest(plan) != params["digest"]:
        raise registry.JobFailed([{"line": None, "message": CHANGED_SINCE_CHECK}])
    if plan.errors and not params.get("keep_good_rows"):
        raise registry.JobFailed([{"line": line, "message": reason} for line, reason in plan.errors])
    prepared = prepare(plan, actor=job.created_by_id, keep_good_rows=bool(params.get("keep_good_rows")))
    report(2 * rows, total, "")
    started = time.perf_counter()
    try:
        with runner.apply():
            counts = write(prepared, actor=job.created_by_id, source=params.get("source", INPUT))
    except RosterChanged as error:
        raise registry.JobFailed([{"line": None, "message": str(error)}]) from None
    log.info("roster job %s: %s rows written in %.2f s", job.id, plan.total, time.perf_counter() - started)
    result = {**counts, "rows": plan.total}
    if plan.created_ids:
        result["slips"] = roster.sign_created(current_app.secret_key, plan.created_ids, params.get("source", INPUT))
    return result


def next_step(job: Job) -> tuple[str, str] | None:
    """The people a finished import created get in with activation slips: the roster page prints them."""
    token = job.result.get("slips")
    if not token:
        return None
    return str(_l("Print the activation slips of the people created")), url_for("admin.roster_import", created=token)


def register() -> None:
    registry.register(KIND, _l("Roster import"), run, next_step=next_step,
                      result_labels={"rows": _l("Rows in the file"), "created": _l("People created"),
                                     "updated": _l("People updated"), "moved": _l("People moved"),
                                     "skipped": _l("Bad rows skipped")})
