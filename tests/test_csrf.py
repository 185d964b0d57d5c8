"""With CSRF on, as in production, a POST without a token changes nothing."""

from __future__ import annotations

from sqlalchemy import select

from accounts.models import SignInSession, User
from extensions import db
from tests.factories import PASSWORD


def _csrf_client(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    return app, app.test_client()


def test_sign_in_without_token_is_refused(make_app, learner):
    app, client = _csrf_client(make_app)
    response = client.post("/sign-in", data={"identifier": learner.service_number, "password": PASSWORD})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(SignInSession)) is None


def test_password_change_without_token_changes_nothing(make_app, learner):
    app, client = _csrf_client(make_app)
    page = client.get("/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/sign-in", data={"identifier": learner.service_number, "password": PASSWORD,
                                         "csrf_token": token}).status_code == 302
    before = learner.password_hash
    response = client.post("/account/password", data={"current": PASSWORD, "new": "another long pass",
                                                      "confirm": "another long pass"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(User, learner.id).password_hash == before


def test_sign_out_without_token_keeps_session(make_app, learner):
    _app, client = _csrf_client(make_app)
    page = client.get("/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/sign-in", data={"identifier": learner.service_number, "password": PASSWORD, "csrf_token": token})
    assert client.post("/sign-out").status_code == 400
    assert client.get("/account/password").status_code == 200
