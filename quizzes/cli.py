"""`flask --app app import-gift FILE --module SLUG [--course CODE] [--lang en] [--keep-good]`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from core import languages
from database import writing_outside_requests
from extensions import db
from quizzes import services, transfer
from training.models import Course, Module


def find_module(slug: str, course_code: str | None) -> Module:
    query = select(Module).where(Module.slug == slug)
    if course_code:
        query = query.join(Course, Course.id == Module.course_id).where(Course.code == course_code)
    modules = list(db.session.scalars(query))
    if not modules:
        raise click.ClickException(f"no module with slug {slug!r}" + (f" in course {course_code!r}" if course_code else ""))
    if len(modules) > 1:
        raise click.ClickException(f"{len(modules)} courses have a module {slug!r}: say which with --course CODE")
    return modules[0]


@click.command("import-gift")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--module", "module_slug", required=True, help="Slug of the module whose bank receives the questions.")
@click.option("--course", "course_code", default=None, help="Course code, when several courses share the slug.")
@click.option("--lang", default=None, help="Language of the file (default: the module's default language).")
@click.option("--keep-good", is_flag=True, help="Import the good questions even if some are bad.")
@with_appcontext
def import_gift_command(file: Path, module_slug: str, course_code: str | None, lang: str | None, keep_good: bool) -> None:
    """Import a Moodle GIFT file into a module's question bank (matched by ::id:: titles)."""
    if not file.is_file():
        raise click.ClickException(f"{file}: no such file")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file}: not UTF-8 text") from None
    module = find_module(module_slug, course_code)
    lang = lang or module.default_language
    if lang not in languages.codes():
        raise click.ClickException(f"unsupported language {lang!r} (one of {', '.join(languages.codes())})")
    plan = transfer.plan_gift(module, text, lang=lang)
    db.session.rollback()  # checked with reads only; the write is a short transaction of its own
    try:
        with writing_outside_requests():
            services.get_or_create_quiz(module)
            report = transfer.write_gift(plan, actor=None, keep_good=keep_good, source=str(file))
    except services.QuizError as error:
        db.session.rollback()
        raise click.ClickException(f"{file}: {error}") from None
    for error in report.errors:
        click.echo(f"{file}: {error}", err=True)
    if not report.imported:
        db.session.rollback()
        first = report.errors[0]
        raise click.ClickException(
            f"{file}: {first} ({len(report.errors)} bad question(s)); nothing imported"
            + (f"; --keep-good imports the {report.good} good one(s)" if report.good else ""))
    db.session.commit()
    click.echo(f"{file} ({lang}) -> module {module.slug}: {report.summary()}")
    for key, warning in report.warnings:
        click.echo(f"{file}: warning: {key}: {warning.text}", err=True)


def register(app: Flask) -> None:
    app.cli.add_command(import_gift_command)
