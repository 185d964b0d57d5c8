"""Where a page's time goes under load: py-spy on the gunicorn workers, split by request phase.

    .venv/bin/pip install -r bench/requirements.txt             # py-spy (and locust)
    .venv/bin/python bench/profile_pages.py --page lesson       # bench_pages.py's world, 20 s of wrk
    .venv/bin/python bench/profile_pages.py --attach 4242 4243  # workers already under load (run_load.py prints their pids)

With --page, the world, the servers' settings and the signed-in learner are bench_pages.py's (a
fresh SQLite database with the demo, gunicorn with 2 sync workers); wrk asks for the page while
py-spy samples every worker. With --attach, py-spy samples the given processes (the workers of a
load test, say) for --seconds. Either way it prints each phase's share of the samples (gunicorn
outside the app, the request context and teardown, the before-request hooks, the view, the
after-request hooks), the views' shares, the biggest callees of --focus (default: the view), and
the functions with the most samples of their own.

py-spy samples running threads by their stacks (a C call such as SQLite's shows as the Python line
that made it), so the shares are of time spent, not of CPU alone: a worker waiting in select() for
the next request can show up too (as "gunicorn, waiting"). Issue 14's passes used it to find what
was left to cut (README, Benchmarks; docs/performance-history.md).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The project's own code as py-spy names it: paths relative to the project (site-packages show as
# "flask/app.py", the project as "training/views.py"), so it is told apart by its top-level names.
PROJECT = frozenset(path.stem for path in ROOT.iterdir() if not path.name.startswith(".") and (
    path.suffix == ".py" or (path.is_dir() and any(path.glob("*.py")))))
# Decorators between Flask's dispatch and the view: not the view itself.
WRAPPERS = ("core/permissions.py",)
PHASES = ("gunicorn, waiting", "gunicorn, outside the app", "request context and teardown",
          "before-request hooks", "view", "after-request hooks")


def parse(lines: Iterable[str]) -> list[tuple[list[str], int]]:
    """py-spy's raw output ("frame;frame;frame count" per line, outermost frame first) as (frames, count)."""
    stacks = []
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def where(frame: str) -> tuple[str, str]:
    """("function", "path") of a py-spy frame "function (path:line)"."""
    function, _, place = frame.rpartition(" (")
    return (function, place.rsplit(":", 1)[0]) if function else (frame, "")


def is_project(frame: str) -> bool:
    path = where(frame)[1]
    return path.split("/", 1)[0].removesuffix(".py") in PROJECT and not path.startswith(WRAPPERS)


def phase_of(frames: list[str]) -> str:
    """Which part of a request (or of gunicorn around it) a stack is in."""
    names = [where(frame)[0] for frame in frames]
    if names and names[-1] == "SyncWorker.wait":
        return "gunicorn, waiting"
    if "Flask.wsgi_app" not in names:
        return "gunicorn, outside the app"
    if "Flask.dispatch_request" in names:
        return "view"
    if "Flask.preprocess_request" in names:
        return "before-request hooks"
    if "Flask.full_dispatch_request" in names:
        return "after-request hooks"  # making the response, the after-request hooks, saving the session
    return "request context and teardown"


def view_of(frames: list[str]) -> str | None:
    """The view a stack is in: the first project frame after Flask's dispatch, as "function path"."""
    names = [where(frame)[0] for frame in frames]
    if "Flask.dispatch_request" not in names:
        return None
    for frame in frames[names.index("Flask.dispatch_request") + 1:]:
        if is_project(frame):
            function, path = where(frame)
            return f"{function} {path}"
    return "(in Flask or an extension)"


def summary(stacks: list[tuple[list[str], int]], focus: str | None = None, top: int = 15) -> str:
    """The report: phases, views, the callees of the first frame whose function is `focus` (by
    default the view with the most samples), and the functions' own samples."""
    total = sum(count for _, count in stacks) or 1
    phases, views, callees, own = Counter(), Counter(), Counter(), Counter()
    for frames, count in stacks:
        phases[phase_of(frames)] += count
        view = view_of(frames)
        if view is not None:
            views[view] += count
    if focus is None:
        focus = views.most_common(1)[0][0].split(" ")[0] if views else "Flask.dispatch_request"
    for frames, count in stacks:
        names = [where(frame)[0] for frame in frames]
        if focus in names:
            below = frames[names.index(focus) + 1:]
            callees[below[0] if below else "(its own code)"] += count
        own[frames[-1]] += count
    lines = [f"{total} samples"]
    for title, counter, limit in (("phase", Counter({phase: phases[phase] for phase in PHASES}), len(PHASES)),
                                  ("view", views, top), (f"directly under {focus}", callees, top),
                                  ("own samples (the function itself, not what it calls)", own, top)):
        lines.append(f"\nby {title}:")
        lines += [f"  {100 * count / total:5.1f}%  {name}" for name, count in counter.most_common(limit) if count]
    return "\n".join(lines)


def record(pids: list[int], seconds: int, out: Path, py_spy: str) -> tuple[list[Path], list[subprocess.Popen]]:
    """py-spy started on each process for `seconds`: the files it will write, and its processes (see finish)."""
    files = [out / f"py-spy-{pid}.txt" for pid in pids]
    return files, [subprocess.Popen([py_spy, "record", "--rate", "250", "--format", "raw", "--pid", str(pid),
                                     "--duration", str(seconds), "--output", str(path)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                   for pid, path in zip(pids, files, strict=True)]


def finish(spies: list[subprocess.Popen]) -> None:
    for spy in spies:
        _, errors = spy.communicate()
        if spy.returncode != 0:
            first = (errors.strip().splitlines() or ["no message"])[0]
            raise SystemExit(f"py-spy failed: {first} (it must be able to trace the process: the same user, "
                             "or root, and ptrace allowed)")


def profile_page(page: str, seconds: int, out: Path, py_spy: str) -> list[Path]:
    from bench import bench_pages
    from bench.load.server import Gunicorn

    url = f"sqlite:///{out / 'pages.sqlite3'}"
    [(page, path)] = bench_pages.chosen(bench_pages.prepare(url, out), [page]).items()
    env = {"DATABASE_URL": url, "SECRET_KEY": "profile-" + uuid.uuid4().hex, "INSTANCE_PATH": str(out),
           "SIGNING_KEY_DIR": str(out / "signing-keys"), "APP_CONFIG": "default"}
    with Gunicorn(env) as product:
        cookie = None if page == "sign-in" else bench_pages.sign_in(product.url)
        if cookie:
            bench_pages.check_pages(product.url, cookie, {page: path})
        bench_pages.wrk(product.url + path, 2, 16, cookie)  # warm: every worker has served it
        files, spies = record(product.worker_pids, seconds, out, py_spy)
        rate = bench_pages.wrk(product.url + path, seconds + 1, 16, cookie)
        finish(spies)
    print(f"{page}: {rate:.0f} requests/s under wrk -t2 -c16 while py-spy sampled workers {product.worker_pids}")
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--page", help="a page of bench_pages.py: sign-in, lesson, quiz question, ...")
    what.add_argument("--attach", type=int, nargs="+", metavar="PID", help="processes to sample instead")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--focus", default=None,
                        help="list the callees of this function (py-spy's name for it, e.g. force_password_change; "
                             "default: the view with the most samples)")
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"))
    args = parser.parse_args()
    if not Path(args.py_spy).exists() and shutil.which(args.py_spy) is None:
        raise SystemExit("py-spy is not installed: .venv/bin/pip install -r bench/requirements.txt")
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    out = Path(tempfile.mkdtemp(prefix="profile-", dir=ROOT / "bench" / "out"))
    if args.page:
        files = profile_page(args.page, args.seconds, out, args.py_spy)
    else:
        files, spies = record(args.attach, args.seconds, out, args.py_spy)
        finish(spies)
    stacks = [stack for path in files for stack in parse(path.read_text().splitlines())]
    print(summary(stacks, args.focus))
    print(f"\nraw samples: {', '.join(str(path) for path in files)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
