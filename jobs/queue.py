"""The Huey queue the web app hands job ids to, and the worker's tasks.

Storage: Redis when REDIS_URL (or JOBS_REDIS_URL) is set, which production needs anyway for its
rate limits, so every host and worker shares one queue; otherwise an SQLite file in instance/
(the demo and a single-host install need no other server). Huey was chosen because that default
needs nothing to be installed or started besides `make worker` (README, "Background jobs").
"""

from __future__ import annotations

import os
from collections.abc import Callable

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey, crontab

from config import INSTANCE_DIR

_app = None  # the worker's app, built once per worker process
_app_factory: Callable[[], Flask] | None = None  # handed over by worker.py: jobs knows no feature, nor the app


def _build() -> Huey:
    url = os.environ.get("JOBS_REDIS_URL") or os.environ.get("REDIS_URL")
    if url:
        return RedisHuey("cpt-jobs", url=url)
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("cpt-jobs", filename=str(INSTANCE_DIR / "jobs-queue.sqlite3"))


huey = _build()


def use_app_factory(factory: Callable[[], Flask]) -> None:
    """How the worker builds the app its jobs run in (worker.py passes app.create_app)."""
    global _app_factory
    _app_factory = factory


def worker_app() -> Flask:
    global _app
    if _app is None:
        if _app_factory is None:
            raise RuntimeError("start the worker with `huey_consumer worker.huey`: worker.py hands over the app factory")
        _app = _app_factory()
    return _app


@huey.task()
def run_job(job_id: int) -> None:
    from jobs import runner

    with worker_app().app_context():
        runner.run(job_id)


def _run_scheduled(kind: str) -> None:
    """A scheduled job gets its row like any other, so its result shows on /jobs."""
    from extensions import db
    from jobs import runner, services

    with worker_app().app_context():
        job_id = services.create(kind, actor=None).id
        db.session.commit()
        runner.run(job_id)


@huey.periodic_task(crontab(minute="0", hour=os.environ.get("REMINDER_HOUR_UTC", "6")))
def daily_reminders() -> None:
    """Every day at REMINDER_HOUR_UTC (default 06:00 UTC): the reminders job."""
    _run_scheduled("reminders")


@huey.periodic_task(crontab(minute="30", hour=os.environ.get("AUDIT_CHECK_HOUR_UTC", "2")))
def daily_audit_check() -> None:
    """Every day at AUDIT_CHECK_HOUR_UTC (default 02:30 UTC): verify the audit chain, write a checkpoint."""
    _run_scheduled("audit_verify")
