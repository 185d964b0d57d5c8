"""`flask import-roster FILE.csv [--apply] [--keep-good-rows]`: the dry run, or the same plan applied."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from accounts.roster import RosterFileError, decode_roster, format_report, parse_roster, plan_roster
from accounts.roster_apply import RosterChanged, prepare, write
from database import writing_outside_requests
from extensions import db


@click.command("import-roster")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--apply", "apply_changes", is_flag=True, help="Make the changes (default: a dry run).")
@click.option("--keep-good-rows", is_flag=True, help="Import the good rows even if some rows are bad.")
@with_appcontext
def import_roster_command(path: str, apply_changes: bool, keep_good_rows: bool) -> None:
    """Import people from a roster CSV: dry run unless --apply; one short transaction."""
    try:
        parsed = parse_roster(decode_roster(Path(path).read_bytes()))
    except OSError as error:
        raise click.ClickException(f"cannot read {path}: {error.strerror or error}") from None
    except RosterFileError as error:
        raise click.ClickException(f"{path}: {error}") from None
    plan = plan_roster(parsed)
    for line in format_report(plan):
        click.echo(line)
    if plan.errors and not keep_good_rows:
        raise click.ClickException(f"{len(plan.errors)} bad row(s), nothing was changed. Fix them, or add "
                                   f"--keep-good-rows to import the {plan.good_rows} good row(s) only.")
    if not apply_changes:
        click.echo("Dry run: nothing was changed. Add --apply to import.")
        return
    prepared = prepare(plan, actor=None, keep_good_rows=keep_good_rows)
    db.session.rollback()  # the plan was read; the write below is a transaction of its own, kept short
    try:
        with writing_outside_requests():
            counts = write(prepared, actor=None, source=Path(path).name)
            db.session.commit()
    except RosterChanged as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    except Exception as error:
        db.session.rollback()
        raise click.ClickException(f"import failed, nothing was saved: {error}") from error
    click.echo(f"Imported: {counts['created']} created, {counts['updated']} updated, {counts['moved']} moved, "
               f"{counts['skipped']} bad row(s) skipped.")
