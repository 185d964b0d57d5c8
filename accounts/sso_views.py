"""Single sign-on (OpenID Connect): out to the organisation's provider and back."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user

from accounts import services, sso
from database import start_writing
from extensions import db

bp = Blueprint("sso", __name__, url_prefix="/sso")


@bp.before_request
def only_when_configured():
    if not sso.is_configured():
        abort(404)


@bp.get("/start")
def start():
    """Anyone: go to the organisation's sign-in page (404 when single sign-on is not set up)."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    try:
        # Authlib keeps state, nonce and the PKCE verifier in this browser's session.
        return sso.client().authorize_redirect(sso.callback_url())
    except sso.FAILURES as error:  # the provider's metadata could not be read
        sso.record_failure(error)
        db.session.commit()
        return render_template("sso/failed.html", provider=sso.button_name()), 503


@bp.get("/callback")
def callback():
    """Anyone back from the provider: signed in when the identity belongs to someone on the roster."""
    try:
        token = sso.client().authorize_access_token()  # state, code + verifier, ID token and nonce checked
        claims = sso.claims_of(token)
    except sso.FAILURES as error:
        sso.record_failure(error)
        db.session.commit()
        return render_template("sso/failed.html", provider=sso.button_name()), 400
    start_writing()  # after the calls to the provider: the write lock is not held across the network
    user, reason = sso.resolve(claims)
    if user is None:
        sso.record_refusal(claims, reason)
        db.session.commit()
        return render_template("sso/unknown.html", provider=sso.button_name(), reason=reason), 403
    services.sign_in(user, remember=False, address=request.remote_addr or "", method="oidc")
    db.session.commit()
    login_user(user)
    session["sso"] = True  # sign-out then offers the provider's own sign-out
    return redirect(url_for("core.home"))
