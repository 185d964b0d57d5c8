"""Known-vulnerability audit of the pinned runtime dependencies; fails loudly when it cannot audit.

pip-audit resolves requirements.txt (transitive dependencies included) and asks PyPI's
per-release JSON API (`/pypi/<name>/<version>/json`) about each. Where that API answers 404
(it does behind this project's package proxy), pip-audit skips the dependency and still prints
"No known vulnerabilities found" with exit status 0: an audit of nothing that looks like a pass.

So this runs pip-audit, fails on any vulnerability it finds, and for every dependency it had to
skip asks PyPI's project feed (`/pypi/<name>/json`) instead. That feed lists the vulnerabilities
of the *latest* release only, so it can vouch for a pin that is the latest release and for
nothing else: an older pin it cannot audit is printed as NOT AUDITED, naming the package, and
fails the run with --strict (it only warns otherwise, or every upstream release would turn an
unchanged tree red). A line in .ci/audit-accepted.txt naming the exact version and why it is
acceptable silences that; it is printed on every run and stops applying as soon as the version
changes. A vulnerability found is accepted the same way, by its id (PYSEC-..., GHSA-..., CVE-...)
and a reason. Exit status: 1 on any known vulnerability not accepted, or when nothing at all
could be audited; 0 otherwise.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT_FEED = "https://pypi.org/pypi/{name}/json"
ACCEPTED = Path(__file__).with_name("audit-accepted.txt")
SKIPPED_VERSION = re.compile(r"\(([^()\s]+)\)\s*$")
ADVISORY = re.compile(r"(PYSEC|GHSA|CVE|OSV)-[0-9A-Za-z-]+", re.IGNORECASE)


def run_pip_audit(requirements: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        command = [str(Path(sys.executable).with_name("pip-audit")), "-r", requirements, "--progress-spinner", "off",
                   "-f", "json", "-o", str(report)]
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False,  # noqa: S603 (our own argv)
                                    timeout=600)
        except subprocess.TimeoutExpired:
            raise SystemExit("pip-audit did not finish in 10 minutes: no audit was made") from None
        if result.returncode not in (0, 1) or not report.exists():
            sys.stderr.write(result.stdout + result.stderr)
            raise SystemExit(f"pip-audit failed to run (exit {result.returncode}): no audit was made")
        return json.loads(report.read_text())


def project_feed(name: str, attempts: int = 3) -> dict:
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(PROJECT_FEED.format(name=name), timeout=30) as response:  # noqa: S310 (fixed https URL)
                return json.load(response)
        except (urllib.error.URLError, TimeoutError):
            if attempt == attempts:
                raise
            time.sleep(2 * attempt)  # a passing network hiccup is not a finding
    raise AssertionError("unreachable")


def audit_skipped(name: str, reason: str) -> tuple[list[str], str | None]:
    """(vulnerability ids, None) when the project feed can vouch for the pin, else ([], why not)."""
    match = SKIPPED_VERSION.search(reason)
    if match is None or "not found on PyPI" not in reason:
        return [], reason
    pinned = match.group(1)
    try:
        feed = project_feed(name)
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        return [], f"PyPI's project feed cannot be reached either ({error})"
    latest = feed.get("info", {}).get("version")
    if latest != pinned:
        return [], (f"pinned {pinned} is not the latest release ({latest}), and PyPI's per-release API "
                    f"cannot be reached from here: upgrade the pin, or audit where that API answers")
    vulns = [v["id"] for v in feed.get("vulnerabilities") or [] if not v.get("withdrawn")]
    return vulns, None


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def accepted_entries() -> dict[str, str]:
    """{"name==version" or advisory id: reason} from audit-accepted.txt; an entry without a reason is refused."""
    accepted = {}
    for number, line in enumerate(ACCEPTED.read_text().splitlines() if ACCEPTED.exists() else [], 1):
        if line.strip() and not line.startswith("#"):
            key, _, reason = line.strip().partition(" ")
            name, _, version = key.partition("==")
            if not reason.strip() or not (version or ADVISORY.fullmatch(key)):
                raise SystemExit(f"{ACCEPTED.name}:{number}: write 'name==version reason' or 'ADVISORY-ID reason', "
                                 f"got {line.strip()!r}")
            accepted[f"{canonical(name)}=={version}" if version else key.upper()] = reason.strip()
    return accepted


def main(requirements: str = "requirements.txt", strict: bool = False) -> int:
    accepted = accepted_entries()
    report = run_pip_audit(requirements)
    found: list[tuple[str, str]] = []  # (advisory id, line)
    unaudited: list[str] = []
    by_pip_audit = by_feed = accepted_here = 0
    used: set[str] = set()
    for dependency in report.get("dependencies", []):
        name = dependency["name"]
        if "skip_reason" in dependency:
            vulns, problem = audit_skipped(name, dependency["skip_reason"])
            version = SKIPPED_VERSION.search(dependency["skip_reason"])
            pin = f"{canonical(name)}=={version.group(1) if version else '?'}"
            used.add(pin)
            if problem and pin in accepted:
                print(f"ACCEPTED UNAUDITED {pin}: {accepted[pin]} ({ACCEPTED.name})")
                accepted_here += 1
                continue
            if problem:
                unaudited.append(f"{name}: {problem}")
                continue
            by_feed += 1
            found += [(v, f"{name} {version.group(1)}: {v}") for v in vulns]
        else:
            by_pip_audit += 1
            found += [(v["id"], f"{name} {dependency['version']}: {v['id']} "
                                f"(fixed in {', '.join(v.get('fix_versions') or []) or 'no release'})")
                      for v in dependency.get("vulns", [])]
    print(f"dependency audit of {requirements}: {by_pip_audit + by_feed} dependencies audited "
          f"({by_pip_audit} by pip-audit's per-release lookups, {by_feed} through PyPI's project feed)")
    for advisory, line in found:
        if advisory.upper() in accepted:
            used.add(advisory.upper())
            accepted_here += 1
            print(f"ACCEPTED VULNERABILITY {line}: {accepted[advisory.upper()]} ({ACCEPTED.name})")
    found = [(advisory, line) for advisory, line in found if advisory.upper() not in accepted]
    for _, line in found:
        print(f"VULNERABLE  {line}")
    for line in unaudited:
        print(f"NOT AUDITED {line}")
    for pin in sorted(set(accepted) - used):
        print(f"note: {ACCEPTED.name} entry {pin} matches no dependency any more: remove it")
    if found or (unaudited and strict):
        print(f"dependency audit FAILED: {len(found)} known vulnerabilities, {len(unaudited)} dependencies not audited")
        return 1
    if unaudited:
        # A pin left behind by a newer release cannot be audited from here (PyPI's per-release
        # API does not answer, its project feed speaks for the newest release only). That is
        # worth a loud line, not a red build: otherwise every upstream release would fail CI on
        # a tree nobody changed. --strict (before a release) makes it fail.
        print(f"dependency audit WARNING: {len(unaudited)} dependencies could not be audited (listed above); "
              f"upgrade their pins or accept them in {ACCEPTED.name}")
    if by_pip_audit + by_feed == 0:
        print("dependency audit FAILED: no dependency was audited")
        return 1
    print(f"dependency audit passed: no known vulnerability in the {by_pip_audit + by_feed} dependencies audited"
          + (f"; {accepted_here} accepted in {ACCEPTED.name} (listed above)" if accepted_here else ""))
    return 0


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--strict"]
    raise SystemExit(main(*arguments, strict="--strict" in sys.argv[1:]))
