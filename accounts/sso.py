"""Single sign-on with OpenID Connect, through Authlib's Flask client.

Authlib does the protocol: the authorization code flow with PKCE (S256), `state` and `nonce`
kept in the session and checked on the way back, and the ID token verified against the keys
the provider publishes (jwks_uri), its issuer, audience and expiry. This module decides who
the person is here: an identity (issuer x subject) already linked, or else the person on the
roster whose e-mail or service number the configured claim carries. Nobody is ever created.
"""

from __future__ import annotations

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, has_request_context, request, url_for
from joserfc.errors import JoseError
from sqlalchemy import func, select

from accounts.models import ExternalIdentity, User
from audit.services import record
from database import utcnow
from extensions import db

CLIENT = "oidc"
# Everything that means "the answer from the provider cannot be trusted or did not come":
# a state that matches nothing in this browser's session, an error from the provider, a bad
# signature, a wrong nonce, issuer or audience, an expired token, a provider that is down.
FAILURES = (OAuthError, JoseError, requests.RequestException, KeyError, ValueError)


class MissingIdToken(ValueError):
    """The token response had no ID token: nothing says who signed in."""


def is_configured(app: Flask | None = None) -> bool:
    config = (app or current_app).config
    return bool(config.get("OIDC_ISSUER") and config.get("OIDC_CLIENT_ID") and config.get("OIDC_CLIENT_SECRET"))


def init_app(app: Flask) -> None:
    """Register the provider when it is configured. Each app gets its own Authlib registry
    (the provider comes from that app's settings, and Authlib caches its metadata and keys
    per client), so this is not one of the unbound extensions in extensions.py."""
    if not is_configured(app):
        return
    oauth = OAuth(app)
    oauth.register(
        CLIENT,
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=app.config["OIDC_ISSUER"].rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": app.config["OIDC_SCOPES"], "code_challenge_method": "S256", "timeout": 10},
    )
    app.extensions["sso"] = oauth


def client():
    return current_app.extensions["sso"].create_client(CLIENT)


def issuer() -> str:
    return current_app.config["OIDC_ISSUER"]


def button_name() -> str | None:
    """The provider's name for the sign-in button, or None when single sign-on is off."""
    return current_app.config["OIDC_PROVIDER_NAME"] if is_configured() else None


def _base_url() -> str:
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if not base and has_request_context():
        base = request.url_root.rstrip("/")
    return base


def callback_url() -> str:
    return _base_url() + url_for("sso.callback")


def provider_sign_out_url() -> str | None:
    """The provider's end-session link (RP-initiated logout), when it publishes one."""
    if not is_configured():
        return None
    try:
        return client().create_logout_url(post_logout_redirect_uri=_base_url() + url_for("accounts.sign_in"),
                                          client_id=current_app.config["OIDC_CLIENT_ID"])["url"]
    except (RuntimeError, requests.RequestException, ValueError):  # no end_session_endpoint, or provider down
        return None


def claims_of(token: dict) -> dict:
    """The verified ID token's claims; the userinfo endpoint fills in the identifying claim when
    the ID token leaves it out (many providers put only `sub` in it)."""
    claims = token.get("userinfo")
    if not claims or not claims.get("sub"):
        raise MissingIdToken("no verified ID token")
    claims = dict(claims)
    wanted = current_app.config["OIDC_USER_CLAIM"]
    if wanted not in claims:
        info = client().userinfo(token=token)
        if info.get("sub") != claims["sub"]:  # OpenID Connect Core 5.3.2: must be the same person
            raise ValueError("userinfo is about another subject")
        claims = {**info, **claims}
    return claims


def user_field() -> str:
    field = current_app.config.get("OIDC_USER_FIELD") or ""
    if field in {"email", "service_number"}:
        return field
    return "email" if current_app.config["OIDC_USER_CLAIM"] == "email" else "service_number"


def resolve(claims: dict) -> tuple[User | None, str]:
    """The active person on the roster these verified claims belong to, and why not if none.

    An identity seen before goes to the person it was linked to. A new one is linked to the
    person the configured claim names, unless that person already has another identity at
    this provider. Adds and flushes; the view commits.
    """
    provider, subject = issuer(), str(claims["sub"])
    identity = db.session.scalar(select(ExternalIdentity).filter_by(provider=provider, subject=subject))
    if identity is not None:
        if not identity.user.is_active:
            return None, "deactivated"
        identity.last_used_at = utcnow()
        return identity.user, "linked"
    user = _roster_person(claims)
    if user is None:
        return None, "not_on_roster"
    if not user.is_active:
        return None, "deactivated"
    if db.session.scalar(select(ExternalIdentity.id).filter_by(user_id=user.id, provider=provider)) is not None:
        return None, "other_identity_linked"
    db.session.add(ExternalIdentity(user_id=user.id, provider=provider, subject=subject, last_used_at=utcnow()))
    record("external_identity_linked", actor=user, target=f"user:{user.id}", provider=provider, subject=subject[:80])
    db.session.flush()
    return user, "new_link"


def _roster_person(claims: dict) -> User | None:
    value = claims.get(current_app.config["OIDC_USER_CLAIM"])
    if not isinstance(value, str) or not value.strip():
        return None
    if user_field() == "email":
        if claims.get("email_verified") is False:  # an address the provider itself has not checked
            return None
        return db.session.scalar(select(User).where(func.lower(User.email) == value.strip().lower()))
    return db.session.scalar(select(User).where(User.service_number == value.strip().upper()))


def record_refusal(claims: dict, reason: str) -> None:
    """An identity that is nobody here: who the provider said it was, never any token."""
    value = claims.get(current_app.config["OIDC_USER_CLAIM"])
    record("sso_refused", target="", provider=issuer(), subject=str(claims.get("sub", ""))[:80], reason=reason,
           claim=current_app.config["OIDC_USER_CLAIM"], value=str(value)[:80] if value is not None else None)


def record_failure(error: Exception) -> None:
    record("sso_failed", target="", provider=issuer(), reason=type(error).__name__,
           error=str(getattr(error, "error", "") or "")[:80])
