"""`flask import-content DIR` and `flask export-content DIR`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from coursepack.files import ContentError
from coursepack.importer import export_content, import_content
from extensions import db
from training.models import Course


@click.command("import-content")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--publish", is_flag=True, help="Publish changed modules at once instead of leaving drafts.")
def import_content_command(directory: Path, publish: bool) -> None:
    """Load or update a course package (a folder with course.yaml)."""
    if not (directory / "course.yaml").exists():
        raise click.ClickException(f"{directory} has no course.yaml: give the course folder, e.g. content/cp-peace-ops")
    try:
        summary = import_content(directory, publish=publish)
        db.session.commit()
    except ContentError as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(problem, err=True)
        raise click.ClickException(f"{len(error.problems)} problem(s) found; nothing was imported") from error
    for line in summary.lines():
        click.echo(line)
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)


@click.command("export-content")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--course", "code", default=None, help="Only this course code (default: every course).")
def export_content_command(directory: Path, code: str | None) -> None:
    """Write courses back as packages: DIRECTORY/<course-code>/."""
    codes = [code] if code else list(db.session.scalars(select(Course.code).order_by(Course.code)))
    if not codes:
        raise click.ClickException("there is no course to export")
    try:
        for course_code in codes:
            package = export_content(course_code, directory / course_code)
            click.echo(f"exported {course_code}: {len(package.modules)} modules to {directory / course_code}")
    except ContentError as error:
        raise click.ClickException(error.problems[0]) from error


SHIPPED_COURSE = Path(__file__).resolve().parent.parent / "content" / "cp-peace-ops"


def register(app: Flask) -> None:
    app.cli.add_command(import_content_command)
    app.cli.add_command(export_content_command)
