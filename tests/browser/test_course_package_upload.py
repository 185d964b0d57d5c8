"""A trainer imports a course package with JavaScript turned off: upload, dry run, import as a job,
the job's page, the course; then downloads it again as the same ZIP."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from coursepack.archive import write_archive
from coursepack.cli import SHIPPED_COURSE
from tests.browser.conftest import sign_in

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
