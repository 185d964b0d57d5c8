"""Error pages that say what happened in plain words and leak nothing."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from extensions import db, login_manager

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.endswith(".json") or request.accept_mimetypes.best == "application/json"


def render_error(status: int, title: str, message: str):
    if _wants_json():
        return jsonify(error=title), status  # machines read the English title
    # Translated here, not at import: the reader's language is known only now.
    return render_template("errors/error.html", status=status, title=_(title),
                           message=_(message) if message else ""), status


def N_(message: str) -> str:
    """Marks a message for the catalogues; _render translates it."""
    return message


MESSAGES = {
    400: (N_("Bad request"), N_("The request could not be understood. Go back and try again.")),
    403: (N_("Not allowed"), N_("Your account does not give access to this page.")),
    404: (N_("Page not found"), N_("There is nothing at this address. Check the link or go to the home page.")),
    405: (N_("Not allowed"), N_("This address does not accept that kind of request.")),
    413: (N_("Too large"), N_("What you sent is larger than this site accepts. Send a smaller file.")),
    429: (N_("Too many attempts"), N_("Too many attempts in a short time. Wait a few minutes, then try again.")),
    500: (N_("Something went wrong"), N_("The error has been logged. Nothing you sent was half-saved: try again.")),
    503: (N_("Busy"), N_("The service is busy for a moment. Nothing was saved: try again in a few seconds.")),
}


HTTPS_NEEDED = (N_("Open this site with https"),
                N_("This site keeps your session in a cookie that browsers only send over a secure "
                   "connection, so forms cannot work over plain http. Open the address starting with "
                   "https:// and try again."))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if isinstance(error, CSRFError) and not request.is_secure and current_app.config["SESSION_COOKIE_SECURE"]:
            # The browser refused the secure session cookie over http, so no token could match.
            return render_error(400, *HTTPS_NEEDED)
        title, message = MESSAGES.get(error.code or 500, (error.name, ""))
        response, status = render_error(error.code or 500, title, message)
        if error.code == 429:
            return response, status, {"Retry-After": "60"}
        return response, status

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError):
        db.session.rollback()
        # Draw the page for nobody in particular: loading (or refreshing) the signed-in person
        # would go back to the database that just failed, and turn this 503 into a bare 500.
        g._login_user = login_manager.anonymous_user()
        log.warning("database unavailable: %s", error.__class__.__name__)
        response, status = render_error(503, *MESSAGES[503])
        return response, status, {"Retry-After": "5"}

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500, *MESSAGES[500])
