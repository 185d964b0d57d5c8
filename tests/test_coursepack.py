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
    (lambda root: (root / "03-six-grave-violations" / "01-the-six-violations.fr.md").write_text("No title\n"),
     r"03-six-grave-violations/01-the-six-violations\.fr\.md:1: the first line must be the lesson title"),
    (lambda root: (root / "03-six-grave-violations" / "01-the-six-violations.en.md").write_text(
        "# The six\n\n![A map](images/missing.webp)\n"),
     r"03-six-grave-violations/01-the-six-violations\.en\.md:3: the picture images/missing\.webp is not in"),
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


@pytest.mark.parametrize("breakage, folder, expected", [
    (lambda root: (root / "03-six-grave-violations" / "01-the-six-violations.fr.md").unlink(), "03-six-grave-violations",
     r"03-six-grave-violations/01-the-six-violations\.fr\.md: missing translation of lesson"),
    (lambda root: (root / "05-meeting-children" / "questions.ar.gift").unlink(), "05-meeting-children",
     r"05-meeting-children/questions\.ar\.gift: missing translation of the question bank"),
    (_drop_french_title, "06-sea-and-child-labour", r"06-sea-and-child-labour/module\.yaml:2: 'title' has no fr translation"),
])
def test_missing_translation_is_a_warning_and_keeps_that_module_a_draft(runner, package, breakage, folder, expected):
    breakage(package)
    result = runner.invoke(args=["import-content", str(package), "--publish"])
    assert result.exit_code == 0, result.output
    assert re.search("warning: .*" + expected, result.output), result.output
    slug = next(line.split(": ", 1)[1] for line in (package / folder / "module.yaml").read_text().splitlines()
                if line.startswith("slug:"))
    assert f"modules drafted (not yet published): {slug}" in result.output
    statuses = db.session.scalars(select(ModuleVersion.status)).all()
    assert statuses.count("draft") == 1 and statuses.count("published") == 7


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


def test_course_authored_in_the_browser_round_trips_with_its_picture(app, runner, tmp_path):
    """Languages declared but only English written, a picture in a lesson, a draft module: export,
    import into an empty database, the picture is served, and a second export is identical."""
    import io

    from PIL import Image

    from quizzes.transfer import import_gift
    from tests import factories, training_factories
    from tests.conftest import _empty_tables, login_as
    from training import images

    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 200)).save(picture, format="PNG")
    course = training_factories.make_course(code="field-notes", languages="en,fr,ar", title={"en": "Field notes"},
                                            description={"en": "Written in the browser."})
    module = training_factories.make_module(course, lessons=2, langs=("en",), published=False, slug="first-steps")
    stored = images.store(picture.getvalue())
    lesson = module.versions[0].lessons[0]
    lesson.body = {"en": f"Look at this.\n\n![A poster on a wall]({images.media_path(stored)})\n"}
    report = import_gift(module, "::fn-q1::Who protects children?{=Everyone ~Nobody}\n", lang="en", actor=None)
    assert not report.errors
    db.session.commit()

    first = tmp_path / "first"
    assert runner.invoke(args=["export-content", str(first)]).exit_code == 0
    package = first / "field-notes"
    picture_file = package / "01-first-steps" / "images" / f"{stored.sha256}.webp"
    assert picture_file.read_bytes() == stored.data
    assert f"](images/{stored.sha256}.webp)" in (package / "01-first-steps" / "lesson-1.en.md").read_text()

    _empty_tables()
    assert db.session.scalar(select(func.count(Course.id))) == 0
    result = runner.invoke(args=["import-content", str(package), "--publish"])
    assert result.exit_code == 0, result.output
    assert "modules drafted (not yet published): first-steps" in result.output and "pictures: 1" in result.output
    assert re.search(r"warning: .*course\.yaml:\d+: 'title' has no fr translation", result.output)
    assert re.search(r"warning: .*01-first-steps/lesson-1\.ar\.md: missing translation", result.output)
    assert db.session.scalars(select(ModuleVersion.status)).all() == ["draft"]

    viewer = factories.make_user(name="Vera Viewer")
    db.session.commit()
    client = app.test_client()
    login_as(client, viewer)
    served = client.get(f"/media/{stored.sha256}.webp")
    assert served.status_code == 200 and served.data == stored.data

    second = tmp_path / "second"
    assert runner.invoke(args=["export-content", str(second)]).exit_code == 0
    assert _tree(second / "field-notes") == _tree(package)
    _match, mismatch, errors = filecmp.cmpfiles(package, second / "field-notes", _tree(package), shallow=False)
    assert mismatch == [] and errors == []


def test_a_picture_added_by_hand_is_cleaned_like_an_upload(runner, package):
    import io

    from PIL import Image

    from training.models import Lesson, LessonImage

    photo = io.BytesIO()
    Image.new("RGB", (2400, 100), (200, 30, 30)).save(photo, format="PNG")  # too wide: must be shrunk
    (package / "01-why-child-protection" / "images").mkdir()
    (package / "01-why-child-protection" / "images" / "photo.png").write_bytes(photo.getvalue())
    lesson = package / "01-why-child-protection" / "01-everyones-job.en.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\n![A red strip](images/photo.png)\n", encoding="utf-8")
    result = runner.invoke(args=["import-content", str(package), "--publish"])
    assert result.exit_code == 0 and "pictures: 1" in result.output, result.output
    stored = db.session.scalar(select(LessonImage))
    assert stored.media_type == "image/webp" and stored.width == 1200
    bodies = [body["en"] for body in db.session.scalars(select(Lesson.body))]
    assert sum(f"](/media/{stored.sha256}.webp)" in body for body in bodies) == 1
    assert not any("images/photo.png" in body for body in bodies)
    (package / "01-why-child-protection" / "images" / "photo.png").write_bytes(b"<svg onload=alert(1)>")
    result = runner.invoke(args=["import-content", str(package), "--publish"])
    assert result.exit_code != 0 and "images/photo.png: The file contains web page code" in result.output
