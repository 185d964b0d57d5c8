"""Start tests/oidc/provider.mjs (the npm `oidc-provider`) on a free loopback port for a test."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("provider.mjs")
CLIENT_ID, CLIENT_SECRET = "training-platform", "test-client-secret-not-for-production"


def _unavailable(reason: str) -> None:
    # CI (REQUIRE_BROWSER=1) installs Node and `npm ci` through `make install-dev`: missing there is a failure.
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@contextmanager
def running_provider(*, redirect_uri: str, post_logout_uri: str, accounts: dict[str, dict]):
    """Yield the issuer URL of a fresh provider that knows one client and these accounts."""
    node = shutil.which("node")
    if node is None:
        _unavailable("node is missing: install it (`apt-get install npm`)")
    if not (ROOT / "node_modules" / "oidc-provider" / "package.json").exists():
        _unavailable("node_modules/oidc-provider is missing: run `make install-dev` (npm ci)")
    settings = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [redirect_uri],
                "post_logout_redirect_uris": [post_logout_uri], "accounts": accounts}
    process = subprocess.Popen([node, str(SCRIPT), json.dumps(settings)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        ready, _, _ = select.select([process.stdout], [], [], 20)
        line = process.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"the OpenID provider did not start (exit code {process.poll()})")
        yield json.loads(line)["issuer"]
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
