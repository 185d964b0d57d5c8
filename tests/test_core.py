from __future__ import annotations

import re

from sqlalchemy.exc import OperationalError


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "db": "ok"}


def test_healthz_503_when_database_unreachable(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none",
                   SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["status"] == "error"


def test_security_headers_on_pages_and_errors(client):
    for path in ("/", "/sign-in", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        for part in ("script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert part in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in headers


def test_hsts_over_tls(client):
    assert "max-age" in client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"]


def test_404_leaks_nothing(client):
    response = client.get("/definitely/not/here")
    assert response.status_code == 404 and b"Page not found" in response.data
    assert b"Traceback" not in response.data and b"werkzeug" not in response.data.lower()


def test_500_is_generic_and_rolls_back(app, client):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret detail /etc/passwd SELECT * FROM users")

    response = client.get("/boom-for-test")
    assert response.status_code == 500
    assert b"secret detail" not in response.data and b"SELECT" not in response.data


def test_database_error_gives_503_with_retry_after(app, client):
    @app.get("/locked-for-test")
    def locked():
        raise OperationalError("UPDATE x", {}, Exception("database is locked"))

    response = client.get("/locked-for-test")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert b"database is locked" not in response.data and b"UPDATE" not in response.data


def test_signed_in_pages_are_not_cached(client, learner, login):
    login(client, learner)
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_static_files_are_fingerprinted_and_cached(client):
    page = client.get("/sign-in").get_data(as_text=True)
    [url] = re.findall(r'href="(/static/site\.[0-9a-f]{12}\.css)"', page)  # core.assets: the hash in the name
    response = client.get(url)
    response.close()
    assert "max-age=31536000" in response.headers["Cache-Control"]


def test_language_choice_is_remembered_and_arabic_is_rtl(client):
    client.post("/language", data={"lang": "ar", "next": "/sign-in"})
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'dir="rtl"' in page and 'lang="ar"' in page


def test_language_next_cannot_leave_site(client):
    response = client.post("/language", data={"lang": "fr", "next": "//evil.example"})
    assert response.headers["Location"] == "/"


def test_a_security_header_the_view_set_is_kept_and_sent_once(app):
    @app.get("/_own-frame-policy")
    def own_frame_policy():
        return "framed", 200, {"x-frame-options": "SAMEORIGIN"}

    headers = app.test_client().get("/_own-frame-policy").headers
    assert headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert headers.getlist("Content-Security-Policy") and len(headers.getlist("Content-Security-Policy")) == 1
