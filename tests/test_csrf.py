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


def test_quiz_pages_carry_the_token_their_forms_need(make_app, learner):
    """The quiz pages write their CSRF token out (templates/quizzes): a save with it is kept, one
    without it changes nothing."""
    import re

    from quizzes.models import Answer, Attempt
    from tests import quiz_factories as qf

    app, client = _csrf_client(make_app)
    with app.app_context():
        module = qf.make_module()
        question = qf.choice_question(module, "token")
        qf.make_quiz(module, layout="one_per_page", cooldown_minutes=0, attempt_limit=None)
        db.session.commit()
        # A wrong answer, so that the result page offers "Try again" (a form of its own).
        module_id, question_id, option = module.id, question.id, qf.wrong_option(question)

    def token(html: str) -> str:
        return re.search(r'<input id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)">', html).group(1)

    page = client.get("/sign-in").get_data(as_text=True)
    client.post("/sign-in", data={"identifier": learner.service_number, "password": PASSWORD, "csrf_token": token(page)})
    intro = client.get(f"/quiz/module/{module_id}").get_data(as_text=True)
    started = client.post(f"/quiz/module/{module_id}/start", data={"csrf_token": token(intro)})
    assert started.status_code == 302
    with app.app_context():
        attempt_id = db.session.scalar(select(Attempt.id))
    url = f"/quiz/attempts/{attempt_id}/q/1"
    assert client.post(url, data={f"q{question_id}": option, "save": "1"}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Answer)) is None
    page = client.get(url).get_data(as_text=True)
    assert client.post(url, data={f"q{question_id}": option, "save": "1", "csrf_token": token(page)}).status_code == 302
    finish = client.post(f"/quiz/attempts/{attempt_id}/finish", data={"csrf_token": token(page)})
    assert finish.status_code == 302
    result = client.get(finish.headers["Location"]).get_data(as_text=True)
    assert "Try again" in result and token(result)
    with app.app_context():
        assert db.session.scalar(select(Answer.response)) == [option]


def test_a_sessions_token_is_signed_once_and_stays_valid_and_its_own(make_app, learner, monkeypatch):
    """core.security.csrf_token: with no time limit on tokens, a session's token is signed once
    per process; every page carries the same valid value, and another session gets its own."""
    import re

    from flask_wtf import csrf as flask_wtf_csrf

    app, client = _csrf_client(make_app)
    signings = []

    class Counting(flask_wtf_csrf.URLSafeTimedSerializer):
        def dumps(self, *args, **kwargs):
            signings.append(1)
            return super().dumps(*args, **kwargs)

    monkeypatch.setattr(flask_wtf_csrf, "URLSafeTimedSerializer", Counting)  # Flask-WTF's signing only
    tokens = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
    page = client.get("/sign-in").get_data(as_text=True)
    token = tokens.search(page).group(1)
    assert client.post("/sign-in", data={"identifier": learner.service_number, "password": PASSWORD,
                                         "csrf_token": token}).status_code == 302
    seen = set()
    for path in ("/training", "/certificates", "/account/profile", "/training"):
        seen |= set(tokens.findall(client.get(path).get_data(as_text=True)))
    assert len(seen) == 1 and len(signings) <= 2  # the sign-in form's, then once for the session
    # The kept value is a valid token: a form posted with it is taken.
    assert client.post("/sign-out", data={"csrf_token": seen.pop()}).status_code == 302
    assert client.get("/training").status_code == 302  # signed out
    other = app.test_client()
    assert tokens.search(other.get("/sign-in").get_data(as_text=True)).group(1) != token
