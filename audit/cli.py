"""`flask audit verify` walks the keyed hash chain and checks its signed checkpoint;
`flask audit rekey` moves a chain written by older versions onto the audit key."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from audit.services import ChainError, checkpoint_path, rekey_chain, verify_chain
from extensions import db

audit_cli = AppGroup("audit", help="The tamper-evident audit log.")


@audit_cli.command("verify")
def verify() -> None:
    """Check every event's hash and link and the last checkpoint; write a new checkpoint.

    Run it daily (and after any incident): each run anchors the chain's head outside the database."""
    try:
        result = verify_chain()
    except ChainError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"audit chain intact: {result.count} events verified; checkpoint written to {checkpoint_path()}")


@audit_cli.command("rekey")
def rekey() -> None:
    """Once, after upgrading: check the old unkeyed chain, then re-hash it with the audit key."""
    try:
        count = rekey_chain()
        db.session.commit()
    except ChainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(f"re-keyed {count} events" if count else "the audit chain is already keyed: nothing to do")
    result = verify_chain()
    click.echo(f"audit chain intact: {result.count} events verified")


def register(app: Flask) -> None:
    app.cli.add_command(audit_cli)
