"""Settings from environment variables. The defaults run the demo on SQLite in instance/."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


class Config:
    DEV_SECRET_KEY = "dev-only-not-secret"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'platform.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT = float(os.environ.get("SQLITE_BUSY_TIMEOUT", "5"))  # seconds a writer waits for the lock
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", os.environ.get("REDIS_URL", "memory://"))
    RATELIMIT_ENABLED = True
    SIGNIN_LIMIT_PER_ADDRESS = os.environ.get("SIGNIN_LIMIT_PER_ADDRESS", "30 per 5 minutes")
    SIGNIN_LIMIT_PER_ACCOUNT = os.environ.get("SIGNIN_LIMIT_PER_ACCOUNT", "10 per 5 minutes")
    # Activation codes (accounts.activation): 60-bit codes, so 5 guesses per service number per
    # 15 minutes leave a guesser no chance; the per-address limit stops one host trying many people.
    ACTIVATE_LIMIT_PER_ADDRESS = os.environ.get("ACTIVATE_LIMIT_PER_ADDRESS", "20 per 15 minutes")
    ACTIVATE_LIMIT_PER_ACCOUNT = os.environ.get("ACTIVATE_LIMIT_PER_ACCOUNT", "5 per 15 minutes")
    ACTIVATION_CODE_DAYS = int(os.environ.get("ACTIVATION_CODE_DAYS", "30"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("COOKIE_SECURE")
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _flag("COOKIE_SECURE")
    WTF_CSRF_TIME_LIMIT = None  # the session bounds the token's life

    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    LANGUAGES = ("en", "fr", "ar")
    BABEL_DEFAULT_LOCALE = "en"
    PEOPLE_PER_PAGE = 50
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    SEND_FILE_MAX_AGE_DEFAULT = timedelta(days=365)

    # Reminder e-mails (reports.reminders). No SMTP_HOST: reminders are listed, never sent.
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "587"))
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = _flag("SMTP_STARTTLS", default=True)
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "20"))
    MAIL_FROM = os.environ.get("MAIL_FROM", "training@localhost")
    REMINDER_INTERVAL_DAYS = int(os.environ.get("REMINDER_INTERVAL_DAYS", "7"))  # at most one per person per N days
    REMINDER_DUE_WITHIN_DAYS = int(os.environ.get("REMINDER_DUE_WITHIN_DAYS", "7"))  # "due soon"
    REMINDER_BATCH_LIMIT = int(os.environ.get("REMINDER_BATCH_LIMIT", "200"))  # per click of the dashboard button


class ProductionConfig(Config):
    REQUIRE_SECRET_KEY = True
    DEBUG = False
    TESTING = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    WTF_CSRF_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    PASSWORD_HASH_FAST = True


def get_config(name: str | None = None) -> type[Config]:
    name = name or os.environ.get("APP_CONFIG", "default")
    return {"production": ProductionConfig, "test": TestConfig}.get(name, Config)
