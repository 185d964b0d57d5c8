"""Fixtures: app, client, runner, one user per role, login_as, and both database engines.

Every test that uses `app` runs on SQLite and, when TEST_DATABASE_URL is set (CI sets it to
PostgreSQL), again on that database. Each xdist worker has its own SQLite file and its own
PostgreSQL schema, and tables are emptied after every test so tests can commit for real
(race tests need real transactions).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from app import create_app
from config import TestConfig
from extensions import db
from tests import factories
from tests.mail_server import smtp_server  # noqa: F401 (a loopback SMTP server for every mail test)

ENGINES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def _database_settings(engine: str, tmp_root: Path) -> dict:
    if engine == "sqlite":
        return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_root / f'test-{WORKER}.sqlite3'}",
                "SQLALCHEMY_ENGINE_OPTIONS": {}}
    url = os.environ["TEST_DATABASE_URL"]
    # One schema per test run and worker: two runs at once (CI and a developer, or two
    # developers on one server) never share tables. xdist workers share their parent's pid.
    schema = f"test_{os.getppid() if WORKER != 'main' else os.getpid()}_{WORKER}"
    admin_engine = create_engine(url)
    with admin_engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin_engine.dispose()
    return {"SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"},
                                          "pool_pre_ping": True}}


@pytest.fixture(scope="session")
def tmp_root():
    with tempfile.TemporaryDirectory(prefix="cpt-tests-") as path:
        yield Path(path)


@pytest.fixture(scope="session", params=ENGINES)
def database(request, tmp_root):
    """Create the schema once per engine and worker."""
    settings = _database_settings(request.param, tmp_root)
    app = create_app({**_test_config(tmp_root), **settings})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    yield {"engine": request.param, **settings}
    if request.param == "postgresql":
        _drop_schema(settings)


def _drop_schema(settings: dict) -> None:
    schema = settings["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["options"].split("=", 1)[1]
    engine = create_engine(settings["SQLALCHEMY_DATABASE_URI"])
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def _test_config(tmp_root: Path) -> dict:
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config["SIGNING_KEY_DIR"] = str(tmp_root / f"signing-keys-{WORKER}")
    config["JOB_FILES_DIR"] = str(tmp_root / f"job-files-{WORKER}")
    config["AUDIT_CHECKPOINT_PATH"] = str(tmp_root / f"audit-checkpoints-{WORKER}.jsonl")
    return config


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, as in production.

    Without this, requests reuse the test's pushed app context and share `g` (where
    Flask-Login caches the user) and the database session, which hides real bugs.
    """

    def open(self, *args, **kwargs):
        # The test's own session commits what it set up and drops its snapshot, so the
        # request sees the test's data and the test then sees what the request wrote.
        outer = has_app_context()
        if outer:
            db.session.commit()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if outer:
            db.session.commit()
        return response


@pytest.fixture
def make_app(database, tmp_root):
    """Build an app on the current engine with extra settings (e.g. CSRF on)."""
    apps = []

    def build(**overrides):
        settings = {**_test_config(tmp_root), **{k: v for k, v in database.items() if k != "engine"}, **overrides}
        app = create_app(settings)
        app.test_client_class = IsolatedClient
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.rollback()
    _empty_tables()
    Path(app.config["AUDIT_CHECKPOINT_PATH"]).unlink(missing_ok=True)  # it anchors this test's chain only
    db.session.remove()
    ctx.pop()


@pytest.fixture
def engine_name(database) -> str:
    return database["engine"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def mission_a(app):
    mission = factories.make_mission(code="MISSA", name="Mission A")
    factories.make_unit(mission, code="A-BATT-1")
    return mission


@pytest.fixture
def mission_b(app):
    mission = factories.make_mission(code="MISSB", name="Mission B", kind="political")
    factories.make_unit(mission, code="B-TEAM-1")
    return mission


@pytest.fixture
def learner(app, mission_a):
    return _committed(factories.make_user(mission=mission_a, unit=mission_a.units[0], name="Lena Learner"))


@pytest.fixture
def trainer(app):
    return _committed(factories.make_user(roles=["trainer"], name="Tom Trainer", category="civilian"))


@pytest.fixture
def lead(app, mission_a):
    return _committed(factories.make_user(mission=mission_a, roles=[("mission_lead", mission_a)], name="Lea Lead"))


@pytest.fixture
def hq(app):
    return _committed(factories.make_user(roles=["hq"], name="Hana HQ", category="civilian"))


@pytest.fixture
def admin(app):
    return _committed(factories.make_user(roles=["admin"], name="Ada Admin", category="civilian"))


def _committed(user):
    db.session.commit()
    return user


def login_as(client, user, password: str = factories.PASSWORD, remember: bool = False):
    response = client.post("/sign-in", data={"identifier": user.service_number, "password": password,
                                             "remember": "y" if remember else ""})
    assert response.status_code == 302, f"sign-in failed for {user.service_number}"
    return response


@pytest.fixture
def login():
    return login_as


@pytest.fixture
def empty_tables(app):
    """Call it to empty every table part-way through a test (the data is then rebuilt by the test)."""
    return _empty_tables
