"""Faults: a worker killed in the middle of a submit, a locked SQLite database, PostgreSQL restarted.

The worker and PostgreSQL tests serve the app with real gunicorn workers (bench/load/server.py)
on a free loopback port, against a database prepared here. Marked `fault`: `make test` runs
them on their own after the main suite, because restarting PostgreSQL breaks tests beside them.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, func, select, text

from accounts.models import User
from app import create_app
from audit.chain import first_broken
from audit.models import AuditEvent
from audit.services import chain_key
from bench.load.reconcile import regrade
from bench.load.server import Browser, Gunicorn
from certificates.models import Certificate
from config import TestConfig
from extensions import db
from quizzes.models import Answer, Attempt
from tests import factories, quiz_factories, training_factories
from tests.conftest import IsolatedClient
from training import progress
from training.models import Completion

pytestmark = pytest.mark.fault

HOLD_SECONDS = 4  # how long the hook holds the first submit: ample time to kill its worker
TEST_SETTINGS = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}


@dataclass
class World:
    url: str
    service_number: str
    module_id: int
    user_id: int
    right: dict[int, str]  # question id -> its right option


def prepare(url: str, instance: Path, **settings) -> tuple[World, object]:
    """A learner who has read the one lesson of a one-module course whose three-question quiz they must pass."""
    app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {},
                      "SIGNING_KEY_DIR": str(instance / "signing-keys"), **settings})
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        learner = factories.make_user(name="Fay Fault")
        module = training_factories.make_module(training_factories.make_course(), lessons=1)
        questions = [quiz_factories.choice_question(module, f"q{k}", right=k % 3) for k in range(3)]
        quiz_factories.make_quiz(module)
        progress.record_lesson_view(learner, module.versions[0].lessons[0])
        db.session.commit()
        world = World(url, learner.service_number, module.id, learner.id,
                      {q.id: quiz_factories.right_option(q) for q in questions})
        db.session.remove()
    return world, app


def server_env(world: World, instance: Path, **extra: str) -> dict[str, str]:
    return {"APP_CONFIG": "test", "DATABASE_URL": world.url, "INSTANCE_PATH": str(instance), **extra}


def answer_all(browser: Browser, app, world: World) -> int:
    started = browser.post(f"/quiz/module/{world.module_id}/start")
    assert started.status == 302, started.text[:500]
    attempt_id = int(re.search(r"/quiz/attempts/(\d+)", started.location).group(1))
    with app.app_context():
        drawn = db.session.get(Attempt, attempt_id).drawn
    for number, item in enumerate(drawn, 1):
        saved = browser.post(f"/quiz/attempts/{attempt_id}/q/{number}", {f"q{item['id']}": world.right[item["id"]],
                                                                          "next": "y"})
        assert saved.status == 302, saved.text[:500]
    return attempt_id


def snapshot(app, world: World) -> dict:
    with app.app_context():
        attempts = list(db.session.scalars(select(Attempt).where(Attempt.user_id == world.user_id)))
        state = {
            "attempts": len(attempts),
            "submitted": sum(a.submitted_at is not None for a in attempts),
            "scored_answers": db.session.scalar(select(func.count(Answer.id)).where(Answer.score.is_not(None))),
            "completions": db.session.scalar(select(func.count(Completion.id))),
            "certificates": db.session.scalar(select(func.count(Certificate.id))),
            "submit_events": db.session.scalar(select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "attempt_submitted")),
            "chain_broken": first_broken(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)), chain_key()),
        }
        if len(attempts) == 1 and attempts[0].submitted_at is not None:
            attempt = attempts[0]
            grade, _ = regrade(attempt)
            state["regrade_matches"] = (attempt.score, attempt.is_passed) == (grade.percent, grade.passed)
            state["answers"] = sorted((a.question_id, a.score) for a in attempt.answers)
        db.session.remove()
    return state


def wait_for_file(path: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared: the submit was not held")


@pytest.mark.parametrize("phase", ["before_commit", "after_commit"])
def test_worker_killed_mid_submit_then_the_retry_grades_exactly_once(tmp_path, phase):
    world, app = prepare(f"sqlite:///{tmp_path / 'faults.sqlite3'}", tmp_path)
    held = tmp_path / "held.pid"
    env = server_env(world, tmp_path, FAULT_DELAY_SUBMIT=str(HOLD_SECONDS), FAULT_DELAY_PHASE=phase,
                     FAULT_PID_FILE=str(held))
    with Gunicorn(env) as server:
        browser = Browser(server.url)
        browser.sign_in(world.service_number, factories.PASSWORD)
        attempt_id = answer_all(browser, app, world)
        finish = f"/quiz/attempts/{attempt_id}/finish"
        outcome: dict = {}

        def submit() -> None:
            try:
                outcome["reply"] = browser.post(finish, {"submit": "y"}, timeout=HOLD_SECONDS + 20)
            except OSError as error:  # the connection dies with the worker
                outcome["error"] = error

        thread = threading.Thread(target=submit)
        thread.start()
        pid = int(wait_for_file(held, timeout=20))
        assert pid in server.worker_pids, f"held by {pid}, not one of the workers {server.worker_pids}"
        os.kill(pid, signal.SIGKILL)
        thread.join(HOLD_SECONDS + 25)
        assert "error" in outcome, f"the client got an answer from a killed worker: {outcome}"

        during = snapshot(app, world)
        if phase == "before_commit":  # killed before the commit: none of the submit is there
            assert during | {"chain_broken": None} == {"attempts": 1, "submitted": 0, "scored_answers": 0,
                                                       "completions": 0, "certificates": 0, "submit_events": 0,
                                                       "chain_broken": None}
        else:  # committed, but the answer never reached the client
            assert (during["submitted"], during["completions"], during["certificates"]) == (1, 1, 1), server.log()

        retry = browser.post(finish, {"submit": "y"})
        assert retry.status == 302 and retry.location.endswith(f"/quiz/attempts/{attempt_id}/result"), retry.text[:500]
        result = browser.get(f"/quiz/attempts/{attempt_id}/result")
        assert result.status == 200 and "Traceback" not in result.text, server.log()

    after = snapshot(app, world)
    assert after.pop("answers") == sorted((qid, 1.0) for qid in world.right)
    assert after == {"attempts": 1, "submitted": 1, "scored_answers": 3, "completions": 1, "certificates": 1,
                     "submit_events": 1, "chain_broken": None, "regrade_matches": True}


def test_locked_sqlite_answers_503_writes_nothing_then_the_same_post_succeeds(tmp_path):
    database = tmp_path / "locked.sqlite3"
    world, app = prepare(f"sqlite:///{database}", tmp_path, SQLITE_BUSY_TIMEOUT=0.3)
    client = app.test_client()
    signed_in = client.post("/sign-in", data={"identifier": world.service_number, "password": factories.PASSWORD})
    assert signed_in.status_code == 302

    holder = sqlite3.connect(database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer keeps the lock past the busy timeout
        began = time.monotonic()
        refused = client.post(f"/quiz/module/{world.module_id}/start")
        waited = time.monotonic() - began
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    page = refused.get_data(as_text=True)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    assert "Nothing was saved" in page and "locked" not in page and "Traceback" not in page
    assert 0.3 <= waited < 5
    assert snapshot(app, world)["attempts"] == 0

    accepted = client.post(f"/quiz/module/{world.module_id}/start")
    assert accepted.status_code == 302 and "/quiz/attempts/" in accepted.headers["Location"]
    assert snapshot(app, world)["attempts"] == 1


# --- PostgreSQL restarted under load ----------------------------------------------------------------

def _local_postgres() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if os.environ.get("ALLOW_POSTGRES_RESTART") != "1":
        return None  # restarting the machine's PostgreSQL is for CI (.ci/run sets it), never by surprise
    if not url or urlsplit(url.replace("+psycopg", "")).hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    if shutil.which("pg_ctlcluster") is None or not Path("/etc/postgresql").is_dir():
        return None
    return url


def _cluster_version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[-1]


def _postgres_ready() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], check=False).returncode == 0


def _ensure_postgres_running() -> None:
    if not _postgres_ready():
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", _cluster_version(), "main", "start"],
                       check=False, timeout=60)
    for _ in range(60):
        if _postgres_ready():
            return
        time.sleep(0.5)


@pytest.fixture
def postgres_schema():
    url = _local_postgres()
    if url is None:
        pytest.skip("needs ALLOW_POSTGRES_RESTART=1 and TEST_DATABASE_URL on a local PostgreSQL cluster "
                    "managed by pg_ctlcluster (CI)")
    schema = f"faults_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    _ensure_postgres_running()
    admin.dispose()  # its pooled connection died with the restart
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def test_postgres_restart_under_requests_shows_no_trace_and_recovers_within_10_seconds(tmp_path, postgres_schema):
    world, app = prepare(postgres_schema, tmp_path)
    replies: list[tuple[float, int, str]] = []
    stop = threading.Event()
    with Gunicorn(server_env(world, tmp_path)) as server:
        browser = Browser(server.url)
        browser.sign_in(world.service_number, factories.PASSWORD)
        attempt_id = answer_all(browser, app, world)
        first = next(iter(world.right))

        def keep_asking() -> None:
            pages = [f"/quiz/attempts/{attempt_id}/q/1", "/training", f"/quiz/module/{world.module_id}", "/healthz"]
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    if n % 3 == 0:
                        reply = browser.post(f"/quiz/attempts/{attempt_id}/q/1",
                                             {f"q{first}": world.right[first], "save": "y"}, timeout=15)
                    else:
                        reply = browser.get(pages[n % len(pages)], timeout=15)
                    replies.append((time.monotonic(), reply.status, reply.text))
                except OSError as error:
                    replies.append((time.monotonic(), 0, repr(error)))
                time.sleep(0.05)

        asker = threading.Thread(target=keep_asking)
        asker.start()
        try:
            time.sleep(1.0)
            restarted = subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", _cluster_version(), "main",
                                        "restart"], capture_output=True, text=True, check=False, timeout=60)
            back_at = time.monotonic()
            assert restarted.returncode == 0, restarted.stderr
            recovered_at = None
            while time.monotonic() - back_at < 10 and recovered_at is None:
                reply = Browser(server.url).get("/healthz", timeout=5)
                if reply.status == 200:
                    recovered_at = time.monotonic()
                time.sleep(0.2)
            time.sleep(1.0)  # keep asking a moment after recovery
        finally:
            stop.set()
            asker.join(30)
            _ensure_postgres_running()

        assert recovered_at is not None, "the app did not recover within 10 seconds of PostgreSQL being back"
        statuses = [status for _, status, _ in replies]
        assert all(status in (200, 302, 503) for status in statuses), sorted(set(statuses))
        assert not [body for _, _, body in replies if "Traceback" in body or "psycopg" in body or "SELECT" in body]
        assert [status for moment, status, _ in replies if moment > recovered_at + 0.5][-3:] != [] and all(
            status in (200, 302) for moment, status, _ in replies if moment > recovered_at + 0.5)
        assert browser.get("/training").status == 200  # the same session still works: sessions are rows
        with app.app_context():
            db.engine.dispose()  # this process's pooled connections died with the restart
            assert db.session.scalar(select(func.count(User.id))) == 1
            db.session.remove()
            db.engine.dispose()
