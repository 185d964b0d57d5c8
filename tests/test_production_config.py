"""The production configuration checked the way a deployment check would."""

from __future__ import annotations

import os

import pytest

from app import create_app
from config import ProductionConfig
from extensions import db

SECRET = "a-real-secret-from-the-environment-of-48-chars!!"
# Production refuses per-worker limit counters; nothing here reaches Redis before a limit is counted.
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def production_app(database, monkeypatch):
    class Deployed(ProductionConfig):
        SECRET_KEY = SECRET
        KEY_ENCRYPTION_KEY = "another-real-secret-kept-apart-from-backups"
        SQLALCHEMY_DATABASE_URI = database["SQLALCHEMY_DATABASE_URI"]
        SQLALCHEMY_ENGINE_OPTIONS = database["SQLALCHEMY_ENGINE_OPTIONS"]
        RATELIMIT_STORAGE_URI = REDIS

    app = create_app(Deployed)
    yield app
    # Built outside make_app, so close its pool here: a PostgreSQL connection left in it is
    # garbage-collected open later, and that warning (an error here) lands on another test.
    with app.app_context():
        db.engine.dispose()


def test_refuses_to_start_without_a_secret_key(database):
    class Careless(ProductionConfig):
        SECRET_KEY = ProductionConfig.DEV_SECRET_KEY
        SQLALCHEMY_DATABASE_URI = database["SQLALCHEMY_DATABASE_URI"]

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Careless)


def test_refuses_to_start_without_a_key_encryption_key(database):
    class NoKeySecret(ProductionConfig):
        SECRET_KEY = "a-real-secret-from-the-environment"
        KEY_ENCRYPTION_KEY = ProductionConfig.DEV_KEY_ENCRYPTION_KEY
        SQLALCHEMY_DATABASE_URI = database["SQLALCHEMY_DATABASE_URI"]

    with pytest.raises(RuntimeError, match="KEY_ENCRYPTION_KEY"):
        create_app(NoKeySecret)


def test_debug_off_and_cookies_locked_down(production_app):
    config = production_app.config
    assert production_app.debug is False and config["TESTING"] is False
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["REMEMBER_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax" == config["REMEMBER_COOKIE_SAMESITE"]
    assert config["WTF_CSRF_ENABLED"] is not False
    assert config["MAX_CONTENT_LENGTH"] <= 16 * 1024 * 1024


def test_headers_on_every_response_including_errors(production_app):
    client = production_app.test_client()
    for path in ("/sign-in", "/healthz", "/missing-page"):
        response = client.get(path, base_url="https://training.example")
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_oversize_body_gets_a_clear_413(production_app):
    client = production_app.test_client()
    response = client.post("/sign-in", data=b"x" * (production_app.config["MAX_CONTENT_LENGTH"] + 1),
                           content_type="application/octet-stream")
    assert response.status_code == 413
    assert b"larger than this site accepts" in response.data


def test_errors_show_no_trace_in_production(production_app):
    @production_app.get("/explode")
    def explode():
        raise ValueError("SELECT secret FROM /srv/app/config.py")

    response = production_app.test_client().get("/explode")
    assert response.status_code == 500
    assert b"Traceback" not in response.data and b"SELECT" not in response.data and b"/srv/app" not in response.data


def test_csrf_is_on_in_production(production_app):
    response = production_app.test_client().post("/sign-in", data={"identifier": "x", "password": "y"})
    assert response.status_code == 400


# --- safe defaults (issue 16, item 5) ----------------------------------------------------------------

def _deployed(database, **settings):
    values = {"SECRET_KEY": SECRET, "KEY_ENCRYPTION_KEY": "another-real-secret-kept-apart-from-backups",
              "SQLALCHEMY_DATABASE_URI": database["SQLALCHEMY_DATABASE_URI"],
              "SQLALCHEMY_ENGINE_OPTIONS": database["SQLALCHEMY_ENGINE_OPTIONS"], "RATELIMIT_STORAGE_URI": REDIS}
    values.update(settings)
    return type("Deployed", (ProductionConfig,), values)


def test_refuses_a_short_secret_key(database):
    with pytest.raises(RuntimeError, match="SECRET_KEY is too short"):
        create_app(_deployed(database, SECRET_KEY="short"))
    with pytest.raises(RuntimeError, match="too short"):
        create_app(_deployed(database, SECRET_KEY="x" * 31))


def test_refuses_per_worker_rate_limit_storage(database):
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        create_app(_deployed(database, RATELIMIT_STORAGE_URI="memory://"))


def test_seed_demo_refuses_under_the_production_config(production_app):
    from accounts.models import User

    result = production_app.test_cli_runner().invoke(args=["seed-demo", "--people", "3"])
    assert result.exit_code != 0 and "production" in result.output
    with production_app.app_context():
        assert db.session.query(User).count() == 0


def test_postgres_urls_are_accepted(monkeypatch):
    from config import database_url

    assert database_url("postgres://u:p@db:5432/app") == "postgresql+psycopg://u:p@db:5432/app"
    assert database_url("postgresql://u@db/app") == "postgresql+psycopg://u@db/app"
    assert database_url("postgresql+psycopg://u@db/app") == "postgresql+psycopg://u@db/app"
    assert database_url("sqlite:////srv/x.sqlite3") == "sqlite:////srv/x.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgres://u@db.invalid/app", "TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.invalid/app"


def test_a_form_over_plain_http_in_production_says_use_https(production_app):
    client = production_app.test_client()
    # Over http the browser drops the secure session cookie, so the form's token has no session to match.
    response = client.post("/sign-in", data={"identifier": "x", "password": "y", "csrf_token": "t"},
                           base_url="http://training.example")
    assert response.status_code == 400 and b"https://" in response.data
    secure = client.post("/sign-in", data={"identifier": "x", "password": "y"}, base_url="https://training.example")
    assert secure.status_code == 400 and b"https://" not in secure.data  # a plain CSRF failure says so plainly


def test_the_postgres_restart_fault_test_runs_only_when_allowed(monkeypatch):
    from tests.test_faults import _local_postgres

    monkeypatch.setenv("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    monkeypatch.delenv("ALLOW_POSTGRES_RESTART", raising=False)
    assert _local_postgres() is None
