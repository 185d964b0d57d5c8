"""What a person and the audit log see when certificates cannot be signed on this server."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _

from audit.services import record
from certificates.keys import SigningKeyUnavailable
from extensions import db


def register(app: Flask) -> None:
    @app.errorhandler(SigningKeyUnavailable)
    def signing_key_unavailable(error: SigningKeyUnavailable):
        db.session.rollback()  # nothing of the request that needed the key is kept
        record("signing_key_unavailable", actor=None, target=f"signing_key:{error.key_id or '-'}", reason=error.why)
        db.session.commit()
        page = render_template(
            "errors/error.html", status=503, title=_("Certificates cannot be signed right now"),
            message=_("Nothing you sent was saved. The administrators have been told; try again later."))
        return page, 503, {"Retry-After": "300"}
