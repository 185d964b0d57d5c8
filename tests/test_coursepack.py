"""Course packages: exact round trip, and bad files reported with file and line, changing nothing."""

from __future__ import annotations

import filecmp
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from audit.models import AuditEvent
from coursepack.cli import SHIPPED_COURSE
from extensions import db
from quizzes.models import Question
from training.models import Course, ModuleVersion


def _counts() -> tuple:
    return tuple(db.session.scalar(select(func.count(model.id))) for model in (Course, ModuleVersion, Question, AuditEvent))


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def package(tmp_path) -> Path:
    copy = tmp_path / "cp-peace-ops"
    shutil.copytree(SHIPPED_COURSE, copy)
    return copy


def test_import_then_export_reproduces_the_files_exactly(runner, tmp_path):
    result = runner.invoke(args=["import-content", str(SHIPPED_COURSE), "--publish"])
    assert result.exit_code == 0, result.output
    assert "modules published" in result.output
    out = tmp_path / "out"
    result = runner.invoke(args=["export-content", str(out)])
    assert result.exit_code == 0, result.output
    exported = out / "cp-peace-ops"
    assert _tree(exported) == _tree(SHIPPED_COURSE)
    _match, mismatch, errors = filecmp.cmpfiles(SHIPPED_COURSE, exported, _tree(SHIPPED_COURSE), shallow=False)
    assert mismatch == [] and errors == []


def test_reimporting_the_same_files_changes_nothing(runner):
    runner.invoke(args=["import-content", str(SHIPPED_COURSE), "--publish"])
    versions_before = db.session.scalar(select(func.count(ModuleVersion.id)))
    result = runner.invoke(args=["import-content", str(SHIPPED_COURSE), "--publish"])
    assert result.exit_code == 0 and "modules published: none" in result.output
    assert "questions created or updated: 0" in result.output
    assert db.session.scalar(select(func.count(ModuleVersion.id))) == versions_before


def test_changed_lesson_becomes_a_new_draft_old_version_kept(runner, package):
    runner.invoke(args=["import-content", str(package), "--publish"])
    lesson = next(package.glob("01-*/*.en.md"))
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    result = runner.invoke(args=["import-content", str(package)])
    assert result.exit_code == 0 and "modules drafted (not yet published): why-child-protection" in result.output
    statuses = db.session.scalars(select(ModuleVersion.status)).all()
    assert statuses.count("draft") == 1 and statuses.count("published") == 8


def _drop_french_title(root: Path) -> None:
    path = root / "06-sea-and-child-labour" / "module.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("  fr: Exploitation")), encoding="utf-8")


@pytest.mark.parametrize("breakage, expected", [
    (lambda root: (root / "02-legal-framework" / "module.yaml").write_text("slug: legal\ntitle: [unclosed\n"),
     r"02-legal-framework/module\.yaml:3: broken YAML"),
    (lambda root: (root / "03-six-grave-violations" / "01-the-six-violations.fr.md").unlink(),
     r"03-six-grave-violations/01-the-six-violations\.fr\.md: missing translation of lesson"),
    (lambda root: (root / "05-meeting-children" / "questions.ar.gift").unlink(),
     r"05-meeting-children/questions\.ar\.gift: missing translation of the question bank"),
    (_drop_french_title, r"06-sea-and-child-labour/module\.yaml:2: 'title' has no fr translation"),
    (lambda root: (root / "04-roles-and-responsibilities" / "questions.en.gift").write_text(
        (root / "04-roles-and-responsibilities" / "questions.en.gift").read_text(encoding="utf-8")
        + "\n\n::broken::What is missing?{=one ~two\n"), r"04-roles-and-responsibilities/questions\.en\.gift:\d+: "),
])
def test_bad_files_are_reported_with_file_and_line_and_change_nothing(runner, package, breakage, expected):
    before = _counts()
    breakage(package)
    result = runner.invoke(args=["import-content", str(package), "--publish"])
    assert result.exit_code != 0
    assert re.search(expected, result.output), result.output
    assert "nothing was imported" in result.output
    db.session.rollback()
    assert _counts() == before


def test_bad_file_after_a_good_import_changes_nothing(runner, package):
    runner.invoke(args=["import-content", str(package), "--publish"])
    before = _counts()
    lesson = package / "01-why-child-protection" / "01-everyones-job.en.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nA changed line.\n", encoding="utf-8")
    (package / "02-legal-framework" / "module.yaml").write_text("slug: legal\ntitle: [unclosed\n")
    result = runner.invoke(args=["import-content", str(package), "--publish"])
    assert result.exit_code != 0 and "nothing was imported" in result.output
    db.session.rollback()
    assert _counts() == before
    assert set(db.session.scalars(select(ModuleVersion.status)).all()) == {"published"}
