"""Sign-in limits (issue 16, items 6 and 7): failed sign-ins counted per account and address, so a
stranger cannot lock the owner out; one bucket for an account's e-mail and service number; an
account-wide limit for guessing spread over many addresses; the client address behind a proxy.
"""

from __future__ import annotations

from sqlalchemy import select

from audit.models import AuditEvent
from extensions import db
from tests import factories

WRONG = "not-the-password"


def _post(client, identifier: str, password: str = WRONG, address: str = "10.0.0.1", **kwargs):
    return client.post("/sign-in", data={"identifier": identifier, "password": password},
                       environ_base={"REMOTE_ADDR": address}, **kwargs)


def test_a_stranger_cannot_lock_the_owner_out_from_elsewhere(make_app, learner):
    app = make_app(SIGNIN_LIMIT_PER_ACCOUNT="3 per minute", SIGNIN_LIMIT_PER_ADDRESS="100 per minute")
    client = app.test_client()
    codes = [_post(client, learner.service_number, address="203.0.113.9").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]  # the stranger's address is stopped for this account
    owner = _post(client, learner.service_number, factories.PASSWORD, address="198.51.100.4")
    assert owner.status_code == 302  # the owner, elsewhere, signs in with the right password


def test_email_and_service_number_share_one_bucket(make_app, learner):
    app = make_app(SIGNIN_LIMIT_PER_ACCOUNT="4 per minute", SIGNIN_LIMIT_PER_ADDRESS="100 per minute")
    client = app.test_client()
    names = [learner.service_number, learner.email.upper(), learner.service_number.lower(), learner.email]
    assert [_post(client, name).status_code for name in names] == [200, 200, 200, 200]
    assert _post(client, learner.email).status_code == 429
    assert _post(client, learner.service_number).status_code == 429


def test_successful_sign_ins_do_not_count(make_app, learner):
    app = make_app(SIGNIN_LIMIT_PER_ACCOUNT="2 per minute", SIGNIN_LIMIT_PER_ADDRESS="100 per minute")
    for _ in range(4):
        client = app.test_client()
        assert _post(client, learner.service_number, factories.PASSWORD).status_code == 302
    assert _post(app.test_client(), learner.service_number).status_code == 200


def test_the_account_wide_limit_stops_guessing_spread_over_addresses(make_app, learner):
    app = make_app(SIGNIN_LIMIT_PER_ACCOUNT="3 per minute", SIGNIN_LIMIT_PER_ACCOUNT_ANYWHERE="6 per hour",
                   SIGNIN_LIMIT_PER_ADDRESS="100 per minute")
    client = app.test_client()
    codes = [_post(client, learner.email, address=f"10.0.1.{i}").status_code for i in range(8)]
    assert codes == [200] * 6 + [429, 429]


def test_the_default_account_wide_limit_is_high_enough_not_to_be_a_lockout():
    from limits import parse

    from config import Config

    wide, local = parse(Config.SIGNIN_LIMIT_PER_ACCOUNT_ANYWHERE), parse(Config.SIGNIN_LIMIT_PER_ACCOUNT)
    assert wide.amount / wide.get_expiry() >= 100 / 3600
    assert wide.amount >= 10 * local.amount


def test_behind_a_trusted_proxy_limits_and_audit_use_the_client_address(make_app, learner):
    app = make_app(TRUSTED_PROXIES=1, SIGNIN_LIMIT_PER_ADDRESS="3 per minute", SIGNIN_LIMIT_PER_ACCOUNT="100 per minute")
    client = app.test_client()

    def through_proxy(client_address: str, identifier: str):
        return _post(client, identifier, address="127.0.0.1",
                     headers={"X-Forwarded-For": client_address, "X-Forwarded-Proto": "https"})

    codes = [through_proxy("203.0.113.9", f"nobody{i}").status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]  # one client is stopped ...
    assert through_proxy("198.51.100.4", "someone").status_code == 200  # ... not everyone behind the proxy
    with app.app_context():
        addresses = db.session.scalars(select(AuditEvent.address).where(AuditEvent.action == "sign_in_failed")).all()
    assert set(addresses) == {"203.0.113.9", "198.51.100.4"}


def test_without_trusted_proxies_forwarded_headers_are_ignored(make_app, learner):
    app = make_app(SIGNIN_LIMIT_PER_ADDRESS="2 per minute", SIGNIN_LIMIT_PER_ACCOUNT="100 per minute")
    client = app.test_client()
    codes = [_post(client, f"nobody{i}", headers={"X-Forwarded-For": f"10.9.9.{i}"}).status_code for i in range(3)]
    assert codes == [200, 200, 429]  # a client cannot pick a fresh address per attempt
