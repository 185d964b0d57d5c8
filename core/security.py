"""Security headers on every response, error pages included."""

from __future__ import annotations

import hmac
import time

from flask import Response, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadData, BadSignature, URLSafeTimedSerializer, want_bytes

from extensions import request_user

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def apply_security_headers(response: Response) -> Response:
    headers = response.headers
    # Each unless the view set its own: the names present are read once (five setdefault() calls
    # scanned the headers twice each and raised a KeyError for every one missing).
    present = {name.lower() for name, _ in headers.items()}
    for name, value in (*SECURITY_HEADERS, HSTS) if request.is_secure else SECURITY_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    # Pages drawn for a signed-in person carry personal data: keep them out of shared caches
    # and the back-button cache of a shared PC.
    # /media/ holds lesson images named by their content hash: cached for a year (training.views.media).
    if not request.path.startswith(("/static/", "/media/")) and _signed_in():
        headers["Cache-Control"] = "no-store"
    return response


def _signed_in() -> bool:
    try:
        user = request_user()
        return bool(user and user.is_authenticated)
    except Exception:  # no request user (e.g. the database is down on /healthz)
        return False


# Signed CSRF tokens by (secret, the session's raw token); forgotten all at once beyond the limit.
_SIGNED_TOKENS: dict[tuple[str, str], str] = {}
SIGNED_TOKENS_KEPT = 20_000


def _signed_token_key() -> tuple[str, str] | None:
    """Where a session's signed token is kept, or None when it must be signed on each request:
    the token carries no time limit here (WTF_CSRF_TIME_LIMIT = None, the sign-in session bounds
    it), so the same signed value is as valid on every request; with a limit, Flask-WTF signs afresh."""
    config = current_app.config
    if config.get("WTF_CSRF_TIME_LIMIT") is not None or config.get("WTF_CSRF_FIELD_NAME", "csrf_token") != "csrf_token":
        return None
    raw = session.get("csrf_token")
    return (config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key, raw) if isinstance(raw, str) else None


def reuse_signed_csrf_token() -> None:
    """Before the view: the session's token as signed before, where Flask-WTF keeps the request's
    token, so its generate_csrf() (forms, templates) does not sign it again: signing was a
    twentieth of a lesson page's time."""
    key = _signed_token_key()
    signed = _SIGNED_TOKENS.get(key) if key else None
    if signed is not None:
        g.csrf_token = signed


def keep_signed_csrf_token(response: Response) -> Response:
    """After the view: keep the token Flask-WTF signed for this session, if it is the session's
    (a sign-in or sign-out may have replaced the session's token during the request)."""
    signed = g.get("csrf_token")
    key = _signed_token_key() if signed else None
    if key and key not in _SIGNED_TOKENS:
        try:
            signed_raw = URLSafeTimedSerializer(key[0], salt="wtf-csrf-token").loads(signed)
        except BadData:
            signed_raw = None
        if signed_raw == key[1]:
            if len(_SIGNED_TOKENS) >= SIGNED_TOKENS_KEPT:
                _SIGNED_TOKENS.clear()
            _SIGNED_TOKENS[key] = signed
    return response


KEPT_COOKIES = 20_000  # verified session cookies per process (about 300 bytes each); forgotten all at once


class KeptSerializerSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, the same cookies byte for byte, made cheaper three ways:
    its signer is built once per set of keys (Flask built a serializer per request, itsdangerous
    ran a JSON round trip to test it, and each key was derived again, an HMAC, for every signature
    checked: together about 3% of a learner page; the keys are derived here once, as itsdangerous'
    "hmac" derivation with Flask's salt does); a cookie already verified is read from memory
    (open_session); an unchanged session is not worked over to send nothing (save_session)."""

    def __init__(self) -> None:
        self._kept: tuple[tuple, URLSafeTimedSerializer | None] | None = None
        # Cookies verified with the current keys: their data and when they were signed.
        self._opened: dict[str, tuple[dict, int]] = {}

    def open_session(self, app, request):
        """Flask's open_session, remembering the cookies it has verified.

        A browser sends the same cookie with every request until the session changes, and
        checking it again (an HMAC, base64, zlib, JSON with Flask's tags) was 3-5% of a learner
        page. A cookie is remembered only once it has been verified, by its exact text (all are
        forgotten when the keys change), and only if its values are all plain strings, numbers,
        booleans or None: the session gets a copy, and a list or dict could be changed in place
        by one request and seen by the next. Its age is checked against the session lifetime on
        every request, as itsdangerous does."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        kept = self._opened.get(cookie)
        if kept is not None and 0 <= int(time.time()) - kept[1] <= max_age:
            return self.session_class(kept[0])
        try:
            data, signed_at = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if all(value is None or isinstance(value, str | int | float) for value in data.values()):
            if len(self._opened) >= KEPT_COOKIES:
                self._opened.clear()
            self._opened[cookie] = (dict(data), int(signed_at.timestamp()))
        return self.session_class(data)

    def save_session(self, app, session, response) -> None:
        """Flask's save_session; a session this request left as it was (every page that only
        shows something) gets only its Vary header, without Flask first working out the cookie's
        seven settings from the config."""
        if not session.modified and not (session and session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            if session.accessed:
                # What response.vary.add("Cookie") gives, without parsing and writing back a header
                # set when there is no Vary header yet (every page here): 5 microseconds a request.
                if "Vary" in response.headers:
                    response.vary.add("Cookie")
                else:
                    response.headers["Vary"] = "Cookie"
            return
        super().save_session(app, session, response)

    def get_signing_serializer(self, app) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = self._kept
        if kept is None or kept[0] != keys:
            kept = self._kept = (keys, self._serializer(app))
            self._opened = {}  # verified with the keys before
        return kept[1]

    def _serializer(self, app) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        assert self.key_derivation == "hmac", "the keys below are derived as itsdangerous' 'hmac' does"
        secrets = [*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key]  # current key last, as Flask
        derived = [hmac.new(want_bytes(secret), want_bytes(self.salt), self.digest_method).digest()
                   for secret in secrets]
        return URLSafeTimedSerializer(derived, salt=self.salt, serializer=self.serializer,
                                      signer_kwargs={"key_derivation": "none", "digest_method": self.digest_method})
