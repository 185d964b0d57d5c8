"""A pause in the quiz submit for the fault tests, so that they can kill the worker mid-request.

Inert unless FAULT_DELAY_SUBMIT (seconds) is set in the environment, which only
tests/test_faults.py does, for a gunicorn it starts itself. The first submit then writes its
worker's pid to FAULT_PID_FILE and sleeps at FAULT_DELAY_PHASE: "before_commit" (the grade,
answers and completion are flushed but not committed) or "after_commit" (committed, but no
response sent yet). Later submits go through, so the client's retry is served.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

SUBMIT_ENDPOINT = "quizzes.finish"
PHASES = ("before_commit", "after_commit")
log = logging.getLogger(__name__)


def install(app: Flask) -> None:
    seconds = float(os.environ.get("FAULT_DELAY_SUBMIT") or 0)
    if seconds <= 0:
        return
    phase = os.environ.get("FAULT_DELAY_PHASE", "before_commit")
    if phase not in PHASES or not os.environ.get("FAULT_PID_FILE"):
        raise RuntimeError(f"FAULT_DELAY_SUBMIT needs FAULT_PID_FILE and FAULT_DELAY_PHASE in {PHASES}")
    marker = Path(os.environ["FAULT_PID_FILE"])

    def pause(session: Session) -> None:
        if not (has_request_context() and request.method == "POST" and request.endpoint == SUBMIT_ENDPOINT):
            return
        if session.in_nested_transaction():  # SQLAlchemy fires these for SAVEPOINTs too: wait for the real commit
            return
        if marker.exists():  # only the first submit is held
            return
        marker.write_text(str(os.getpid()))
        log.warning("fault hook: worker %d holds a submit %s for %.1f s", os.getpid(), phase, seconds)
        time.sleep(seconds)

    event.listen(Session, phase, pause)
