"""`flask backup FILE` and `flask restore FILE`: the whole database, signing keys included.

SQLite is copied with its online backup API (a consistent copy while the site keeps serving);
PostgreSQL with pg_dump's custom format and restored by pg_restore in one transaction, so a
restore that fails half-way leaves the target as it was. The signing keys travel inside the
database, sealed: the backup cannot sign anything without KEY_ENCRYPTION_KEY, which is kept
apart from it (README, "Backups and restore").
"""

from __future__ import annotations

import shutil
import sqlite3

# pg_dump / pg_restore run with a fixed argument list and no shell.
import subprocess  # nosec B404
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect, literal, select, table, text
from sqlalchemy.engine import make_url

from extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(click.ClickException):
    pass


def backup(target: Path) -> str:
    """Write a consistent copy of the database to `target`; returns the engine's name."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        with _sqlite(url.database) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return "sqlite"
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", *_schema_option(),
          f"--file={target}", _libpq_url(url)])
    return "postgresql"


def restore(source: Path, *, replace: bool = False) -> None:
    """Load a backup into this app's database, which must be empty unless `replace`."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    head = source.read_bytes()[:16] if source.is_file() else b""
    engine = url.get_backend_name()
    expected = SQLITE_MAGIC if engine == "sqlite" else PGDUMP_MAGIC
    if not head.startswith(expected):
        raise BackupError(f"{source} is not a {engine} backup made by `flask backup`")
    if not replace and _has_data():
        raise BackupError("the database is not empty: restore into an empty database, or pass --replace")
    db.session.remove()
    db.engine.dispose()  # no pooled connection may keep reading the old contents
    if engine == "sqlite":
        with sqlite3.connect(source) as backup_db:
            if not backup_db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'users'").fetchone():
                raise BackupError(f"{source} is an SQLite file but not a backup of this application")
            with _sqlite(url.database) as live:
                backup_db.backup(live)
        return
    if replace:
        _drop_everything()
    _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          f"--dbname={_libpq_url(url)}", str(source)])


def _has_data() -> bool:
    tables = [name for name in inspect(db.engine).get_table_names() if name != "alembic_version"]
    for name in tables:
        if db.session.execute(select(literal(1)).select_from(table(name)).limit(1)).first():
            db.session.rollback()
            return True
    db.session.rollback()
    return False


def _drop_everything() -> None:
    schema = db.session.scalar(text("SELECT current_schema()"))
    db.session.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    if schema == "public":
        db.session.execute(text("CREATE SCHEMA public"))
    db.session.commit()
    db.engine.dispose()


def _schema_option() -> list[str]:
    # A database shared by several installations (or test runs) gives each its own schema
    # through search_path: back up that schema alone, with its CREATE SCHEMA.
    schema = db.session.scalar(text("SELECT current_schema()"))
    db.session.rollback()
    return [] if schema == "public" else [f"--schema={schema}"]


def _libpq_url(url) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite(path: str | None) -> sqlite3.Connection:
    if not path:
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return sqlite3.connect(path, timeout=current_app.config.get("SQLITE_BUSY_TIMEOUT", 5))


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client)")
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if result.returncode != 0:
        # pg_* print the URL's password nowhere, but keep only the first error line anyway.
        message = (result.stderr.strip().splitlines() or ["failed"])[0]
        raise BackupError(f"{command[0]}: {message}")


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path) -> None:
    """Write a consistent backup of the whole database (signing keys sealed inside) to TARGET."""
    if target.exists():
        raise BackupError(f"{target} exists already: choose a new file name")
    engine = backup(target)
    click.echo(f"{engine} backup written to {target} ({target.stat().st_size:,} bytes)")
    click.echo("The signing keys inside are sealed: keep KEY_ENCRYPTION_KEY (not in this file) to use them after a restore.")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace a database that is not empty (everything in it is lost).")
@with_appcontext
def restore_command(source: Path, replace: bool) -> None:
    """Load a backup made by `flask backup` into this database (stop the app servers first)."""
    restore(source, replace=replace)
    click.echo(f"restored {source}; now run `flask --app app db upgrade` if this version is newer, "
               "then `flask --app app audit verify`")


def register(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
