"""Account commands: create-admin, import-roster (seed-demo is demo.cli)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from accounts.models import User
from accounts.passwords import hash_password, password_problem
from accounts.services import grant_role
from audit.services import record
from extensions import db


@click.command("create-admin")
@click.option("--service-number", required=True)
@click.option("--name", required=True)
@click.option("--email", default=None)
@click.password_option()
@with_appcontext
def create_admin(service_number: str, name: str, email: str | None, password: str) -> None:
    """Create an administrator account (or give an existing account the admin role)."""
    problem = password_problem(password)
    if problem:
        raise click.ClickException(problem)
    user = db.session.scalar(select(User).filter_by(service_number=service_number.strip().upper()))
    if user is None:
        user = User(service_number=service_number.strip().upper(), name=name.strip(), email=email,
                    category="civilian", password_hash=hash_password(password))
        db.session.add(user)
        db.session.flush()
    grant_role(user, "admin", actor=user)
    record("admin_created", actor=None, target=f"user:{user.id}")
    db.session.commit()
    click.echo(f"Admin ready: {user.service_number} ({user.name}).")


def register(app: Flask) -> None:
    from accounts.roster_cli import import_roster_command

    app.cli.add_command(create_admin)
    app.cli.add_command(import_roster_command)
