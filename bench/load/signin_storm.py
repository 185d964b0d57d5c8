"""Sign-in storm: 50 distinct people sign in within 10 seconds against gunicorn (2 workers).

    .venv/bin/python bench/load/signin_storm.py [--people 50] [--seconds 10]

Measures the argon2id cost per hash and per verification with the production parameters
(accounts/passwords.py), then starts one sign-in every seconds/people seconds, each from its
own thread (GET the form for its CSRF token, POST the credentials), against the default
configuration with CSRF on. The per-address sign-in limit is raised because every request
comes from 127.0.0.1; the per-account limit stays. Loopback only. Prints the statuses, the
latencies and whether any answer was a 5xx (exit 1 if so).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PASSWORD = "storm-password-2026"  # noqa: S105 (throwaway accounts on a throwaway database)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def hash_costs(rounds: int = 20) -> tuple[float, float, float]:
    """Median wall-clock ms per hash and per verification, and CPU ms per hash (independent of other load)."""
    from accounts.passwords import _production

    hashes, verifies = [], []
    stored = _production.hash(PASSWORD)
    cpu_began = time.process_time()
    for _ in range(rounds):
        began = time.perf_counter()
        _production.hash(PASSWORD)
        hashes.append(time.perf_counter() - began)
    cpu_ms = (time.process_time() - cpu_began) / rounds * 1000
    for _ in range(rounds):
        began = time.perf_counter()
        _production.verify(stored, PASSWORD)
        verifies.append(time.perf_counter() - began)
    return statistics.median(hashes) * 1000, statistics.median(verifies) * 1000, cpu_ms


def prepare(url: str, people: int) -> list[str]:
    from accounts.models import User
    from accounts.passwords import hash_password
    from app import create_app
    from extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        password_hash = hash_password(PASSWORD)
        numbers = [f"STORM-{n:03d}" for n in range(1, people + 1)]
        db.session.add_all([User(service_number=number, name=f"Storm {number}", category="police",
                                 password_hash=password_hash) for number in numbers])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return numbers


def sign_in(base_url: str, number: str, results: list) -> None:
    from bench.load.server import Browser

    browser = Browser(base_url)
    began = time.perf_counter()
    try:
        page = browser.get("/sign-in")
        match = CSRF.search(page.text)
        token = (match.group(1) or match.group(2)) if match else ""
        reply = browser.post("/sign-in", {"identifier": number, "password": PASSWORD, "csrf_token": token})
        results.append((number, page.status, reply.status, time.perf_counter() - began, reply.location))
    except OSError as error:
        results.append((number, 0, 0, time.perf_counter() - began, repr(error)))


def main() -> int:
    from bench.load.server import Gunicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]  # other work on the machine, before this adds its own
    workdir = ROOT / "bench" / "out" / f"storm-{time.strftime('%Y%m%d-%H%M%S')}"
    workdir.mkdir(parents=True, exist_ok=True)
    hash_ms, verify_ms, cpu_ms = hash_costs()
    url = f"sqlite:///{workdir / 'storm.sqlite3'}"
    numbers = prepare(url, args.people)
    env = {"DATABASE_URL": url, "SECRET_KEY": "storm-" + uuid.uuid4().hex, "INSTANCE_PATH": str(workdir),
           "SIGNIN_LIMIT_PER_ADDRESS": "100000 per minute", "APP_CONFIG": "default"}
    results: list = []
    with Gunicorn(env) as server:
        threads, began = [], time.perf_counter()
        for k, number in enumerate(numbers):
            delay = began + k * args.seconds / args.people - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            thread = threading.Thread(target=sign_in, args=(server.url, number, results))
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join(120)
        elapsed = time.perf_counter() - began
    latencies = sorted(r[3] * 1000 for r in results)
    signed_in = sum(1 for r in results if r[2] == 302 and r[4].endswith("/"))
    server_errors = [r for r in results if r[1] >= 500 or r[2] >= 500 or r[2] == 0]
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    from accounts.passwords import _production as hasher

    print(f"argon2id t={hasher.time_cost} m={hasher.memory_cost // 1024} MiB p={hasher.parallelism}: "
          f"{cpu_ms:.0f} ms of CPU per hash; wall clock {hash_ms:.0f} ms per hash, "
          f"{verify_ms:.0f} ms per verification (medians of 20); load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after")
    print(f"sign-in storm: {len(results)} people in {args.seconds:.0f} s (all done after {elapsed:.1f} s) against "
          f"gunicorn 2 workers: {signed_in} signed in, {len(server_errors)} 5xx or dropped; form + sign-in latency "
          f"p50 {statistics.median(latencies):.0f} ms, p95 {p95:.0f} ms, max {latencies[-1]:.0f} ms")
    for row in server_errors[:10]:
        print("  failed:", row)
    return 1 if server_errors or signed_in != len(numbers) else 0


if __name__ == "__main__":
    raise SystemExit(main())
