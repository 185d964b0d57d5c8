"""Report commands: send-reminders, and bench-data (the benchmark's data generator, bench/bench_data.py)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from accounts.models import Mission
from extensions import db


@click.command("send-reminders")
@click.option("--dry-run", is_flag=True, help="List who would get what; send nothing, record nothing.")
@click.option("--mission", "mission_code", default=None, help="Only this mission (its code, e.g. MONUSCO).")
@click.option("--due-within", "due_within", type=click.IntRange(0, 365), default=None,
              help="Remind people whose due date is at most this many days away (default REMINDER_DUE_WITHIN_DAYS).")
@with_appcontext
def send_reminders_command(dry_run: bool, mission_code: str | None, due_within: int | None) -> None:
    """Remind people who are due soon, overdue, expired or due to renew (each at most once per
    REMINDER_INTERVAL_DAYS): by e-mail when they have an address and SMTP_HOST is set, and always in the app."""
    from reports import reminders
    from reports.dashboard import now_moment

    mission_ids = None
    if mission_code:
        mission = db.session.scalar(select(Mission).filter_by(code=mission_code.strip().upper()))
        if mission is None:
            raise click.ClickException(f"no mission with code {mission_code!r}")
        mission_ids = [mission.id]
    try:
        outcome = reminders.run(now_moment(), dry_run=dry_run, due_within_days=due_within, mission_ids=mission_ids,
                                link=reminders.training_link())
    except reminders.MailNotConfigured as error:
        db.session.rollback()
        raise click.ClickException("SMTP_HOST is not set: nothing was sent (use --dry-run to list who would be)") \
            from error
    if dry_run:
        db.session.rollback()
        for code, people in reminders.group_by_mission(outcome).items():
            click.echo(f"{code}: {len(people)} people")
            for person in people:
                what = "; ".join(f"{item.course} {item.status} {item.on.isoformat()}" for _r, item in person.items)
                click.echo(f"  {person.name} <{person.email or 'in the app only'}> [{person.language}]: {what}")
        click.echo(f"dry run: {len(outcome.people)} people would be reminded; nothing was sent "
                   f"(at most one reminder per person every {current_app.config['REMINDER_INTERVAL_DAYS']} days)")
        return
    db.session.commit()
    if outcome.mail_off:
        click.echo("SMTP_HOST is not set: no e-mail was sent; everyone was reminded in the app")
    click.echo(f"reminders sent: {outcome.sent}; failed: {outcome.failed}; candidates: {len(outcome.people)}; "
               f"in the app only: {outcome.in_app}")
    if outcome.failed:
        raise click.ClickException(f"{outcome.failed} reminder(s) could not be sent; they will be tried next run")


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
    from bench.bench_data import create_schema, generate

    create_schema()
    try:
        counts = generate(people, seed=seed, in_person=in_person, recognised=recognised, log=click.echo)
    except ValueError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    click.echo("rows: " + ", ".join(f"{count} {table}" for table, count in sorted(counts.items())))


def register(app: Flask) -> None:
    from accounts.cli import add_seed_step
    from reports.demo_history import seed_history

    app.cli.add_command(send_reminders_command)
    app.cli.add_command(bench_data_command)
    # After the shipped course and the training requirements (app.register_cli adds this package last).
    add_seed_step(app, "readiness history", seed_history)
