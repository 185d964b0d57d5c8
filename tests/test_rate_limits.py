"""The limiter skips requests whose endpoint declares no limit for their method
(extensions._declares_no_limit): the limits declared still hold, for the methods they name."""

from __future__ import annotations

from extensions import _limited_endpoints


def test_the_declared_limits_are_found(app):
    with app.test_request_context():
        limited = _limited_endpoints(app)
    assert ("accounts.sign_in_post", "post") in limited
    assert ("accounts.sign_in_post", None) not in limited
    assert ("verify.certificate", None) in limited  # the public verification pages, any method
    assert not any(endpoint.startswith(("training.", "quizzes.")) for endpoint, _ in limited)


def test_a_limit_on_posts_does_not_count_gets(make_app, learner):
    app = make_app(SIGNIN_LIMIT_PER_ADDRESS="2 per minute", SIGNIN_LIMIT_PER_ACCOUNT="100 per minute")
    client = app.test_client()
    assert [client.get("/sign-in").status_code for _ in range(5)] == [200] * 5
    codes = [client.post("/sign-in", data={"identifier": "nobody", "password": "x"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_a_limit_on_every_method_still_counts_gets(make_app):
    app = make_app(VERIFY_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [client.get("/verify/keys.json").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_limited_answers_carry_the_limit_headers_and_others_none(make_app, learner):
    # The limiter's hooks run only where a limit is declared (app._init_limiter): its headers
    # still come with a limited answer, and a page with no limit gets none.
    app = make_app(SIGNIN_LIMIT_PER_ADDRESS="5 per minute", SIGNIN_LIMIT_PER_ACCOUNT="100 per minute")
    client = app.test_client()
    limited = client.post("/sign-in", data={"identifier": "nobody", "password": "x"})
    assert int(limited.headers["X-RateLimit-Limit"]) in (5, 100)
    assert "X-RateLimit-Remaining" in limited.headers
    form = client.get("/sign-in")
    assert form.status_code == 200
    assert not any(name.startswith("X-RateLimit") for name in form.headers.keys())


def test_a_page_with_no_limit_never_reaches_the_limiter(make_app, monkeypatch):
    from extensions import limiter

    checked = []
    original = type(limiter)._check_request_limit

    def counting(self, *args, **kwargs):
        checked.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(limiter), "_check_request_limit", counting)
    app = make_app(VERIFY_RATE_LIMIT="3 per minute")
    client = app.test_client()
    assert client.get("/sign-in").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert checked == []
    assert client.get("/verify/keys.json").status_code == 200
    assert checked
