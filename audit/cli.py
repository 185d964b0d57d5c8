"""`flask audit verify`: walk the hash chain."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from audit.chain import first_broken
from audit.models import AuditEvent
from extensions import db

audit_cli = AppGroup("audit", help="The tamper-evident audit log.")


@audit_cli.command("verify")
def verify() -> None:
    """Check every event's hash and link; name the first broken row."""
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000))
    try:
        broken = first_broken(rows)
    finally:
        rows.close()  # stops the server-side cursor early when the chain breaks
    total = db.session.scalar(select(func.count(AuditEvent.id)))
    if broken:
        raise click.ClickException(f"audit chain broken at event {broken[0]}: {broken[1]}")
    click.echo(f"audit chain intact: {total} events verified")


def register(app: Flask) -> None:
    app.cli.add_command(audit_cli)
