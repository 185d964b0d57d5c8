"""Settings from environment variables. The defaults run the demo on SQLite in instance/."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def database_url(url: str) -> str:
    """Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the dialect and driver named."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    DEV_SECRET_KEY = "dev-only-not-secret"
    MIN_SECRET_KEY_LENGTH = 32
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'platform.sqlite3'}"
    ))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT = float(os.environ.get("SQLITE_BUSY_TIMEOUT", "5"))  # seconds a writer waits for the lock
    # Seals the certificate signing keys stored in the database (certificates.keys). Keep it apart
    # from the database and its backups; production refuses to start without it.
    DEV_KEY_ENCRYPTION_KEY = "dev-only-key-encryption-not-secret"
    KEY_ENCRYPTION_KEY = os.environ.get("KEY_ENCRYPTION_KEY", DEV_KEY_ENCRYPTION_KEY)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", os.environ.get("REDIS_URL", "memory://"))
    RATELIMIT_ENABLED = True
    SIGNIN_LIMIT_PER_ADDRESS = os.environ.get("SIGNIN_LIMIT_PER_ADDRESS", "30 per 5 minutes")
    # Failed sign-ins per account from one address, and per account from all addresses together.
    SIGNIN_LIMIT_PER_ACCOUNT = os.environ.get("SIGNIN_LIMIT_PER_ACCOUNT", "10 per 5 minutes")
    SIGNIN_LIMIT_PER_ACCOUNT_ANYWHERE = os.environ.get("SIGNIN_LIMIT_PER_ACCOUNT_ANYWHERE", "100 per hour")
    # How many reverse proxies (TLS terminators, load balancers) stand in front of the app and set
    # X-Forwarded-For / X-Forwarded-Proto. 0 (the default) trusts no such header.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

    # The audit chain's HMAC key (derived from SECRET_KEY when unset) and where `flask audit verify`
    # writes its signed checkpoints: both outside the database, on purpose (README: Audit log).
    AUDIT_KEY = os.environ.get("AUDIT_KEY", "")
    AUDIT_CHECKPOINT_PATH = os.environ.get("AUDIT_CHECKPOINT_PATH", str(INSTANCE_DIR / "audit-checkpoints.jsonl"))

    # Reset links (accounts.reset): a camp's people often share one address, hence the wide first limit.
    RESET_LIMIT_PER_ADDRESS = os.environ.get("RESET_LIMIT_PER_ADDRESS", "30 per 15 minutes")
    RESET_LIMIT_PER_ACCOUNT = os.environ.get("RESET_LIMIT_PER_ACCOUNT", "3 per hour")
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")

    # Single sign-on with OpenID Connect (accounts.sso): the button shows only when all three are set.
    OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "")
    OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
    OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
    OIDC_USER_CLAIM = os.environ.get("OIDC_USER_CLAIM", "email")  # the claim that names the person
    OIDC_USER_FIELD = os.environ.get("OIDC_USER_FIELD", "")  # email | service_number; default from the claim
    OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "your organisation")
    OIDC_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")

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
    # The interface languages, in the order the switcher lists them (core.languages reads the names,
    # directions and plural rules from Babel). README "Adding a language" says what else one needs.
    LANGUAGES = tuple(code.strip() for code in os.environ.get("LANGUAGES", "en,fr,ar").split(",") if code.strip())
    BABEL_DEFAULT_LOCALE = "en"
    PEOPLE_PER_PAGE = 50
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    SEND_FILE_MAX_AGE_DEFAULT = timedelta(days=365)

    # Reminder e-mails (reports.reminders). No SMTP_HOST: no e-mail; reminders reach people in the app only.
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "587"))
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = _flag("SMTP_STARTTLS", default=True)
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "20"))
    MAIL_FROM = os.environ.get("MAIL_FROM", "training@localhost")
    REMINDER_INTERVAL_DAYS = int(os.environ.get("REMINDER_INTERVAL_DAYS", "7"))  # at most one per person per N days
    REMINDER_DUE_WITHIN_DAYS = int(os.environ.get("REMINDER_DUE_WITHIN_DAYS", "7"))  # "due soon"
    JOBS_INLINE = False  # True runs a job inside the request that starts it (tests); normally a worker runs it
    JOB_FILES_DIR = os.environ.get("JOB_FILES_DIR", "")  # default instance/job-files; shared storage when hosts differ
    JOB_PROGRESS_INTERVAL = float(os.environ.get("JOB_PROGRESS_INTERVAL", "0.5"))  # seconds between progress writes
    JOB_STALL_SECONDS = int(os.environ.get("JOB_STALL_SECONDS", "120"))  # a running job silent this long has died
    REMINDER_BATCH_LIMIT = int(os.environ.get("REMINDER_BATCH_LIMIT", "200"))  # per click of the dashboard button


class ProductionConfig(Config):
    IS_PRODUCTION = True  # seed-demo refuses; create_app checks the secret key and the limit storage
    REQUIRE_SECRET_KEY = True
    DEBUG = False
    TESTING = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    KEY_ENCRYPTION_KEY = "test-key-encryption"
    WTF_CSRF_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    PASSWORD_HASH_FAST = True
    JOBS_INLINE = True


def get_config(name: str | None = None) -> type[Config]:
    name = name or os.environ.get("APP_CONFIG", "default")
    return {"production": ProductionConfig, "test": TestConfig}.get(name, Config)
