"""The session cookie (core.security.KeptSerializerSessionInterface): its signer is built once per
set of keys, and its cookies are Flask's own, byte for byte, both ways, key rotation included."""

from __future__ import annotations

from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface

from core.security import KeptSerializerSessionInterface


def _app(secret: str, fallbacks=(), interface=None) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=secret, SECRET_KEY_FALLBACKS=list(fallbacks))
    if interface is not None:
        app.session_interface = interface

    @app.get("/set/<value>")
    def set_value(value):
        session["value"] = value
        return "ok"

    @app.get("/get")
    def get_value():
        return session.get("value", "(none)")

    return app


def _cookie(app: Flask, value: str) -> str:
    client = app.test_client()
    client.get(f"/set/{value}")
    return client.get_cookie("session").value


def _read(app: Flask, cookie: str) -> str:
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client.get("/get").get_data(as_text=True)


def test_the_same_cookie_as_flask_both_ways():
    flasks = _app("s3cret")
    ours = _app("s3cret", interface=KeptSerializerSessionInterface())
    assert _read(ours, _cookie(flasks, "from-flask")) == "from-flask"
    assert _read(flasks, _cookie(ours, "from-ours")) == "from-ours"
    serializer = ours.session_interface.get_signing_serializer(ours)
    assert serializer.loads(SecureCookieSessionInterface().get_signing_serializer(flasks).dumps({"a": 1})) == {"a": 1}


def test_a_tampered_or_foreign_cookie_is_an_empty_session():
    ours = _app("s3cret", interface=KeptSerializerSessionInterface())
    cookie = _cookie(ours, "mine")
    assert _read(ours, cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")) == "(none)"
    assert _read(ours, _cookie(_app("another-key"), "theirs")) == "(none)"


def test_a_rotated_key_still_reads_the_old_cookies_and_signs_with_the_new():
    old_cookie = _cookie(_app("old-key", interface=KeptSerializerSessionInterface()), "kept")
    rotated = _app("new-key", fallbacks=["old-key"], interface=KeptSerializerSessionInterface())
    assert _read(rotated, old_cookie) == "kept"
    assert _read(_app("new-key"), _cookie(rotated, "fresh")) == "fresh"  # signed with the new key


def test_the_signer_is_built_once_and_again_when_the_key_changes():
    interface = KeptSerializerSessionInterface()
    app = _app("first", interface=interface)
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    app.secret_key = "second"
    assert interface.get_signing_serializer(app) is not first
    assert _read(app, _cookie(_app("first"), "old")) == "(none)"


def _app_with_list(interface) -> Flask:
    app = _app("s3cret", interface=interface)

    @app.get("/touch")
    def touch():
        session["items"].append("changed in place")  # not marked modified: Flask sends no new cookie
        return "ok"

    @app.get("/items")
    def items():
        return ",".join(session.get("items", []))

    @app.get("/start")
    def start():
        session["items"] = ["a"]
        session["value"] = "v"
        return "ok"

    return app


def test_a_verified_cookie_is_read_again_from_memory_with_the_same_data():
    interface = KeptSerializerSessionInterface()
    app = _app("s3cret", interface=interface)
    cookie = _cookie(app, "kept")
    assert _read(app, cookie) == "kept"
    assert cookie in interface._opened  # verified once, then remembered
    assert _read(app, cookie) == "kept"
    # A forged cookie is never remembered, so it is refused every time.
    forged = cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")
    assert _read(app, forged) == "(none)" and forged not in interface._opened
    assert _read(app, forged) == "(none)"


def test_a_remembered_cookie_expires_with_the_session_lifetime(monkeypatch):
    import time
    from datetime import timedelta

    app = _app("s3cret", interface=KeptSerializerSessionInterface())
    app.permanent_session_lifetime = timedelta(minutes=10)
    cookie = _cookie(app, "kept")
    assert _read(app, cookie) == "kept"
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 11 * 60)
    assert _read(app, cookie) == "(none)"
    flasks = _app("s3cret")  # Flask's own interface refuses it too
    flasks.permanent_session_lifetime = timedelta(minutes=10)
    assert _read(flasks, cookie) == "(none)"


def test_a_remembered_cookie_is_refused_once_its_key_is_gone():
    interface = KeptSerializerSessionInterface()
    app = _app("first", interface=interface)
    cookie = _cookie(app, "old")
    assert _read(app, cookie) == "old"
    app.secret_key = "second"
    assert _read(app, cookie) == "(none)"


def test_a_cookie_with_a_list_is_not_remembered_so_a_change_in_place_does_not_leak():
    interface = KeptSerializerSessionInterface()
    app = _app_with_list(interface)
    client = app.test_client()
    client.get("/start")
    cookie = client.get_cookie("session").value
    reader = app.test_client()
    reader.set_cookie("session", cookie)
    reader.get("/touch")
    assert reader.get("/items").get_data(as_text=True) == "a"
    assert cookie not in interface._opened


def test_an_unchanged_session_sends_no_cookie_and_the_same_vary_as_flask():
    for interface in (None, KeptSerializerSessionInterface()):
        app = _app("s3cret", interface=interface)

        @app.get("/permanent")
        def permanent():
            session.permanent = True
            return "ok"

        @app.get("/negotiated")
        def negotiated():
            return session.get("value", "(none)"), {"Vary": "Accept"}

        client = app.test_client()
        client.get("/set/v")
        read = client.get("/get")
        assert read.get_data(as_text=True) == "v"
        assert "Set-Cookie" not in read.headers and read.headers["Vary"] == "Cookie"
        assert client.get("/negotiated").headers["Vary"] == "Accept, Cookie"  # added to what the view said
        client.get("/permanent")
        refreshed = client.get("/get")  # a permanent session is sent again on every request
        assert "Set-Cookie" in refreshed.headers and refreshed.headers["Vary"] == "Cookie"
