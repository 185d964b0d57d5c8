"""The daily reminders as a background job (scheduled by the job worker, jobs.queue.daily_reminders)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from jobs import registry, runner
from jobs.models import Job
from reports import reminders
from reports.dashboard import now_moment

KIND = "reminders"


def send(job: Job, report: registry.Report) -> dict:
    moment = now_moment()
    report(0, 1, "")
    # Without SMTP_HOST, everyone is still reminded in the app (reports.reminders).
    with runner.apply():  # claims and the audit event commit with the job's 'done'
        outcome = reminders.run(moment, dry_run=False, link=reminders.training_link())
    return {"candidates": len(outcome.people), "sent": outcome.sent, "in_app": outcome.in_app, "failed": outcome.failed}


def register() -> None:
    registry.register(KIND, _l("Daily reminders"), send,
                      result_labels={"candidates": _l("People who needed a reminder"), "sent": _l("E-mails sent"),
                                     "in_app": _l("Reminded in the app only"),
                                     "failed": _l("E-mails that failed")})
