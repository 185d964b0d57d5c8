"""A GIFT upload imported as a background job: a 5 MB file of 20,000 questions takes longer than
a web request may, and on SQLite it must not hold the write lock while it is parsed and checked.

The job parses and checks with reads only (quizzes.transfer.plan_gift), then writes in one short
transaction committed with the job's "done" (write_gift). Its page lists bad questions by line
and the quality warnings of the good ones.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from extensions import db
from jobs import registry, runner, services
from jobs.models import Job
from quizzes import transfer
from quizzes.services import QuizError, get_or_create_quiz
from training.models import Module

KIND = "gift_import"
INPUT = "questions.gift"
MAX_WARNINGS = 500  # listed on the job's page; the count says how many there are in all


def start(text: str, filename: str, *, module_id: int, lang: str, keep_good: bool, actor) -> Job:
    """Record the job and keep the file beside it (JOB_FILES_DIR). The caller commits, then enqueues."""
    job = services.create(KIND, actor=actor, params={"module_id": module_id, "lang": lang, "keep_good": keep_good,
                                                     "source": filename[:200]})
    folder = services.files_dir() / str(job.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / INPUT).write_text(text, encoding="utf-8")
    return job


def run(job: Job, report: registry.Report) -> dict:
    params = job.params
    text = (services.files_dir() / str(job.id) / INPUT).read_text(encoding="utf-8")
    module = db.session.get(Module, params["module_id"])
    if module is None:
        raise registry.JobFailed([{"line": None, "message": "The module no longer exists."}])
    report(0, 3, "")
    plan = transfer.plan_gift(module, text, lang=params["lang"],
                              progress=lambda done, total: report(total + done, 3 * total, ""))
    outcome = plan.report
    questions = len(plan.plans) + len(outcome.errors)
    errors = [{"line": error.line, "message": str(error)} for error in outcome.errors]
    if errors and not params.get("keep_good"):
        raise registry.JobFailed(errors)
    report(2 * questions, 3 * questions, "")
    try:
        with runner.apply():
            get_or_create_quiz(module)
            transfer.write_gift(plan, actor=job.created_by_id, keep_good=bool(params.get("keep_good")),
                                source=params.get("source", ""))
    except QuizError as error:  # the bank changed meanwhile, or the file un-marks critical questions a quiz needs
        raise registry.JobFailed([{"line": None, "message": str(error)}]) from None
    return {"summary": outcome.summary(), "created": len(outcome.created), "updated": len(outcome.updated),
            "unchanged": len(outcome.unchanged), "skipped": len(outcome.errors), "skipped_lines": errors[:1000],
            "warning_count": len(outcome.warnings),
            "warnings": [[key, w.message, w.values] for key, w in outcome.warnings[:MAX_WARNINGS]]}


def register() -> None:
    registry.register(KIND, _l("Question import (GIFT)"), run, result_template="quizzes/author/_gift_job_result.html",
                      result_labels={"created": _l("New questions"), "updated": _l("Questions updated"),
                                     "unchanged": _l("Questions unchanged"), "skipped": _l("Bad questions skipped")})
