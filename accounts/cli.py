"""Account commands: seed-demo, create-admin, import-roster."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from accounts.models import User
from accounts.passwords import hash_password, password_problem
from accounts.services import grant_role
from audit.services import record
from extensions import db


def add_seed_step(app: Flask, name: str, step) -> None:
    """Let a feature give the demo its data: `step()` runs inside seed-demo's transaction, in
    the order added, and returns a short text saying what it did."""
    app.extensions.setdefault("seed_steps", []).append((name, step))


@click.command("seed-demo")
@click.option("--people", default=300, show_default=True, help="How many demo peacekeepers.")
@with_appcontext
def seed_demo(people: int) -> None:
    """Create demo missions, units, people and one account per role (idempotent)."""
    from accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_people

    if current_app.config.get("IS_PRODUCTION"):
        # The demo accounts share a password printed in the README: never on a real site.
        raise click.ClickException("seed-demo refuses to run under the production configuration "
                                   "(APP_CONFIG=production): its accounts share a public password.")
    try:
        created = seed_people(people)
        for name, step in current_app.extensions.get("seed_steps", []):
            click.echo(f"{name}: {step()}")
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        raise click.ClickException(f"seeding failed, nothing was saved: {error}") from error
    click.echo("Created: " + ", ".join(f"{v} {k}" for k, v in created.items()))
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for key, number, _name, email, _category, roles in DEMO_ACCOUNTS:
        scope = ", ".join(r + (f" ({m})" if m else "") for r, m in roles) or "learner"
        click.echo(f"  {key:8} {email:24} or {number:10} {scope}")
    # No code is printed here: codes exist only on the slips, which the lead prints.
    click.echo("The demo peacekeepers (MONUSCO: DEMO-M00001 ...) get in with activation slips: sign in as the lead, open "
               "MONUSCO's dashboard and print a unit's slips under 'Getting people in', then use a slip at /activate.")


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

    app.cli.add_command(seed_demo)
    app.cli.add_command(create_admin)
    app.cli.add_command(import_roster_command)
