"""The production configuration checked the way a deployment check would."""

from __future__ import annotations

import pytest

from app import create_app
from config import ProductionConfig
from extensions import db


@pytest.fixture
def production_app(database, monkeypatch):
    class Deployed(ProductionConfig):
        SECRET_KEY = "a-real-secret-from-the-environment"
        KEY_ENCRYPTION_KEY = "another-real-secret-kept-apart-from-backups"
        SQLALCHEMY_DATABASE_URI = database["SQLALCHEMY_DATABASE_URI"]
        SQLALCHEMY_ENGINE_OPTIONS = database["SQLALCHEMY_ENGINE_OPTIONS"]
        RATELIMIT_STORAGE_URI = "memory://"

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
