"""Dashboard benchmark: the mission dashboard of the largest mission and the HQ view at 100,000 people.

    .venv/bin/python bench/bench_dashboards.py                       # SQLite, bench/out/dashboards-100000.sqlite3
    .venv/bin/python bench/bench_dashboards.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/bench_dashboards.py --people 20000        # a smaller world, for a quick look

The data comes from `flask --app app bench-data` (demo/bench_data.py), built once per database
(the SQLite file is kept in bench/out/ and reused; a PostgreSQL database must exist and hold no
people the first time). Then, in one process:

1. Server time: the mission lead of the largest mission (about 20,000 people) asks for its
   dashboard, and HQ for the all-missions view, through the app (routing, session check,
   permission, SQL, Python, template, SVG charts): 3 warm-up requests, then p50 and p95 of 20.
2. The floor: every SQL statement one such request sends is recorded (statement and parameters)
   and replayed 20 times on a bare DBAPI cursor, fetching every row: the time the database alone
   needs for the same numbers. The ratio page / floor is what the app adds on top.
   On SQLite both are also given in CPU time of this one thread (the database runs inside it), a
   ratio that other work on a busy machine moves less than the wall times.

Goals (issue #6): on SQLite, dashboard p50 < 150 ms and HQ p50 < 300 ms, each within 1.5x the floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ROUNDS, WARM_UP = 20, 3
GOALS_MS = {"mission dashboard": 150.0, "HQ view": 300.0}


def ensure_data(url: str, people: int, instance: Path) -> None:
    """Build the benchmark world unless the database already holds people."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    with engine.connect() as connection:
        has_people = inspect(connection).has_table("users") and connection.execute(
            text("SELECT count(*) FROM users")).scalar()
    engine.dispose()
    if has_people:
        print(f"data: reusing the {has_people:,} people already in the database")
        _planner_statistics(url)
        return
    print(f"data: generating {people:,} people (once) ...", flush=True)
    began = time.perf_counter()
    env = {**os.environ, "DATABASE_URL": url, "INSTANCE_PATH": str(instance)}
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "bench-data", "--people", str(people)],
                   cwd=ROOT, env=env, check=True)
    print(f"data: generated in {time.perf_counter() - began:.0f} s")


def _planner_statistics(url: str) -> None:
    """A PostgreSQL world built before migration speeddash_a gets its statistics object, and fresh
    statistics either way (bench-data runs ANALYZE after its bulk load; autovacuum does it in production)."""
    from sqlalchemy import create_engine, text

    from accounts.models import DEPLOYMENTS_OPEN_UNTIL_STATISTICS

    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text(DEPLOYMENTS_OPEN_UNTIL_STATISTICS))
            connection.execute(text("ANALYZE"))
    engine.dispose()


def make_app(url: str, instance: Path):
    os.environ.update(DATABASE_URL=url, INSTANCE_PATH=str(instance))
    from app import create_app
    from config import Config

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        WTF_CSRF_ENABLED = False  # the client signs in with a plain form post
        RATELIMIT_ENABLED = False

    return create_app(BenchConfig)


def signed_in_client(app, service_number: str):
    from demo.bench_data import BENCH_PASSWORD

    client = app.test_client()
    answer = client.post("/sign-in", data={"identifier": service_number, "password": BENCH_PASSWORD})
    if answer.status_code != 302:
        raise SystemExit(f"could not sign in as {service_number}: {answer.status_code}")
    return client


def time_page(client, path: str) -> tuple[list[float], list[float]]:
    """Wall times and this thread's CPU times (ms) of ROUNDS requests."""
    for _ in range(WARM_UP):
        assert client.get(path).status_code == 200, path
    times, cpu = [], []
    for _ in range(ROUNDS):
        began, began_cpu = time.perf_counter(), time.thread_time()
        answer = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.thread_time() - began_cpu) * 1000)
        assert answer.status_code == 200, path
    return times, cpu


def record_statements(app, client, path: str) -> list[tuple[str, object]]:
    """The SQL (with parameters, as sent to the driver) of one request to `path`."""
    from sqlalchemy import event

    from extensions import db

    statements: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, _context, executemany):
        if not executemany:
            statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return statements


def time_floor(app, statements) -> tuple[list[float], list[float]]:
    """Replays the statements on one bare DBAPI connection, fetching every row: wall and CPU times."""
    from extensions import db

    with app.app_context():
        raw = db.engine.raw_connection()
    try:
        times, cpu = [], []
        for round_number in range(WARM_UP + ROUNDS):
            began, began_cpu = time.perf_counter(), time.thread_time()
            cursor = raw.cursor()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            cursor.close()
            raw.rollback()
            if round_number >= WARM_UP:
                times.append((time.perf_counter() - began) * 1000)
                cpu.append((time.thread_time() - began_cpu) * 1000)
        return times, cpu
    finally:
        raw.close()


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--database-url", default=None,
                        help="default: a SQLite file in bench/out/ named after --people, kept between runs")
    args = parser.parse_args()
    out = ROOT / "bench" / "out"
    instance = out / f"dashboards-{args.people}-instance"
    instance.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{out / f'dashboards-{args.people}.sqlite3'}"
    ensure_data(url, args.people, instance)

    app = make_app(url, instance)
    from sqlalchemy import func, select

    from accounts.models import Deployment, Mission
    from extensions import db
    from reports.dashboard import now_moment

    with app.app_context():
        largest = db.session.scalar(select(Mission).filter_by(code="MONUSCO"))
        on = now_moment().on
        now = db.session.scalar(select(func.count()).select_from(Deployment).where(
            Deployment.mission_id == largest.id, Deployment.arrival_on <= on,
            (Deployment.departure_on.is_(None)) | (Deployment.departure_on >= on)))
        engine_name = db.engine.dialect.name
        mission_id = largest.id
    pages = {"mission dashboard": (signed_in_client(app, "BENCH-LEAD"), f"/missions/{mission_id}/dashboard"),
             "HQ view": (signed_in_client(app, "BENCH-HQ"), "/hq")}
    print(f"{engine_name}, {args.people:,} people; MONUSCO has {now:,} deployed now; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {ROUNDS} requests after {WARM_UP} warm-up")
    print(f"{'page':<18} {'p50 ms':>8} {'p95 ms':>8} {'SQL floor p50':>14} {'statements':>10} {'page/floor':>10}  goal")
    failed = False
    for name, (client, path) in pages.items():
        page_times, page_cpu = time_page(client, path)
        statements = record_statements(app, client, path)
        floor_times, floor_cpu = time_floor(app, statements)
        page_p50, floor_p50 = statistics.median(page_times), statistics.median(floor_times)
        ratio = page_p50 / floor_p50
        goal = GOALS_MS[name]
        meets = page_p50 < goal and ratio <= 1.5
        failed |= engine_name == "sqlite" and args.people >= 100_000 and not meets
        print(f"{name:<18} {page_p50:8.1f} {p95(page_times):8.1f} {floor_p50:14.1f} {len(statements):10d} "
              f"{ratio:10.2f}  p50 < {goal:.0f} ms and <= 1.5x floor: {'met' if meets else 'NOT met'}")
        if engine_name == "sqlite":  # the database works inside this process: its CPU time is the page's too
            page_cpu_p50, floor_cpu_p50 = statistics.median(page_cpu), statistics.median(floor_cpu)
            print(f"{'':<18} CPU: page {page_cpu_p50:.1f} ms, floor {floor_cpu_p50:.1f} ms, page/floor "
                  f"{page_cpu_p50 / floor_cpu_p50:.2f} (other work on the machine inflates it less than wall time)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
