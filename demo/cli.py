"""`flask seed-demo` and `flask bench-data`: the demo's and the benchmark's data."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from demo.bench_data import create_schema, generate
from demo.course import seed_requirements, seed_shipped_course
from demo.history import seed_history
from demo.inperson import seed_in_person
from demo.people import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_people
from extensions import db

# What seed-demo does after the people, in this order: the requirement needs the course, the
# history needs both, and the in-person sessions train people the history left untrained.
SEED_STEPS = [
    ("shipped course", seed_shipped_course),
    ("training requirements", seed_requirements),
    ("readiness history", seed_history),
    ("in-person training", seed_in_person),
]


@click.command("seed-demo")
@click.option("--people", default=300, show_default=True, help="How many demo peacekeepers.")
@with_appcontext
def seed_demo(people: int) -> None:
    """Create demo missions, units, people and one account per role, the shipped course and a history (idempotent)."""
    if current_app.config.get("IS_PRODUCTION"):
        # The demo accounts share a password printed in the README: never on a real site.
        raise click.ClickException("seed-demo refuses to run under the production configuration "
                                   "(APP_CONFIG=production): its accounts share a public password.")
    try:
        created = seed_people(people)
        for name, step in SEED_STEPS:
            click.echo(f"{name}: {step()}")
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        raise click.ClickException(f"seeding failed, nothing was saved: {error}") from error
    click.echo("Created: " + ", ".join(f"{v} {k}" for k, v in created.items()))
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for key, number, _name, email, _category, roles in DEMO_ACCOUNTS:
        scope = ", ".join(r + (f" ({m})" if m else "") for r, m in roles) or "learner"
        click.echo(f"  {key:8} {email:28} or {number:10} {scope}")
    # No code is printed here: codes exist only on the slips, which the lead prints.
    click.echo("The demo peacekeepers (MONUSCO: DEMO-M00001 ...) get in with activation slips: sign in as the lead, open "
               "MONUSCO's dashboard and print a unit's slips under 'Getting people in', then use a slip at /activate.")
    click.echo("The mission trainer (MTR-0001) gave MONUSCO's in-person sessions: /training-sessions/ lists them.")


@click.command("bench-data")
@click.option("--people", default=100_000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=2026, show_default=True, help="Random seed: the same seed builds the same people.")
@click.option("--in-person", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Share of people whose training was given in person (issue #18).")
@click.option("--recognised", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Share of people holding a recognised outside certificate.")
@with_appcontext
def bench_data_command(people: int, seed: int, in_person: float, recognised: float) -> None:
    """Fill an empty database with benchmark data (15 missions, PEOPLE people, the shipped course)."""
    create_schema()
    try:
        counts = generate(people, seed=seed, in_person=in_person, recognised=recognised, log=click.echo)
    except ValueError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    click.echo("rows: " + ", ".join(f"{count} {table}" for table, count in sorted(counts.items())))


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(bench_data_command)
