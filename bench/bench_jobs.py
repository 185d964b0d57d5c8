"""Imports as background jobs: a 50,000-row roster and a 5 MB GIFT bank, while a learner keeps writing.

    .venv/bin/python bench/bench_jobs.py                  # SQLite (files in bench/out/)
    createdb bench_jobs && .venv/bin/python bench/bench_jobs.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_jobs
    .venv/bin/python bench/bench_jobs.py --rows 5000 --gift-mb 0.5   # quick

For each import the parent process builds a fresh database (15 missions, EXISTING people already
deployed, a learner; a module for the GIFT bank), then a child process runs the import and
reports:
- total: wall-clock seconds of the import;
- write: the longest write transaction of the import (on SQLite, how long it held the lock that
  every other writer waits for);
- memory: how far the child's peak resident memory (VmHWM) rose above its size before the import;
- learner: the longest a learner's write (a profile save, one short transaction, as a form post
  does it) took while the import ran, and how many failed (a 503 in the site).
"job" is the code as it is now, run by jobs.runner as a worker runs it. "baseline" is the code
of BASELINE_REV (before the imports were jobs) run as its web request did: parse, check and
write in one transaction, holding the write lock from the first statement on SQLite.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import types
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASELINE_REV = "4267430"  # main before the imports ran as jobs (2026-12-04)
OUT = ROOT / "bench" / "out"


def _app(url: str):
    from app import create_app
    from config import TestConfig

    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    settings.update(SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS={}, JOBS_INLINE=False,
                    JOB_FILES_DIR=str(OUT / "job-files"), WTF_CSRF_ENABLED=False)
    return create_app(settings)


# --- the parent: a fresh database per measurement -----------------------------------------------

def build(url: str, existing: int) -> dict:
    """Tables, 15 missions of 3 units, `existing` deployed people, an admin, a learner, a module."""
    from sqlalchemy import insert, text

    from accounts.models import Deployment, Mission, Unit, User
    from bench.import_data import existing_people
    from demo.people import MISSIONS
    from extensions import db
    from training.models import Course, Module

    app = _app(url)
    with app.app_context():
        if url.startswith("sqlite"):
            db.session.execute(text("PRAGMA journal_mode=WAL"))
        db.drop_all()
        db.create_all()
        places = []
        for code, name, kind, country, languages in MISSIONS:
            mission = Mission(code=code, name=name, kind=kind, country=country, languages=languages)
            db.session.add(mission)
            db.session.flush()
            for n in range(1, 4):
                db.session.add(Unit(mission=mission, code=f"{code[:4]}-U{n}", name=f"{code} unit {n}"))
                places.append((code, f"{code[:4]}-U{n}"))
        db.session.flush()
        units = {(u.mission.code, u.code): (u.mission_id, u.id) for u in db.session.query(Unit)}
        admin = User(service_number="BENCH-ADMIN", name="Bench Admin", category="civilian")
        learner = User(service_number="BENCH-LEARNER", name="Bench Learner", category="military")
        course = Course(code="bench-course", title={"en": "Bench"}, description={"en": ""})
        db.session.add_all([admin, learner, course])
        db.session.flush()
        module = Module(course=course, slug="bench-bank")
        db.session.add(module)
        db.session.flush()
        people = existing_people(existing, places)
        connection = db.session.connection()
        ids = connection.execute(insert(User.__table__).returning(User.__table__.c.id, sort_by_parameter_order=True), [
            {"service_number": p["service_number"], "name": p["name"], "category": "military", "rank": "Pte"}
            for p in people]).scalars().all()
        connection.execute(insert(Deployment.__table__), [
            {"user_id": user_id, "mission_id": units[(p["mission"], p["unit"])][0],
             "unit_id": units[(p["mission"], p["unit"])][1], "arrival_on": p["arrival_on"]}
            for user_id, p in zip(ids, people, strict=True)])
        db.session.commit()
        return {"admin": admin.id, "learner": learner.id, "module": module.id, "places": places,
                "existing": [(p["service_number"], p["mission"], p["unit"]) for p in people]}


def measure(what: str, url: str, world: dict, payload: Path) -> dict:
    """Run one import in a fresh child process; return its figures."""
    env = {**os.environ, "APP_CONFIG": "test"}
    done = subprocess.run([sys.executable, __file__, "--child", what, "--database-url", url, "--payload", str(payload),
                           "--world", json.dumps({k: world[k] for k in ("admin", "learner", "module")})],
                          env=env, capture_output=True, text=True, timeout=1800, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{what} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the child: one import, measured ------------------------------------------------------------

def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class Writes:
    """The longest write transaction of threads other than the learner's (engine events)."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.longest = 0.0
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _begin(self, connection) -> None:
        connection.info["began"], connection.info["wrote"] = time.perf_counter(), False

    def _statement(self, connection, cursor, statement, *args) -> None:
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE") or statement.startswith("BEGIN IMMEDIATE"):
            connection.info["wrote"] = True

    def _end(self, connection) -> None:
        began = connection.info.pop("began", None)
        if began is not None and connection.info.pop("wrote", False) and threading.current_thread().name != "learner":
            self.longest = max(self.longest, time.perf_counter() - began)


class Learner(threading.Thread):
    """Saves a profile over and over, as a form post does (BEGIN IMMEDIATE on SQLite)."""

    def __init__(self, app, user_id: int) -> None:
        super().__init__(name="learner", daemon=True)
        self.app, self.user_id = app, user_id
        self.waits: list[float] = []
        self.failures = 0
        self.stop = threading.Event()

    def run(self) -> None:
        from sqlalchemy import text
        from sqlalchemy.exc import OperationalError

        from database import writing_outside_requests
        from extensions import db

        with self.app.app_context(), writing_outside_requests():
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    with db.engine.connect() as connection:
                        connection.execute(text("UPDATE users SET preferred_language = :lang WHERE id = :id"),
                                           {"lang": "fr" if len(self.waits) % 2 else "en", "id": self.user_id})
                        connection.commit()
                except OperationalError:
                    self.failures += 1
                self.waits.append(time.perf_counter() - started)
                time.sleep(0.02)


def child(what: str, url: str, payload: Path, world: dict) -> dict:
    from extensions import db

    app = _app(url)
    with app.app_context():
        db.session.execute(db.select(1))
        db.session.rollback()
        writes = Writes(db.engine)
        learner = Learner(app, world["learner"])
        text = payload.read_text(encoding="utf-8")
        run = {"roster-job": _roster_job, "roster-baseline": _roster_baseline,
               "gift-job": _gift_job, "gift-baseline": _gift_baseline}[what]
        prepare = run(app, text, world)
        learner.start()
        time.sleep(0.2)
        rss_before = _status_kb("VmRSS")
        started = time.perf_counter()
        outcome = prepare()
        total = time.perf_counter() - started
        peak = _status_kb("VmHWM")
        time.sleep(0.2)
        learner.stop.set()
        learner.join()
    return {"what": what, "total": round(total, 2), "write": round(writes.longest, 2),
            "memory_mb": round((peak - rss_before) / 1024, 1), "learner_max": round(max(learner.waits), 3),
            "learner_writes": len(learner.waits), "learner_failures": learner.failures, "outcome": outcome}


def _roster_job(app, text, world):
    from accounts import roster, roster_job
    from extensions import db
    from jobs import runner
    from jobs.models import Job

    job_id = roster_job.start(roster.CheckedUpload(text, "bench.csv"), actor=world["admin"], keep_good_rows=False).id
    db.session.commit()

    def go():
        runner.run(job_id)
        db.session.rollback()
        job = db.session.get(Job, job_id)
        assert job.status == "done", job.errors
        return {k: v for k, v in job.result.items() if k != "slips"}
    return go


def _old(module_path: str, name: str) -> types.ModuleType:
    source = subprocess.run(["git", "show", f"{BASELINE_REV}:{module_path}"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    module = types.ModuleType(name)
    sys.modules[name] = module  # dataclasses look their module up
    exec(compile(source, f"{BASELINE_REV}:{module_path}", "exec"), module.__dict__)  # noqa: S102 (our own code)
    return module


def _roster_baseline(app, text, world):
    from accounts.models import User
    from database import writing_outside_requests
    from extensions import db

    old = _old("accounts/roster.py", "baseline_roster")

    def go():
        with writing_outside_requests():  # the apply view was a POST: BEGIN IMMEDIATE before the first read
            plan = old.plan_roster(old.parse_roster(text))
            counts = old.apply_roster(plan, actor=db.session.get(User, world["admin"]), source="bench.csv")
            old.created_ids(plan)
            db.session.commit()
        return counts
    return go


def _gift_job(app, text, world):
    from extensions import db
    from jobs import runner
    from jobs.models import Job
    from quizzes import gift_job

    job_id = gift_job.start(text, "bench.gift", module_id=world["module"], lang="en", keep_good=False,
                            actor=world["admin"]).id
    db.session.commit()

    def go():
        runner.run(job_id)
        db.session.rollback()
        job = db.session.get(Job, job_id)
        assert job.status == "done", job.errors[:3]
        return {k: job.result[k] for k in ("created", "updated", "unchanged", "skipped", "warning_count")}
    return go


def _gift_baseline(app, text, world):
    from accounts.models import User
    from database import writing_outside_requests
    from extensions import db
    from quizzes import services
    from training.models import Module

    old = _old("quizzes/transfer.py", "baseline_transfer")

    def go():
        with writing_outside_requests():  # the upload view was a POST: the lock from the first statement
            module = db.session.get(Module, world["module"])
            services.get_or_create_quiz(module)
            report = old.import_gift(module, text, lang="en", actor=db.session.get(User, world["admin"]))
            db.session.commit()
        return {"created": len(report.created), "errors": len(report.errors)}
    return go


# --- main ---------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--existing", type=int, default=20_000, help="people already in the database")
    parser.add_argument("--gift-mb", type=float, default=5.0)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--baseline-gift-mb", type=float, default=1.0,
                        help="the baseline GIFT import is quadratic-ish and slow: measured on a smaller file")
    parser.add_argument("--only", choices=("roster", "gift"), default=None)
    parser.add_argument("--child", default="")
    parser.add_argument("--payload", default="")
    parser.add_argument("--world", default="{}")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.database_url, Path(args.payload), json.loads(args.world))))
        return
    from bench.import_data import gift_bank, roster_csv

    OUT.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{OUT / 'bench-jobs.sqlite3'}"
    engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    results = []
    with tempfile.TemporaryDirectory() as folder:
        kinds = [k for k in ("roster", "gift") if args.only in (None, k)]
        for kind in kinds:
            for variant in (("job",) if args.no_baseline else ("baseline", "job")):
                world = build(url, args.existing)
                payload = Path(folder) / f"{kind}.txt"
                if kind == "roster":
                    payload.write_text(roster_csv(args.rows, world["places"], existing=world["existing"],
                                                  arrival_on=date.today() + timedelta(days=1)), encoding="utf-8")
                else:
                    size = args.baseline_gift_mb if variant == "baseline" else args.gift_mb
                    payload.write_text(gift_bank(int(size * 1024 * 1024))[0], encoding="utf-8")
                figures = measure(f"{kind}-{variant}", url, world, payload)
                figures["bytes"] = payload.stat().st_size
                results.append(figures)
                print(f"{engine:10} {kind:6} {variant:8} total {figures['total']:6.2f} s  write lock {figures['write']:6.2f} s  "
                      f"memory +{figures['memory_mb']:6.1f} MB  learner max wait {figures['learner_max']:6.3f} s "
                      f"({figures['learner_writes']} writes, {figures['learner_failures']} failed)  "
                      f"{figures['outcome']}", flush=True)
    (OUT / f"bench-jobs-{engine.lower()}.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
