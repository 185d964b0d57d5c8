"""Load test: 50 learners and 5 mission leads against gunicorn (2 workers), then a reconciliation.

    .venv/bin/python bench/load/run_load.py --engine sqlite --seconds 180
    .venv/bin/python bench/load/run_load.py --engine postgresql --seconds 180   # LOAD_DATABASE_URL or TEST_DATABASE_URL

1. A fresh database (SQLite file, or a new PostgreSQL schema dropped afterwards) gets the
   schema, `seed-demo` (the shipped course with its quizzes, 15 missions, 300 people), quiz
   attempt limits of 3, and the load's own accounts: 50 learners deployed in MONUSCO (half of
   them have passed modules 1-7 already, so course completions and certificates happen under
   load) and 5 leads of MONUSCO, all with one known password whose argon2 hash is computed once.
2. gunicorn serves it on a free loopback port with 2 sync workers, in the default (not test)
   configuration: CSRF on, production argon2 parameters. The load starts once both workers have
   loaded the app. Sign-in rate limits are raised: every simulated person comes from 127.0.0.1.
3. locust runs headless for --seconds; then the p50 / p95 of each request type (from every
   request, those finished while the users stop included), the throughput and the errors are
   printed, with the load average before and after (other work on the machine shows there),
   and reconcile.py checks the database against every acknowledged write.
Everything goes to 127.0.0.1 only. Output (summary, locust's stats, the server log) is kept in
bench/out/.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
PASSWORD = "load-test-password-2026"  # noqa: S105 (a throwaway account on a throwaway database)


# One audit-chain key for the seeding, the server and the reconciliation (audit.services.chain_key).
AUDIT_KEY = "load-test-audit-key"

def database_url(engine: str, workdir: Path) -> tuple[str, str | None]:
    if engine == "sqlite":
        return f"sqlite:///{workdir / 'load.sqlite3'}", None
    base = os.environ.get("LOAD_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not base:
        raise SystemExit("set LOAD_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL database for --engine postgresql")
    schema = f"load_{uuid.uuid4().hex[:8]}"
    from sqlalchemy import create_engine, text

    engine_ = create_engine(base)
    with engine_.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine_.dispose()
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str) -> None:
    from sqlalchemy import create_engine, text

    base = os.environ.get("LOAD_DATABASE_URL") or os.environ["TEST_DATABASE_URL"]
    engine_ = create_engine(base)
    with engine_.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine_.dispose()


def prepare(url: str, workdir: Path, learners: int, leads: int) -> dict:
    """Schema, demo data, load accounts; returns the plan the locust users follow."""
    os.environ["DATABASE_URL"] = url
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "AUDIT_KEY": AUDIT_KEY, "SIGNING_KEY_DIR": str(workdir / "signing-keys")})
    with app.app_context():
        from extensions import db

        db.create_all()
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        if result.exit_code != 0:
            raise SystemExit(f"seed-demo failed: {result.output}")
        plan = _load_accounts(learners, leads)
        plan["password"] = PASSWORD
        db.session.remove()
        db.engine.dispose()
    return plan


def _load_accounts(learner_count: int, lead_count: int) -> dict:
    from sqlalchemy import select

    from accounts.models import Deployment, Mission, RoleGrant, User
    from accounts.passwords import hash_password
    from extensions import db
    from quizzes import attempts
    from quizzes.models import Quiz
    from quizzes.registry import get_type
    from quizzes.services import current_version
    from training import progress
    from training.models import Course, ModuleVersion

    password_hash = hash_password(PASSWORD)  # production argon2 parameters, computed once for every load account
    monusco = db.session.scalar(select(Mission).filter_by(code="MONUSCO"))
    for quiz in db.session.scalars(select(Quiz)):
        quiz.attempt_limit, quiz.cooldown_minutes = 3, 0
    db.session.flush()
    course = db.session.scalar(select(Course).filter_by(code="cp-peace-ops"))
    modules = [m for m in course.modules if not m.is_archived]
    published = {m.id: db.session.scalar(select(ModuleVersion).where(
        ModuleVersion.module_id == m.id, ModuleVersion.status == "published").order_by(ModuleVersion.number.desc()))
        for m in modules}
    keys = {}
    for module in modules:
        quiz = db.session.scalar(select(Quiz).filter_by(module_id=module.id))
        for question in current_version(quiz, actor=None).questions:
            keys[str(question["id"])] = sorted(get_type(question["type"]).right_ids(question["answer"]))
    rng = random.Random(2026)
    learners, leads = [], []
    for n in range(1, learner_count + 1):
        user = User(service_number=f"LOAD-L{n:03d}", name=f"Load Learner {n}", category="military", rank="Sgt",
                    preferred_language="en", password_hash=password_hash)
        db.session.add(user)
        db.session.flush()
        db.session.add(Deployment(user=user, mission=monusco, unit=rng.choice(monusco.units),
                                  arrival_on=date.today() - timedelta(days=rng.randint(0, 200))))
        head_start = n % 2 == 0  # half have passed modules 1-7: they finish the course under load
        if head_start:
            _pass_modules(user, modules[:-1], published, keys, attempts, progress)
        learners.append({"service_number": user.service_number, "start_module": len(modules) - 1 if head_start else 0})
    for n in range(1, lead_count + 1):
        user = User(service_number=f"LOAD-M{n:03d}", name=f"Load Lead {n}", category="civilian",
                    preferred_language="en", password_hash=password_hash)
        db.session.add(user)
        db.session.flush()
        db.session.add(RoleGrant(user=user, role="mission_lead", mission_id=monusco.id))
        leads.append({"service_number": user.service_number, "mission_id": monusco.id})
    db.session.commit()
    return {"learners": learners, "leads": leads, "learner_count": learner_count, "lead_count": lead_count,
            "keys": keys, "modules": [{"id": m.id, "lessons": [lesson.id for lesson in published[m.id].lessons]}
                                      for m in modules]}


def _pass_modules(user, modules, published, keys, attempts, progress) -> None:
    from quizzes.services import quiz_for_module

    for module in modules:
        for lesson in published[module.id].lessons:
            progress.record_lesson_view(user, lesson)
        attempt = attempts.start_attempt(user, quiz_for_module(module.id), language="en")
        attempts.save_answers(attempt, {d["id"]: keys[str(d["id"])] for d in attempt.drawn})
        attempts.submit(attempt)


def routes(url: str) -> dict:
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "AUDIT_KEY": AUDIT_KEY})
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    dashboard = rules.get("reports.mission")
    export = rules.get("reports.mission_export")
    if dashboard is None:
        print("NOTE: no mission dashboard route (reports.mission) in this app: the 5 leads sign in and idle")
    return {"dashboard": dashboard.replace("<int:mission_id>", "{mission_id}") if dashboard else None,
            "dashboard_export": export.replace("<int:mission_id>", "{mission_id}") if export else None}


def run_locust(server_url: str, plan_file: Path, acks: Path, users: int, seconds: int, prefix: Path) -> None:
    locust = Path(sys.executable).with_name("locust")
    # --json-file is written after the users have stopped; the CSV stats are written earlier and miss
    # the requests finished during --stop-timeout (the failures CSV is still read for the reasons).
    command = [str(locust), "-f", str(Path(__file__).with_name("locustfile.py")), "--headless", "--host", server_url,
               "-u", str(users), "-r", "10", "-t", f"{seconds}s", "--csv", str(prefix), "--json-file", str(prefix),
               "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "20"]
    env = {**os.environ, "LOAD_PLAN": str(plan_file), "LOAD_ACKS": str(acks)}
    subprocess.run(command, env=env, check=False, timeout=seconds + 120)


def summary(prefix: Path) -> tuple[list[dict], dict, list[str]]:
    """Per request type and in all: count, failures, p50/p95/p99 (locust's own percentiles), rate."""
    # Only locust's percentile helper is needed here, once its own process has ended. Importing locust
    # monkey-patches the standard library for gevent, and patching ssl after SQLAlchemy and psycopg
    # imported it recurses without end in ssl's minimum_version (gevent 26): so this process skips it.
    os.environ["LOCUST_SKIP_MONKEY_PATCH"] = "1"
    from locust.stats import calculate_response_time_percentile

    def row(name: str, count: int, failures: int, times: dict[int, int], began: float, ended: float) -> dict:
        real = sum(times.values())  # requests with a response time
        pct = {p: calculate_response_time_percentile(times, real, p / 100) for p in (50, 95, 99)}
        return {"name": name, "count": count, "failures": failures, "p50": pct[50], "p95": pct[95], "p99": pct[99],
                "seconds": ended - began}

    entries = json.loads(Path(f"{prefix}.json").read_text())
    table, merged = [], {}
    for entry in entries:
        times = {int(ms): n for ms, n in entry["response_times"].items()}
        for ms, n in times.items():
            merged[ms] = merged.get(ms, 0) + n
        table.append(row(entry["name"], entry["num_requests"], entry["num_failures"], times, entry["start_time"],
                         entry["last_request_timestamp"] or entry["start_time"]))
    total = row("all", sum(r["count"] for r in table), sum(r["failures"] for r in table), merged,
                min(e["start_time"] for e in entries), max(e["last_request_timestamp"] or 0 for e in entries))
    reasons = []
    failures_csv = Path(f"{prefix}_failures.csv")
    if failures_csv.exists():
        with open(failures_csv) as handle:
            reasons = [f"{r['Occurrences']} x {r['Method']} {r['Name']}: {r['Error']}" for r in csv.DictReader(handle)]
    return sorted(table, key=lambda r: r["name"]), total, reasons


def _reconcile(url: str, acks: Path):
    from app import create_app
    from bench.load.reconcile import load_acks, reconcile
    from extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "AUDIT_KEY": AUDIT_KEY})
    with app.app_context():
        report = reconcile(load_acks(acks))
        db.session.remove()
        db.engine.dispose()
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--leads", type=int, default=5)
    args = parser.parse_args()
    args.load_before = os.getloadavg()  # before this run adds its own
    stamp = time.strftime("%Y%m%d-%H%M%S")
    workdir = OUT / f"load-{args.engine}-{stamp}"
    workdir.mkdir(parents=True, exist_ok=True)
    url, schema = database_url(args.engine, workdir)
    try:
        return _run(args, url, workdir)
    finally:
        if schema:
            drop_schema(schema)


def _run(args, url: str, workdir: Path) -> int:
    from bench.load.server import Gunicorn

    began = time.monotonic()
    plan = prepare(url, workdir, args.learners, args.leads) | routes(url)
    plan_file, acks, prefix = workdir / "plan.json", workdir / "acks.jsonl", workdir / "locust"
    baseline = set(_reconcile(url, acks).problems)  # what the seed data itself gets wrong, before any load
    plan_file.write_text(json.dumps(plan))
    print(f"prepared {args.engine} in {time.monotonic() - began:.0f} s: {len(plan['learners'])} learners, "
          f"{len(plan['leads'])} leads, {len(plan['modules'])} modules, {len(plan['keys'])} questions")
    env = {"DATABASE_URL": url, "SECRET_KEY": "load-test-" + uuid.uuid4().hex, "INSTANCE_PATH": str(workdir),
           "AUDIT_KEY": AUDIT_KEY,
           "SIGNIN_LIMIT_PER_ADDRESS": "100000 per minute", "SIGNIN_LIMIT_PER_ACCOUNT": "100000 per minute",
           "APP_CONFIG": "default"}
    with Gunicorn(env) as server:
        print(f"gunicorn {server.url}: workers {server.worker_pids} ready; {args.seconds} s of load")
        cpu_before = _cpu_seconds(server.worker_pids)
        run_locust(server.url, plan_file, acks, args.learners + args.leads, args.seconds, prefix)
        load_after = os.getloadavg()
        workers_replaced = server.live_workers() != list(dict.fromkeys(server.worker_pids))
        app_cpu = _cpu_seconds(server.worker_pids) - cpu_before
        tracebacks = sum("Traceback" in line for line in server.lines)
        busy = sum("database unavailable" in line for line in server.lines)  # answered 503 (core/errors.py)
    (workdir / "gunicorn.log").write_text("\n".join(server.lines) + "\n")
    table, total, reasons = summary(prefix)
    lines = [f"Load test {date.today()} on {args.engine}: {args.learners} learners + {args.leads} leads, "
             f"{args.seconds} s, gunicorn 2 sync workers, {os.cpu_count()} cores; load average (1/5/15 min) "
             f"{_loadavg(args.load_before)} before, {_loadavg(load_after)} at the end",
             f"{'request':<18}{'count':>7}{'errors':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"]
    lines += [f"{r['name']:<18}{r['count']:>7}{r['failures']:>8}{r['p50']:>8}{r['p95']:>8}{r['p99']:>8}" for r in table]
    lines.append(f"{'all':<18}{total['count']:>7}{total['failures']:>8}{total['p50']:>8}{total['p95']:>8}{total['p99']:>8}")
    lines.append(f"throughput {total['count'] / max(total['seconds'], 1):.1f} requests/s over {total['seconds']:.0f} s; "
                 f"{total['failures']} errors; server log: {tracebacks} tracebacks, {busy} 'database unavailable' (503)")
    lines.append(f"gunicorn workers used {app_cpu:.0f} s of CPU: {app_cpu * 1000 / max(total['count'], 1):.1f} ms per "
                 f"request" + (" (a worker was replaced: its CPU is missing)" if workers_replaced else ""))
    lines += [f"  {reason} (locust's failures CSV, written before the users stopped)" for reason in reasons]
    report = _reconcile(url, acks)
    seeded = [p for p in report.problems if p in baseline]
    report.problems = [p for p in report.problems if p not in baseline]
    lines.append("Reconciliation: " + ("clean" if report.clean else "PROBLEMS FOUND"))
    lines += report.lines()
    if seeded:
        lines.append(f"  ({len(seeded)} problem(s) were in the seeded demo data before the load, e.g. {seeded[0]})")
    text = "\n".join(lines)
    print(text)
    (workdir / "summary.txt").write_text(text + "\n")
    return 0 if report.clean and total["failures"] == 0 and tracebacks == 0 else 1


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the live processes among pids (Linux /proc; 0 elsewhere)."""
    total = 0
    for pid in dict.fromkeys(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def _loadavg(values: tuple[float, float, float]) -> str:
    return "/".join(f"{v:.1f}" for v in values)


if __name__ == "__main__":
    raise SystemExit(main())
