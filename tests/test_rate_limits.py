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
