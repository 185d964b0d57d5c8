"""Public verification: /verify/<code>(.json), the short-code form, keys.json, offline page, rate limit."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from certificates import keys, services
from extensions import db
from tests.certificate_factories import issue, make_course


def _main(response) -> str:
    """The page's main content (the footer's language form echoes the path, which differs)."""
    html = response.get_data(as_text=True)
    return html[html.index("<main"):html.index("</main>")]


ALLOWED_FIELDS = {"name", "course", "issued", "expires", "status", "revoked_at", "revocation_reason", "superseded_by"}


def test_verification_json_has_exactly_the_allowed_fields(app, client, learner):
    certificate = issue(learner, make_course())
    response = client.get(f"/verify/{certificate.code}.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == ALLOWED_FIELDS
    assert body == {"name": "Lena Learner", "course": "Child Protection in Peace Operations",
                    "issued": certificate.issued_at.date().isoformat(),
                    "expires": certificate.expires_at.date().isoformat(), "status": "valid",
                    "revoked_at": None, "revocation_reason": None, "superseded_by": None}
    # Nothing else about the person leaks into the page or the JSON.
    for secret in (learner.service_number, learner.email, certificate.serial, learner.rank + " "):
        assert secret not in response.get_data(as_text=True)
        assert secret not in client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-cache" and "noindex" in response.headers["X-Robots-Tag"]


def test_verification_page_shows_a_valid_certificate(app, client, learner):
    certificate = issue(learner, make_course())
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "Lena Learner" in page and "Child Protection in Peace Operations" in page
    assert "genuine and current" in page and "status-valid" in page


def test_unknown_and_malformed_codes_get_the_same_plain_not_found(app, client, learner):
    certificate = issue(learner, make_course())
    answers = [client.get(f"/verify/{code}") for code in ("x" * 32, certificate.code[:-1], "a" * 500, "%00")]
    assert {response.status_code for response in answers} == {404}
    assert len({_main(response) for response in answers}) == 1  # no hint which is which
    json_answer = client.get(f"/verify/{'x' * 32}.json")
    assert json_answer.status_code == 404 and json_answer.get_json() == {"error": "Page not found"}


def test_revoked_certificate_says_since_when_and_why_then_unrevoked_is_valid_again(app, client, learner, admin):
    certificate = issue(learner, make_course())
    services.revoke(certificate, actor=admin, reason="Completed under another person's account")
    db.session.commit()
    body = client.get(f"/verify/{certificate.code}.json").get_json()
    assert body["status"] == "revoked" and body["revocation_reason"] == "Completed under another person's account"
    assert datetime.fromisoformat(body["revoked_at"].replace("Z", "+00:00")) > datetime.now(timezone.utc) - timedelta(minutes=1)
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "was revoked on" in page and "Completed under another person&#39;s account" in page
    services.unrevoke(certificate, actor=admin, reason="Checked")
    db.session.commit()
    body = client.get(f"/verify/{certificate.code}.json").get_json()
    assert (body["status"], body["revoked_at"], body["revocation_reason"]) == ("valid", None, None)


def test_superseded_certificate_links_to_the_newer_one(app, client, learner):
    course = make_course()
    old = issue(learner, course, datetime.now(timezone.utc) - timedelta(days=720))  # inside the renewal window
    new = issue(learner, course)
    assert new.id != old.id
    body = client.get(f"/verify/{old.code}.json").get_json()
    assert body["status"] == "superseded"
    assert body["superseded_by"] == f"http://localhost/verify/{new.code}"
    page = client.get(f"/verify/{old.code}").get_data(as_text=True)
    assert f'href="http://localhost/verify/{new.code}"' in page and "replaced by a newer one" in page
    assert client.get(f"/verify/{new.code}.json").get_json()["status"] == "valid"


def test_expired_certificate_says_expired(app, client, learner):
    certificate = issue(learner, make_course(validity_months=12), datetime.now(timezone.utc) - timedelta(days=400))
    body = client.get(f"/verify/{certificate.code}.json").get_json()
    assert body["status"] == "expired"
    assert "expired on" in client.get(f"/verify/{certificate.code}").get_data(as_text=True)


def test_short_code_form_redirects_to_the_verification_page(app, client, learner):
    certificate = issue(learner, make_course())
    assert client.get("/verify").status_code == 200
    typed = {"serial": " " + certificate.serial.lower() + " ", "check_code": certificate.check_code[:3].lower()
             + " " + certificate.check_code[3:]}
    response = client.post("/verify", data=typed)
    assert response.status_code == 302 and response.headers["Location"] == f"/verify/{certificate.code}"


def test_short_code_form_wrong_pair_is_the_same_plain_not_found(app, client, learner):
    certificate = issue(learner, make_course())
    other = issue(learner, make_course())
    wrong_check = client.post("/verify", data={"serial": certificate.serial, "check_code": "ZZZZZZ"})
    crossed = client.post("/verify", data={"serial": certificate.serial, "check_code": other.check_code})
    unknown = client.post("/verify", data={"serial": "NOPE-2026-XXXXXX", "check_code": certificate.check_code})
    odd = client.post("/verify", data={"serial": "X\x00'; --", "check_code": "\x00"})
    assert odd.status_code == 400  # control characters are refused before any lookup (core.request_checks)
    assert {wrong_check.status_code, crossed.status_code, unknown.status_code} == {404}
    # The answer is on the form itself, the same whichever of the two was wrong (no oracle).
    message = "No certificate matches this serial and check code. Check both and try again."
    for response in (wrong_check, crossed, unknown):
        page = response.get_data(as_text=True)
        assert message in page and 'role="alert"' in page and '<form method="post"' in page
    assert f'value="{certificate.serial}"' in wrong_check.get_data(as_text=True)  # what was typed is kept
    assert _main(wrong_check).replace("ZZZZZZ", "") == _main(crossed).replace(other.check_code, "")


def test_short_code_form_needs_both_fields(app, client):
    response = client.post("/verify", data={"serial": "", "check_code": ""})
    assert response.status_code == 200 and "This field is required" in response.get_data(as_text=True)


def test_verification_is_rate_limited_per_address(make_app, app, learner):
    certificate = issue(learner, make_course())
    limited = make_app(VERIFY_RATE_LIMIT="5 per minute")
    client = limited.test_client()
    urls = [f"/verify/{certificate.code}", f"/verify/{certificate.code}.json", "/verify/keys.json",
            f"/verify/{'z' * 32}", "/verify/offline"]
    codes = [client.get(url).status_code for url in urls]
    assert codes == [200, 200, 200, 404, 200]  # one shared budget of 5 for all verification routes
    blocked = client.get(f"/verify/{certificate.code}.json")
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    other_address = client.get(f"/verify/{certificate.code}", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other_address.status_code == 200


def test_short_code_guessing_is_limited_more_tightly(make_app, app, learner):
    certificate = issue(learner, make_course())
    client = make_app(VERIFY_FORM_RATE_LIMIT="3 per minute").test_client()
    codes = [client.post("/verify", data={"serial": certificate.serial, "check_code": f"AAAAA{i}"}).status_code
             for i in range(4)]
    assert codes == [404, 404, 404, 429]
    right = client.post("/verify", data={"serial": certificate.serial, "check_code": certificate.check_code})
    assert right.status_code == 429  # even the right pair waits: no oracle while limited


def test_public_keys_list_every_key_with_the_retired_flag(app, client, learner, trainer):
    first = issue(learner, make_course())
    new_key = keys.rotate()
    db.session.commit()
    second = issue(trainer, make_course())
    body = client.get("/verify/keys.json").get_json()
    assert set(body["keys"]) == {first.key_id, second.key_id} and second.key_id == new_key
    assert body["keys"][first.key_id]["retired"] is True and body["keys"][second.key_id]["retired"] is False
    assert body["keys"][first.key_id]["public_key"] == keys.public_keys()[first.key_id]
    assert {jwk["kid"] for jwk in body["jwks"]["keys"]} == {first.key_id, second.key_id}
    assert all(jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" for jwk in body["jwks"]["keys"])


def test_offline_page_embeds_the_keys_and_loads_its_script_from_static(app, client, learner):
    certificate = issue(learner, make_course())
    page = client.get("/verify/offline").get_data(as_text=True)
    match = re.search(r'data-keys="([^"]*)"', page)
    embedded = json.loads(match.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    assert embedded == {certificate.key_id: {"public_key": keys.public_keys()[certificate.key_id], "retired": False}}
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts and all("src=" in attributes for attributes in scripts)  # CSP: no inline script
    assert "needs JavaScript" in page  # says so to people without it
