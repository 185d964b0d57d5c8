"""A real Huey worker: it runs the job the web app queued, and one killed half-way leaves nothing.

Starts `huey_consumer worker.huey` as the README does (its queue in an SQLite file in the
instance folder), against an SQLite database prepared here. Marked `fault`: it kills a process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from app import create_app
from config import TestConfig
from extensions import db
from jobs import services
from jobs.models import Job
from tests import factories
from tests.certificate_factories import issue, make_course

pytestmark = pytest.mark.fault
ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}


def _env(instance: Path, database: str, **extra) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "JOBS_REDIS_URL")}
    return {**env, "APP_CONFIG": "test", "DATABASE_URL": database, "INSTANCE_PATH": str(instance), **extra}


def _worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "huey.bin.huey_consumer", "worker.huey", "-w", "1", "-k", "thread"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _enqueue(env: dict, job_id: int) -> None:
    subprocess.run([sys.executable, "-c", f"from jobs.queue import run_job; run_job({job_id})"], cwd=ROOT, env=env,
                   check=True, timeout=60)


def _wait(app, job_id: int, predicate, seconds: float = 60) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with app.app_context():
            job = db.session.get(Job, job_id)
            if predicate(job):
                db.session.expunge(job)
                return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not get there in {seconds} s")


def _worker_app(tmp_path: Path):
    """An app on its own SQLite file whose jobs go to a real worker (stalled after 2 s without progress)."""
    instance = tmp_path / "instance"
    instance.mkdir()
    database = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    app = create_app({**SETTINGS, "SQLALCHEMY_DATABASE_URI": database, "SQLALCHEMY_ENGINE_OPTIONS": {},
                      "JOB_FILES_DIR": str(instance / "job-files"), "JOB_STALL_SECONDS": 2, "JOBS_INLINE": False})
    return app, instance, database


def _kill_worker_once(app, instance: Path, database: str, job_id: int, *, done_at_least: int) -> None:
    """A slowed worker runs the job until it has done `done_at_least` steps, then is SIGKILLed."""
    slow = _worker(_env(instance, database, FAULT_DELAY_JOB_STEP="1", JOB_PROGRESS_INTERVAL="0"))
    try:
        _enqueue(_env(instance, database), job_id)
        _wait(app, job_id, lambda job: job.status == "running" and job.done >= done_at_least)
    finally:
        os.killpg(slow.pid, signal.SIGKILL)
        slow.wait(10)


def _run_to_done(app, instance: Path, database: str, job_id: int) -> Job:
    """A fresh worker runs the job to the end; the finished job."""
    worker = _worker(_env(instance, database))
    try:
        _enqueue(_env(instance, database), job_id)
        return _wait(app, job_id, lambda job: job.status == "done")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(10)


def test_a_worker_killed_mid_job_leaves_nothing_and_the_job_runs_again(tmp_path):
    app, instance, database = _worker_app(tmp_path)
    with app.app_context():
        db.create_all()
        mission = factories.make_mission(code="MISSK")
        lead = factories.make_user(mission=mission, roles=[("mission_lead", mission)])
        course = make_course()
        for n in range(6):
            issue(factories.make_user(mission=mission, name=f"Person {n}"), course)
        job_id = services.create("mission_certificates_zip", actor=lead, mission_id=mission.id, params={
            "mission_id": mission.id, "moment": _now(),
            "base_url": "https://training.example", "folder": "certificates-MISSK"}).id
        db.session.commit()

    _kill_worker_once(app, instance, database, job_id, done_at_least=2)

    files = instance / "job-files" / str(job_id)
    assert not (files / "certificates-MISSK.zip").exists()  # only the .part, never offered
    time.sleep(2.5)
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == "running" and services.is_stalled(job) and services.can_run_again(job)
        services.requeue(job)
        db.session.commit()

    job = _run_to_done(app, instance, database, job_id)
    assert job.runs == 2 and job.result["certificates"] == 6
    names = zipfile.ZipFile(files / "certificates-MISSK.zip").namelist()
    assert len([name for name in names if name.endswith(".pdf")]) == 6 and not list(files.glob("*.part"))


def _now() -> str:
    from database import utcnow

    return utcnow().isoformat()


def test_a_worker_killed_mid_roster_import_leaves_nobody_and_the_import_runs_again(tmp_path):
    """The roster job reports progress while it checks 3,000 rows; killed there, nobody is created."""
    from accounts import roster, roster_job
    from accounts.models import User
    from bench.import_data import roster_csv

    app, instance, database = _worker_app(tmp_path)
    with app.app_context():
        db.create_all()
        mission = factories.make_mission(code="MISSR")
        factories.make_unit(mission, code="R-1")
        admin = factories.make_user(roles=["admin"])
        text = roster_csv(3000, [("MISSR", "R-1")])
        job_id = roster_job.start(roster.CheckedUpload(text, "roster.csv"), actor=admin, keep_good_rows=False).id
        db.session.commit()
        people_before = db.session.scalar(db.select(db.func.count(User.id)))

    _kill_worker_once(app, instance, database, job_id, done_at_least=1000)
    time.sleep(2.5)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == people_before  # all or nothing: nothing
        job = db.session.get(Job, job_id)
        assert job.status == "running" and services.can_run_again(job)
        services.requeue(job)
        db.session.commit()

    job = _run_to_done(app, instance, database, job_id)
    assert job.runs == 2 and job.result["created"] == 3000
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == people_before + 3000


def test_a_worker_killed_mid_course_package_import_leaves_nothing_and_the_import_runs_again(tmp_path):
    """The course package job (coursepack/upload.py) in a real worker: killed after it has read the
    package, no course exists; run again, the course is imported once."""
    from coursepack import archive, upload
    from coursepack.cli import SHIPPED_COURSE
    from training.models import Course, Module

    app, instance, database = _worker_app(tmp_path)
    data = archive.write_archive(SHIPPED_COURSE)
    with app.app_context():
        db.create_all()
        trainer = factories.make_user(roles=["trainer"])
        db.session.commit()
        plan = upload.plan_upload(archive.read_archive(data), actor=trainer)
        assert not plan.problems
        db.session.rollback()
        job_id = upload.start(data, "cp-peace-ops.zip", digest=plan.digest(), actor=trainer).id
        db.session.commit()

    _kill_worker_once(app, instance, database, job_id, done_at_least=1)
    time.sleep(2.5)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Course.id))) == 0
        job = db.session.get(Job, job_id)
        assert job.status == "running" and services.can_run_again(job)
        services.requeue(job)
        db.session.commit()

    job = _run_to_done(app, instance, database, job_id)
    assert job.runs == 2 and job.result["course"] == "cp-peace-ops" and job.result["modules_drafted"] == 8
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Course.id))) == 1
        assert db.session.scalar(db.select(db.func.count(Module.id))) == 8
