"""The audit chain's daily check as a background job: it also writes the day's signed checkpoint."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from audit.services import ChainError, verify_chain
from jobs import registry
from jobs.models import Job

KIND = "audit_verify"


def verify(job: Job, report: registry.Report) -> dict:
    try:
        result = verify_chain()
    except ChainError as error:
        raise registry.JobFailed([{"line": None, "message": str(error)}]) from None
    return {"events": result.count}


def register() -> None:
    registry.register(KIND, _l("Daily audit log check"), verify, result_labels={"events": _l("Events verified")})
