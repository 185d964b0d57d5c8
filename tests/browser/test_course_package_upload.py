"""A trainer imports a course package with JavaScript turned off: upload, dry run, import as a job,
the job's page, the course; then downloads it again as the same ZIP."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from coursepack.archive import write_archive
from coursepack.cli import SHIPPED_COURSE
from tests.browser.conftest import sign_in
from tests.browser.field_world import axe_violations, choose_language, describe

pytestmark = pytest.mark.browser


def test_a_trainer_imports_a_course_package_without_javascript(new_page, live_server, trainer, tmp_path, screenshot):
    package = tmp_path / "cp-peace-ops.zip"
    package.write_bytes(write_archive(SHIPPED_COURSE))
    page = new_page(java_script_enabled=False, accept_downloads=True)
    sign_in(page, live_server, trainer)
    page.goto(f"{live_server}/training/author")
    page.get_by_role("link", name="Import a course package").click()
    page.get_by_label("Course package (ZIP)").set_input_files(str(package))
    page.get_by_role("button", name="Check the package").click()
    expect(page.get_by_text("Create the course cp-peace-ops, which you will own.")).to_be_visible()
    expect(page.get_by_role("table", name="Modules").get_by_role("row")).to_have_count(9)
    screenshot(page, "dry-run")
    page.get_by_role("button", name="Import as drafts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Course package import")
    expect(page.get_by_text("Done.")).to_be_visible()
    screenshot(page, "job")
    page.get_by_role("link", name="Open the course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Child Protection in UN Peace Operations")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as package (ZIP)").click()
    assert download.value.suggested_filename == "cp-peace-ops.zip"
    assert download.value.path().read_bytes() == package.read_bytes()  # the same course, the same bytes


def test_the_dry_run_with_problems_and_warnings_passes_axe_in_english_and_arabic(new_page, live_server, trainer,
                                                                                  tmp_path):
    folder = tmp_path / "cp-peace-ops"
    shutil.copytree(SHIPPED_COURSE, folder)
    next(folder.glob("01-*/*.ar.md")).unlink()  # a warning: a missing translation
    gift = next(folder.glob("02-*/questions.en.gift"))
    gift.write_text(gift.read_text(encoding="utf-8") + "\n::broken::{\n", encoding="utf-8")  # a problem, by line
    package = tmp_path / "package.zip"
    package.write_bytes(write_archive(folder))
    page = new_page(bypass_csp=True)  # axe is injected: the page's CSP would block it
    sign_in(page, live_server, trainer)
    problems = {}
    for lang in ("en", "ar"):
        choose_language(page, live_server, lang)
        page.goto(f"{live_server}/training/author/import")
        page.locator("input[type=file]").set_input_files(str(package))
        page.locator("form.boxed-form button[type=submit]").click()
        expect(page.locator("table")).to_have_count(3)  # modules, problems, warnings (waits for the dry run)
        violations = axe_violations(page)
        if violations:
            problems[lang] = violations
    assert not problems, "axe found WCAG A/AA violations:\n" + describe(problems)
