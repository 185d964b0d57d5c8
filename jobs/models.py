"""A job: what was asked, by whom, how far it got and what came of it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from database import utcnow
from extensions import db


class JobStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


STATUSES = tuple(status.value for status in JobStatus)


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
        Index("ix_jobs_created_by_created_at", "created_by_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default=JobStatus.QUEUED.value)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(String(300), default="")
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    errors: Mapped[list] = mapped_column(JSON, default=list)   # [{"line": n or None, "message": "..."}]
    file_name: Mapped[str | None] = mapped_column(String(200))  # a file the job produced, in instance/job-files/
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    mission_id: Mapped[int | None] = mapped_column(ForeignKey("missions.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    progress_at: Mapped[datetime | None]    # the worker's last report: a running job that stops reporting has died
    finished_at: Mapped[datetime | None]
    runs: Mapped[int] = mapped_column(default=0)

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE.value:
            return 100
        return min(99, int(100 * self.done / self.total)) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE.value, JobStatus.FAILED.value)
