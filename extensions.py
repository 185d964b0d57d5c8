"""Flask extensions, created unbound; create_app() binds them."""

import functools

from flask import current_app, g, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from database import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


@limiter.request_filter
def _declares_no_limit() -> bool:
    """True (the limiter looks no further) for a request whose endpoint declares no limit for its
    method: every learner page. Resolving that there was none cost 3-4% of such a page."""
    return not _is_limited(request._get_current_object())


def _is_limited(req) -> bool:
    # The request object itself, not the proxy: this runs three times a request (the limiter's
    # before, after and teardown hooks), and every proxy lookup finds the request again.
    app = current_app._get_current_object()
    limited = app.extensions.get("limited_endpoints")
    if limited is None:
        limited = app.extensions["limited_endpoints"] = _limited_endpoints(app)
    if limited is EVERY_REQUEST:
        return True
    endpoint = req.endpoint
    return (endpoint, None) in limited or (endpoint, req.method.lower()) in limited


EVERY_REQUEST = frozenset({("*", None)})


def request_user():
    """current_user as the object itself, read where Flask-Login keeps it once loaded (the proxy,
    its lambda and _get_user() reach `g` three times; a page asks in a dozen places)."""
    user = g._get_current_object().__dict__.get("_login_user")
    return user if user is not None else current_user._get_current_object()


def only_when_limited(hook, *, returns_its_argument: bool = False):
    """One of the limiter's request hooks, run only for a request some declared limit applies to.
    An after-request hook hands the response on (`returns_its_argument`); the others return None."""

    @functools.wraps(hook)
    def hook_when_limited(*args):
        req = request._get_current_object()
        if req.endpoint is None or not _is_limited(req):
            return args[0] if returns_its_argument else None
        return hook(*args)

    return hook_when_limited


def only_for_checked_methods(hook, app):
    """Flask-WTF's CSRF hook, run only for the methods it checks (WTF_CSRF_METHODS)."""

    @functools.wraps(hook)
    def check_when_the_method_is_checked():
        if request._get_current_object().method in app.config["WTF_CSRF_METHODS"]:
            return hook()
        return None

    return check_when_the_method_is_checked


def _limited_endpoints(app) -> frozenset[tuple[str, str | None]]:
    """(endpoint, method) for every limit declared on a view (method None: any method); every
    request when a limit is app-wide or on a blueprint. Read once, at the first request, when
    every view is registered."""
    from flask_limiter.util import get_qualified_name

    manager = limiter.limit_manager
    if manager.application_limits or manager.default_limits or any(
            manager.blueprint_limits(app, name) for name in app.blueprints):
        return EVERY_REQUEST
    return frozenset((endpoint, method) for endpoint, view in app.view_functions.items()
                     for limit in manager.decorated_limits(get_qualified_name(view))
                     for method in (limit.methods or (None,)))


def client_address() -> str:
    return request.remote_addr or "unknown"
