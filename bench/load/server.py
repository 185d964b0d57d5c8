"""Serve the app with gunicorn on a free loopback port, for the load tools and the fault tests.

`Gunicorn(env)` starts `gunicorn -w 2 'app:create_app()'` bound to 127.0.0.1 and returns only
once every worker has loaded the app (gunicorn_conf.py logs a line per worker from
post_worker_init): a load that starts earlier piles its kept-open connections onto the first
worker. Its pids are in `.worker_pids`; the log is kept for the caller to show.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
CONFIG = Path(__file__).with_name("gunicorn_conf.py")
READY = re.compile(r"worker ready pid=(\d+)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    def __init__(self, env: dict[str, str], *, workers: int = 2, boot_timeout: float = 30.0,
                 app: str = "app:create_app()") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.worker_pids: list[int] = []
        command = [str(GUNICORN), "-c", str(CONFIG), "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
                   "--timeout", "60", app]
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True, start_new_session=True)
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        if not self._ready.wait(boot_timeout):
            self.stop()
            raise RuntimeError(f"gunicorn did not start {workers} workers in {boot_timeout:.0f} s:\n" + self.log())
        self._wait_for_health()

    def _read_log(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.rstrip())
            match = READY.search(line)
            if match:
                self.worker_pids.append(int(match.group(1)))
                if len(self.worker_pids) >= self.workers:
                    self._ready.set()

    def _wait_for_health(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:  # noqa: S310 (loopback)
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn started but /healthz never answered:\n" + self.log())

    def live_workers(self) -> list[int]:
        """Pids of the workers now alive (the arbiter replaces a killed one)."""
        alive = []
        for pid in dict.fromkeys(self.worker_pids):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                continue
            alive.append(pid)
        return alive

    def log(self, last: int = 60) -> str:
        return "\n".join(self.lines[-last:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self._reader.join(5)
        self.process.stderr.close()

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class Reply:
    def __init__(self, status: int, headers, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Browser:
    """A cookie-keeping HTTP client that does not follow redirects (one request at a time)."""

    def __init__(self, base_url: str) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None, timeout: float = 30.0) -> Reply:
        body = urllib.parse.urlencode(data or {}, doseq=True) if method == "POST" else None
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read())
        finally:
            connection.close()
        for header in reply.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            if value and "expires=thu, 01 jan 1970" not in header.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        return reply

    def get(self, path: str, **kwargs) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs) -> Reply:
        return self.request("POST", path, data, **kwargs)

    def sign_in(self, identifier: str, password: str) -> Reply:
        reply = self.post("/sign-in", {"identifier": identifier, "password": password})
        if reply.status != 302:
            raise RuntimeError(f"sign-in as {identifier} answered {reply.status}")
        return reply
