"""The Alembic migrations build exactly the schema the models describe, on both engines."""

from __future__ import annotations

import os
import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import Column, create_engine, text
from sqlalchemy.exc import SAWarning

from extensions import db

SCHEMA = f"migration_check_{os.getpid()}"


def _fresh_database(app, engine_name: str, tmp_path) -> str:
    if engine_name == "sqlite":
        return f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    admin.dispose()
    return url


def test_upgrade_matches_the_models_and_downgrades_cleanly(make_app, engine_name, tmp_path):
    probe = make_app()
    url = _fresh_database(probe, engine_name, tmp_path)
    options = {} if engine_name == "sqlite" else {"connect_args": {"options": f"-csearch_path={SCHEMA}"}}
    app = make_app(SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS=options)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn, warnings.catch_warnings():
            # SQLAlchemy cannot read SQLite's indexes on expressions back (PostgreSQL's it can, and
            # compares): there, the index is looked for by name in the schema SQLite keeps.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index",
                                    category=SAWarning)
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index",
                                    category=UserWarning)
            differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
            if engine_name == "sqlite":
                expression_indexes = {index.name for table in db.metadata.tables.values() for index in table.indexes
                                      if any(not isinstance(part, Column) for part in index.expressions)}
                assert expression_indexes, "the models declare indexes on expressions (ix_users_email_lower)"
                assert expression_indexes <= set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'index'")))
        assert differences == [], f"models and migrations differ; run `flask db migrate`: {str(differences)[:2000]}"
        downgrade(revision="base")
        with db.engine.connect() as conn:
            remaining = set(db.inspect(conn).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()
    if engine_name != "sqlite":
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        admin.dispose()
