"""Learner pages against bare Flask: the share of a "hello" app's throughput each page keeps.

    .venv/bin/python bench/bench_pages.py                 # 3 rounds of 5 s a page (about 5 minutes)
    .venv/bin/python bench/bench_pages.py --seconds 10    # the issue's 10 s a page

1. A fresh SQLite database in bench/out/ gets the schema and `seed-demo` (the shipped course of
   8 modules); the demo learner (PK-0001) gets one submitted and one open attempt at a quiz they
   may still take, so the quiz question and result pages exist.
2. Two gunicorn servers with the same settings (2 sync workers, bench/load/gunicorn_conf.py; each
   waited for until every worker has booted): the product in its default configuration (CSRF
   on, production argon2), and bench/hello_app.py, one route returning "Hello, World!".
3. The learner signs in through the real form (GET /sign-in, CSRF token, POST); every page is
   fetched once with that cookie and must answer 200 with what it should show.
4. wrk (Debian's `wrk`, 2 threads, 16 connections) measures each page for --seconds, then bare
   Flask for as long, alternately, for --rounds rounds. A page's share is its requests/s over
   bare Flask's in the same round; the median and spread (min-max) over rounds are printed.
   Other work on the machine slows both alike, so the shares hold when the absolute rates do not.

Goals (issue 14): lesson and quiz question >= 20% of bare Flask, My training and course page
>= 10%, sign-in >= 25%.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
LEARNER, PASSWORD = "PK-0001", "peacekeeper-demo-2026"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
GOALS = {"sign-in": 0.25, "lesson": 0.20, "quiz question": 0.20, "my training": 0.10, "course": 0.10}


def prepare(url: str, workdir: Path) -> dict[str, str]:
    """Schema, demo data, a submitted and an open attempt; returns the pages to measure."""
    from sqlalchemy import select

    from accounts.models import User
    from app import create_app
    from extensions import db
    from quizzes import attempts
    from quizzes.services import quiz_for_module
    from training import learning
    from training.models import Course

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SIGNING_KEY_DIR": str(workdir / "signing-keys")})
    with app.app_context():
        db.create_all()
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        if result.exit_code != 0:
            raise SystemExit(f"seed-demo failed: {result.output}")
        user = db.session.scalar(select(User).filter_by(service_number=LEARNER))
        course = db.session.scalar(select(Course).filter_by(code="cp-peace-ops"))
        for module in learning.live_modules(course):
            quiz = quiz_for_module(module.id)
            if quiz is None:
                continue
            quiz.attempt_limit, quiz.cooldown_minutes, quiz.time_limit_minutes = None, 0, None
            db.session.flush()
            if attempts.start_check(user, quiz).allowed:
                break
        else:
            raise SystemExit("the demo learner has no quiz left to take")
        submitted = attempts.start_attempt(user, quiz, language="en")
        attempts.submit(submitted)
        opened = attempts.start_attempt(user, quiz, language="en")
        lesson = learning.learner_version(user, module).lessons[0]
        pages = {
            "sign-in": "/sign-in",
            "my training": "/training",
            "course": f"/training/courses/{course.id}",
            "module": f"/training/modules/{module.id}",
            "lesson": f"/training/lessons/{lesson.id}",
            "quiz intro": f"/quiz/module/{module.id}",
            "quiz question": f"/quiz/attempts/{opened.id}/q/1",
            "result": f"/quiz/attempts/{submitted.id}/result",
            "certificates": "/certificates",
        }
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return pages


def sign_in(base_url: str) -> str:
    """The learner's cookie header, from the real sign-in form."""
    from bench.load.server import Browser

    browser = Browser(base_url)
    page = browser.get("/sign-in")
    match = CSRF.search(page.text)
    token = (match.group(1) or match.group(2)) if match else ""
    reply = browser.post("/sign-in", {"identifier": LEARNER, "password": PASSWORD, "csrf_token": token})
    if reply.status != 302:
        raise SystemExit(f"sign-in answered {reply.status}")
    return "; ".join(f"{k}={v}" for k, v in browser.cookies.items())


def check_pages(base_url: str, cookie: str, pages: dict[str, str]) -> None:
    """Each page answers 200 to the signed-in learner (a redirect would measure the wrong page)."""
    from bench.load.server import Browser

    for name, path in pages.items():
        browser = Browser(base_url)
        if name != "sign-in":
            browser.cookies = dict(pair.split("=", 1) for pair in cookie.split("; "))
        reply = browser.get(path)
        if reply.status != 200:
            raise SystemExit(f"{name} ({path}) answered {reply.status} {reply.location}")
        if name != "sign-in" and "Sign out" not in reply.text:
            raise SystemExit(f"{name} ({path}) was not served to the signed-in learner")


def wrk(url: str, seconds: int, connections: int, cookie: str | None = None) -> float:
    """Requests per second, from wrk; any non-2xx/3xx answer or socket error stops the run."""
    # A slow page (main's My training took 1-2 s a request on the busy machine) must not time out.
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    if "Non-2xx or 3xx responses" in output or "Socket errors" in output:
        raise SystemExit(f"wrk saw errors on {url}:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def chosen(pages: dict[str, str], names: list[str]) -> dict[str, str]:
    """The pages of these names (any case), or a message naming the pages there are."""
    wanted = [name.strip().lower() for name in names]
    unknown = [name for name in wanted if name not in pages]
    if unknown:
        raise SystemExit(f"no page called {', '.join(map(repr, unknown))}: the pages are {', '.join(pages)}")
    return {name: pages[name] for name in wanted}


def main() -> int:
    from bench.load.server import Gunicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per page and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--pages", default="", help="comma-separated page names (default: all)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    load_before = os.getloadavg()
    workdir = OUT / f"pages-{time.strftime('%Y%m%d-%H%M%S')}"
    workdir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{workdir / 'pages.sqlite3'}"
    pages = prepare(url, workdir)
    if args.pages:
        pages = chosen(pages, args.pages.split(","))
    env = {"DATABASE_URL": url, "SECRET_KEY": "pages-" + uuid.uuid4().hex, "INSTANCE_PATH": str(workdir),
           "SIGNING_KEY_DIR": str(workdir / "signing-keys"), "APP_CONFIG": "default"}
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in pages}
    with Gunicorn(env) as product, Gunicorn({}, app="bench.hello_app:app") as bare:
        cookie = sign_in(product.url)
        check_pages(product.url, cookie, pages)
        print(f"product {product.url} (workers {product.worker_pids}), bare Flask {bare.url} "
              f"(workers {bare.worker_pids}); wrk -t2 -c{args.connections} -d{args.seconds}s, {args.rounds} rounds")
        for round_ in range(1, args.rounds + 1):
            for name, path in pages.items():
                page_rate = wrk(product.url + path, args.seconds, args.connections,
                                None if name == "sign-in" else cookie)
                bare_rate = wrk(bare.url + "/", args.seconds, args.connections)
                rates[name].append((page_rate, bare_rate))
                print(f"  round {round_} {name:<14} {page_rate:8.0f} req/s, bare Flask {bare_rate:8.0f}: "
                      f"{page_rate / bare_rate:6.1%}", flush=True)
        tracebacks = sum("Traceback" in line for line in product.lines)
    load_after = os.getloadavg()
    lines = [f"Learner pages against bare Flask, {date.today()}: gunicorn 2 sync workers each, wrk -t2 "
             f"-c{args.connections} -d{args.seconds}s, {args.rounds} rounds alternating; {os.cpu_count()} cores, "
             f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after",
             f"{'page':<15}{'req/s (median)':>15}{'bare Flask':>12}{'share':>8}{'spread':>16}{'goal':>8}"]
    failed = []
    for name, pairs in rates.items():
        shares = [page / bare for page, bare in pairs]
        share = statistics.median(shares)
        goal = GOALS.get(name)
        verdict = "" if goal is None else (f">={goal:.0%}" + (" met" if share >= goal else " MISSED"))
        if goal is not None and share < goal:
            failed.append(name)
        lines.append(f"{name:<15}{statistics.median(p for p, _ in pairs):>15.0f}"
                     f"{statistics.median(b for _, b in pairs):>12.0f}{share:>8.1%}"
                     f"{f'{min(shares):.1%}-{max(shares):.1%}':>16}  {verdict}")
    if tracebacks:
        lines.append(f"the product's log holds {tracebacks} tracebacks: see {workdir / 'gunicorn.log'}")
        (workdir / "gunicorn.log").write_text("\n".join(product.lines) + "\n")
    text = "\n".join(lines)
    print(text)
    (workdir / "summary.txt").write_text(text + "\n")
    return 1 if failed or tracebacks else 0


if __name__ == "__main__":
    raise SystemExit(main())
