"""Imports point one way (docs/architecture.md): every import of every module of the app, read with
`ast` (imports inside functions included), goes only to a package the ALLOWED table puts below its
own, and no two packages import each other, however indirectly.

A feature that needs something from a package above it asks through a hook the package below
offers (training.hooks), wired in create_app; it does not import upward, at the top of a file or
inside a function.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Modules at the repository's top level: the settings, database and extensions everything builds
# on ("base"), and the entry points that wire everything ("app").
TOP_MODULES = {"config": "base", "database": "base", "extensions": "base", "app": "app", "worker": "app"}

# Each package and the packages it may import (besides itself). Lower layers first; docs/architecture.md
# shows the same table (a test below keeps the two equal).
ALLOWED: dict[str, set[str]] = {
    "base": set(),
    "core": {"base"},
    "audit": {"jobs", "core", "base"},
    "jobs": {"core", "base"},
    "accounts": {"audit", "jobs", "core", "base"},
    "training": {"accounts", "audit", "core", "base"},
    "quizzes": {"training", "accounts", "audit", "jobs", "core", "base"},
    "certificates": {"training", "accounts", "audit", "jobs", "core", "base"},
    "recognition": {"training", "accounts", "audit", "core", "base"},
    "readiness": {"recognition", "certificates", "training", "accounts", "core", "base"},
    "inperson": {"certificates", "training", "accounts", "audit", "core", "base"},
    "reports": {"inperson", "recognition", "readiness", "certificates", "quizzes", "training", "accounts", "audit", "jobs", "core", "base"},
    "offline": {"quizzes", "training", "accounts", "core", "base"},
    "coursepack": {"quizzes", "training", "accounts", "audit", "jobs", "core", "base"},
    "demo": {"inperson", "recognition", "coursepack", "reports", "readiness", "certificates", "quizzes", "training", "accounts", "audit", "core",
             "base"},
    "app": {"demo", "inperson", "recognition", "coursepack", "offline", "reports", "readiness", "certificates", "quizzes", "training", "accounts",
            "jobs", "audit", "core", "base"},
    "bench": {"app", "demo", "inperson", "recognition", "coursepack", "offline", "reports", "readiness", "certificates", "quizzes", "training",
              "accounts", "jobs", "audit", "core", "base"},
}
NOT_PACKAGES = {"tests", "migrations", "templates", "static", "translations", "content", "node_modules", "docs"}


def node_of(module: str) -> str | None:
    """The package (or top-level group) a dotted module name belongs to; None for other libraries."""
    top = module.split(".")[0]
    if top in TOP_MODULES:
        return TOP_MODULES[top]
    return top if top in ALLOWED else None


def source_files() -> list[Path]:
    files = [ROOT / f"{name}.py" for name in TOP_MODULES]
    for package in sorted(ALLOWED.keys() - {"base", "app"}):
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, at any depth; relative imports stay in the package."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def edges() -> dict[tuple[str, str], list[str]]:
    """(importer, imported) package pairs, each with the file:line of every import that makes it."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in source_files():
        relative = path.relative_to(ROOT)
        source = node_of(".".join(relative.with_suffix("").parts))
        for line, module in imports_of(path):
            target = node_of(module)
            if target is not None and target != source:
                found.setdefault((source, target), []).append(f"{relative}:{line} imports {module}")
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle in the graph as a list of nodes (first repeated last), or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_every_import_points_to_an_allowed_lower_package():
    wrong = [f"{where}  ({source} may not import {target})"
             for (source, target), places in sorted(edges().items()) if target not in ALLOWED[source]
             for where in places]
    assert not wrong, ("imports against the direction in docs/architecture.md (use a hook the lower package "
                       "offers, wired in create_app, or move the code):\n" + "\n".join(wrong))


def test_no_cycle_between_packages():
    found = edges()
    graph: dict[str, set[str]] = {}
    for source, target in found:
        graph.setdefault(source, set()).add(target)
    cycle = find_cycle(graph)
    assert cycle is None, "packages import each other: " + " -> ".join(cycle or []) + "\n" + "\n".join(
        found[(a, b)][0] for a, b in zip(cycle or [], (cycle or [])[1:], strict=False))


def test_the_allowed_table_is_layered_and_covers_every_package():
    assert find_cycle(ALLOWED) is None
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - NOT_PACKAGES
    assert packages <= ALLOWED.keys(), f"add these packages to ALLOWED: {packages - ALLOWED.keys()}"
    modules = {path.stem for path in ROOT.glob("*.py")}
    assert modules <= TOP_MODULES.keys(), f"add these modules to TOP_MODULES: {modules - TOP_MODULES.keys()}"


def test_the_architecture_notes_show_the_same_table():
    notes = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    notes = notes.split("## Which package may import which")[1].split("\n## ")[0]
    rows = dict(re.findall(r"^\| `(\w+)` \|([^|]*)\|", notes, re.MULTILINE))
    assert {name: set(re.findall(r"`(\w+)`", imports)) for name, imports in rows.items()} == ALLOWED


def test_an_import_inside_a_function_counts(tmp_path):
    module = tmp_path / "progress.py"
    module.write_text("import os\n\n\ndef issue():\n    from certificates.services import issue_for_course\n")
    assert imports_of(module) == [(1, "os"), (5, "certificates.services")]
    assert node_of("certificates.services") == "certificates"
    assert "certificates" not in ALLOWED["training"]
    assert find_cycle({"training": {"certificates"}, "certificates": {"training"}}) == [
        "certificates", "training", "certificates"]
