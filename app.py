"""Application factory: wires extensions, blueprints, error pages and CLI. Does no work."""

from __future__ import annotations

import logging
from typing import Any

from babel import Locale
from flask import Flask, current_app, request, session
from flask.templating import Environment as FlaskEnvironment
from flask_login import user_logged_in

from config import INSTANCE_DIR, Config, database_url, get_config
from core import languages
from database import keep_compiled_statements, kept_json_loads
from extensions import (
    babel,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
    only_for_checked_methods,
    only_when_limited,
    request_user,
)


class TemplateEnvironment(FlaskEnvironment):
    """Flask's Jinja environment, whose templates read the environment's globals directly.

    Jinja gives each template a ChainMap of its own globals (none here: no template is loaded
    with any) over the environment's, and copies it into every render's context twice (a dict of
    it, a set of its keys): a ChainMap is walked key by key in Python, 2% of a learner page.
    Without globals of its own a template gets the environment's dict itself; one that has some
    still gets Jinja's ChainMap. (So a template's globals must not be written to: set globals on
    app.jinja_env.globals, before the first request, as Flask and its extensions do.)"""

    def make_globals(self, d):
        return self.globals if not d else super().make_globals(d)


class TrainingApp(Flask):
    """Flask, with ensure_sync() answered once per function.

    Flask asks, for the view and each of the ~15 before, after and teardown hooks of every request,
    whether the function is a coroutine (inspect.iscoroutinefunction, a few microseconds each). A
    function's answer never changes, so it is remembered; a coroutine is still wrapped as Flask does.
    """

    jinja_environment = TemplateEnvironment

    def ensure_sync(self, func):
        synced = self.__dict__.setdefault("_synced", {})
        try:
            return synced[func]
        except KeyError:
            synced[func] = result = super().ensure_sync(func)
            return result
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)


def create_app(config: type[Config] | dict[str, Any] | None = None) -> Flask:
    app = TrainingApp(__name__, instance_path=str(INSTANCE_DIR), instance_relative_config=True)
    app.config.from_object(get_config() if config is None or isinstance(config, dict) else config)
    if isinstance(config, dict):
        app.config.update(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    _check_production_settings(app)
    _trust_proxies(app)
    register_extensions(app)
    register_blueprints(app)
    register_training_hooks(app)
    register_signals(app)
    register_security_headers(app)
    register_errors(app)
    register_cli(app)
    register_template_helpers(app)
    logging.basicConfig(level=logging.INFO)
    return app


def _check_production_settings(app: Flask) -> None:
    if not app.config.get("REQUIRE_SECRET_KEY"):
        return
    if app.config["SECRET_KEY"] == Config.DEV_SECRET_KEY:
        raise RuntimeError("Set SECRET_KEY in the environment before running in production.")
    if len(app.config["SECRET_KEY"]) < Config.MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(f"SECRET_KEY is too short: use at least {Config.MIN_SECRET_KEY_LENGTH} random characters "
                           "(python3 -c 'import secrets; print(secrets.token_urlsafe(48))').")
    if app.config["KEY_ENCRYPTION_KEY"] in ("", Config.DEV_KEY_ENCRYPTION_KEY):
        raise RuntimeError("Set KEY_ENCRYPTION_KEY in the environment before running in production "
                           "(it seals the certificate signing keys; keep it apart from the database backups).")
    if app.config.get("IS_PRODUCTION") and app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        # Per-worker memory counts each worker apart: two workers let twice the limit through.
        raise RuntimeError("Set REDIS_URL (or RATELIMIT_STORAGE_URI) in production: sign-in limits must be "
                           "shared by every worker and host.")


def _trust_proxies(app: Flask) -> None:
    # Behind a proxy every request comes from the proxy's address: without this, one person's
    # failed sign-ins would rate-limit the whole site and the audit log would name the proxy.
    count = app.config.get("TRUSTED_PROXIES", 0)
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def select_locale() -> Locale:
    """The interface language: the one chosen in this browser, else the person's, else the
    browser's. Given as the configured language's Locale object (core.languages), made once:
    Flask-Babel would parse the code into a new one on every request."""
    return languages.define(_locale_code()).locale


def _locale_code() -> str:
    supported = languages.codes()
    chosen = session.get("lang")
    if chosen in supported:
        return chosen
    user = request_user()
    if user and user.is_authenticated and user.preferred_language in supported:
        return user.preferred_language
    return request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]


def import_models() -> None:
    """Load every feature's models so the metadata is complete (migrations, create_all)."""
    import accounts.models  # noqa: F401
    import audit.models  # noqa: F401
    import certificates.models  # noqa: F401
    import inperson.models  # noqa: F401
    import jobs.models  # noqa: F401
    import quizzes.models  # noqa: F401
    import recognition.models  # noqa: F401
    import reports.models  # noqa: F401
    import training.models  # noqa: F401


def register_extensions(app: Flask) -> None:
    from accounts.passwords import use_fast_hashing

    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    import_models()
    _engine_options(app)
    db.init_app(app)
    register_connection_setup(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"), render_as_batch=True)
    _init_csrf(app)
    _init_limiter(app)
    languages.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = None
    login_manager.session_protection = None  # sessions are server-side rows, see accounts.sessions
    use_fast_hashing(app.config.get("PASSWORD_HASH_FAST", False))

    from accounts.sessions import load_user_by_token, session_identifier

    login_manager.user_loader(load_user_by_token)
    login_manager._session_identifier_generator = session_identifier  # not hashed while protection is off


def _init_csrf(app: Flask) -> None:
    """Flask-WTF's CSRF protection, its check run only for the methods it checks (POST, PUT,
    PATCH, DELETE: WTF_CSRF_METHODS). For any other it returned at once, but only after reading
    three settings and the method through their proxies, on every page."""
    # Flask-WTF registers one before-request hook; any other kind would be left as it is.
    _gate_new_hooks(app, csrf.init_app,
                    lambda hook, kind: only_for_checked_methods(hook, app) if kind == "before" else hook)


def _init_limiter(app: Flask) -> None:
    """Flask-Limiter, its request hooks run only for requests whose endpoint declares a limit.

    Its before, after and teardown hooks ran on every request and cost about 50 microseconds even
    when its request filter (extensions._declares_no_limit) said at once that there was nothing to
    check: a twentieth of a learner page. Every declared limit is checked as before
    (tests/test_rate_limits.py)."""
    _gate_new_hooks(app, limiter.init_app,
                    lambda hook, kind: only_when_limited(hook, returns_its_argument=kind == "after"))


def _gate_new_hooks(app: Flask, init_extension, gate) -> None:
    """init_extension(app), then each app-wide request hook it registered replaced by
    gate(hook, kind) (kind: "before", "after" or "teardown"): the hooks are found by what the
    extension added, so nothing depends on its private names."""
    hooks = {"before": app.before_request_funcs, "after": app.after_request_funcs,
             "teardown": app.teardown_request_funcs}
    earlier = {kind: list(registered.get(None, ())) for kind, registered in hooks.items()}
    init_extension(app)
    for kind, registered in hooks.items():
        if None in registered:
            registered[None] = [function if function in earlier[kind] else gate(function, kind)
                                for function in registered[None]]


def register_connection_setup(app: Flask) -> None:
    """What each engine and each new database connection are given before the first request: the
    compiled-statement cache (database.CompiledStatements) and, on SQLite, the mission
    dashboard's temporary tables (reports.mission_rows.keep_tables)."""
    from reports.mission_rows import keep_tables

    with app.app_context():
        for engine in db.engines.values():
            keep_compiled_statements(engine)
        keep_tables(db.engine)


def _engine_options(app: Flask) -> None:
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # JSON columns' texts (titles above all) parsed once per process, each reader given a copy.
    options.setdefault("json_deserializer", kept_json_loads)
    # sqlite3's connect timeout is SQLite's busy timeout: how long a writer waits for the lock
    # before the request gets a 503 (core.errors). Tests shorten it through the config.
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options["connect_args"] = {"timeout": app.config["SQLITE_BUSY_TIMEOUT"], **options.get("connect_args", {})}
        # A SQLite file does not drop connections: pinging it before every request's first
        # statement is a round trip for nothing (PostgreSQL keeps the ping).
        options["pool_pre_ping"] = False
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def register_blueprints(app: Flask) -> None:
    from core.routing import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any rule: ids are ASCII digits that fit the database
    from accounts import sso
    from accounts.admin_views import bp as admin_bp
    from accounts.sso_views import bp as sso_bp
    from accounts.views import bp as accounts_bp
    from audit.views import bp as audit_bp
    from core.views import bp as core_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(sso_bp)
    sso.init_app(app)
    app.register_blueprint(audit_bp)
    from certificates.verify_views import bp as verify_bp
    from certificates.views import bp as certificates_bp

    app.register_blueprint(certificates_bp)
    app.register_blueprint(verify_bp)
    from quizzes.author_views import bp as quiz_author_bp
    from quizzes.views import bp as quizzes_bp

    app.register_blueprint(quizzes_bp)
    app.register_blueprint(quiz_author_bp)
    from training.author_views import bp as training_author_bp
    from training.lesson_views import bp as lesson_author_bp
    from training.requirement_views import bp as requirements_bp
    from training.views import bp as training_bp

    app.register_blueprint(training_bp)
    app.register_blueprint(training_author_bp)
    app.register_blueprint(lesson_author_bp)
    app.register_blueprint(requirements_bp)
    from inperson.views import bp as inperson_bp
    from offline.views import bp as offline_bp

    app.register_blueprint(inperson_bp)

    app.register_blueprint(offline_bp)
    from reports.views import bp as reports_bp

    app.register_blueprint(reports_bp)
    from reports.slips_views import bp as slips_bp

    app.register_blueprint(slips_bp)
    from recognition.views import bp as recognition_bp

    app.register_blueprint(recognition_bp)
    from coursepack.views import bp as coursepack_bp

    app.register_blueprint(coursepack_bp)
    register_jobs(app)


def register_training_hooks(app: Flask) -> None:
    """What training announces or asks, and which package above it answers (training.hooks).
    Training imports none of them: this is the one place that wires them."""
    from certificates.services import certification_cycles, issue_for_course
    from quizzes.attempts import quiz_gate
    from quizzes.services import copy_quiz
    from readiness.rule import requirements_for
    from reports.notices import current_notices
    from training import guards, hooks

    guards.install()  # published module versions stay frozen, whatever the code path
    training = hooks.init_app(app)
    training.module_gates.append(quiz_gate)  # a module with a quiz is complete once the quiz is passed
    training.module_copied.append(copy_quiz)  # a copied course takes its quizzes along
    training.course_completed.append(issue_for_course)  # the certificate, in the completing transaction
    training.cycles = certification_cycles  # the certificates held decide the cycle completions count toward
    training.requirements = requirements_for  # My training: which requirements apply, and their status
    training.notices = current_notices  # My training: the person's recent reminders


def register_signals(app: Flask) -> None:
    """Who listens to Flask-Login's signals, connected here rather than when a blueprint registers."""
    from reports.notices import on_sign_in

    user_logged_in.connect(on_sign_in, app)  # every sign-in shows the person's unseen reminders


def register_jobs(app: Flask) -> None:
    """The job page, and what each kind of background job does (jobs knows no feature)."""
    from accounts.roster_job import register as register_roster_job
    from audit.verify_job import register as register_audit_job
    from certificates.bulk_job import register as register_zip_job
    from coursepack.upload import register as register_content_job
    from jobs.views import bp as jobs_bp
    from quizzes.gift_job import register as register_gift_job
    from reports.reminder_job import register as register_reminder_job

    app.register_blueprint(jobs_bp)
    register_zip_job()
    register_reminder_job()
    register_roster_job()
    register_gift_job()
    register_content_job()
    register_audit_job()


def register_security_headers(app: Flask) -> None:
    from core.request_checks import install as install_request_checks
    from core.security import (
        KeptSerializerSessionInterface,
        apply_security_headers,
        keep_signed_csrf_token,
        reuse_signed_csrf_token,
    )

    app.session_interface = KeptSerializerSessionInterface()
    app.after_request(apply_security_headers)
    app.before_request(reuse_signed_csrf_token)
    app.after_request(keep_signed_csrf_token)
    install_request_checks(app)  # malformed or undecodable form bodies: 400 before any view


def register_errors(app: Flask) -> None:
    from core.errors import register_error_handlers
    from core.faults import install as install_fault_hooks

    register_error_handlers(app)
    from certificates.errors import register as register_certificate_errors

    register_certificate_errors(app)
    install_fault_hooks(app)  # inert unless the fault tests set FAULT_DELAY_SUBMIT


def register_cli(app: Flask) -> None:
    from accounts.cli import register as register_accounts_cli
    from audit.cli import register as register_audit_cli
    from core.backup import register as register_backup_cli
    from coursepack.cli import register as register_coursepack_cli

    register_accounts_cli(app)
    register_audit_cli(app)
    register_coursepack_cli(app)
    register_backup_cli(app)
    from certificates.cli import register as register_certificates_cli

    register_certificates_cli(app)
    from quizzes.cli import register as register_quizzes_cli

    register_quizzes_cli(app)
    from reports.cli import register as register_reports_cli

    register_reports_cli(app)
    from demo.cli import register as register_demo_cli

    register_demo_cli(app)  # seed-demo and bench-data; no feature imports demo/


def register_template_helpers(app: Flask) -> None:
    from core.templating import register as register_templating

    register_templating(app)
