"""Public verification: /verify/<code> and its JSON, the short-code check, the public keys and
the offline checker. Anyone may call these; they are rate-limited per address.

These paths are printed on paper as QR codes (docs/contracts.md): never change them.
"""

from __future__ import annotations

import json
import os

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from certificates import badge, documents, keys
from certificates.badge import public_jwk
from certificates.forms import ShortCodeForm
from certificates.models import Certificate, CertificateStatus, SigningKey
from database import utcnow
from extensions import db, limiter
from training.i18n import pick
from training.models import Course

bp = Blueprint("verify", __name__)

DEFAULT_LIMIT = "60 per minute"
DEFAULT_FORM_LIMIT = "10 per minute"


def _limit() -> str:
    return current_app.config.get("VERIFY_RATE_LIMIT") or os.environ.get("VERIFY_RATE_LIMIT") or DEFAULT_LIMIT


def _form_limit() -> str:
    return (current_app.config.get("VERIFY_FORM_RATE_LIMIT") or os.environ.get("VERIFY_FORM_RATE_LIMIT")
            or DEFAULT_FORM_LIMIT)


# One budget per address shared by every verification route, so that alternating between the
# page, the JSON and the form does not multiply it.
verify_limit = limiter.shared_limit(_limit, scope="verify")


def _public(response, max_age: int = 0):
    """Verification answers change when a certificate is revoked: no stale copies, no search engines."""
    response.headers["Cache-Control"] = f"public, max-age={max_age}" if max_age else "no-cache"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _found(code: str):
    certificate = documents.find_by_code(code)
    if certificate is None:
        abort(404)  # the same plain answer for a malformed, unknown or mistyped code
    return certificate


@bp.get("/verify/<code>")
@verify_limit
def certificate(code: str):
    """Anyone: is this certificate genuine, current and not revoked? (HTML)"""
    found = _found(code)
    dates = {"issued": found.issued_at, "expires": found.expires_at, "revoked_at": found.revoked_at}
    response = current_app.make_response(render_template(
        "certificates/verify.html", record=documents.public_record(found), dates=dates, code=code))
    return _public(response)


@bp.get("/verify/<code>.json")
@verify_limit
def certificate_json(code: str):
    """Anyone: the same answer as JSON: name, course, issued, expires, status (and why, if revoked)."""
    response = jsonify(documents.public_record(_found(code)))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return _public(response)


@bp.route("/verify", methods=["GET", "POST"])
@verify_limit
@limiter.limit(_form_limit, methods=["POST"])
def check():
    """Anyone: type the serial and check code printed on a certificate to reach its page."""
    form = ShortCodeForm()
    if form.validate_on_submit():
        found = documents.find_by_serial_and_check(form.serial.data, form.check_code.data)
        if found is None:
            # Said on the form, with what was typed kept, so a verifier retypes instead of taking a
            # genuine certificate for a fake. No hint whether the serial or the check code was wrong.
            return render_template("certificates/check.html", form=form, not_found=True), 404
        return redirect(url_for("verify.certificate", code=found.code))
    return render_template("certificates/check.html", form=form)


def _key_rows() -> list[SigningKey]:
    return list(db.session.scalars(select(SigningKey).order_by(SigningKey.id)))


@bp.get("/verify/keys.json")
@verify_limit
def public_keys():
    """Anyone: every signing key ever used (key id -> Ed25519 public key), retired ones flagged."""
    rows = _key_rows()  # empty until the first certificate is signed
    body = {
        "algorithm": "Ed25519",
        "payload_format": "CPT1.<base64url canonical JSON>.<base64url signature>",
        "keys": {row.key_id: {"public_key": row.public_key, "retired": row.retired_at is not None,
                              "created_at": row.created_at.date().isoformat(),
                              "retired_at": row.retired_at.date().isoformat() if row.retired_at else None}
                 for row in rows},
        "jwks": {"keys": [public_jwk(row.key_id, row.public_key) for row in rows]},
    }
    response = jsonify(body)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return _public(response, max_age=3600)


@bp.get("/verify/offline")
@verify_limit
def offline():
    """Anyone: check a scanned or pasted payload in this browser, with the keys in the page, no network."""
    rows = _key_rows()
    embedded = json.dumps({row.key_id: {"public_key": row.public_key, "retired": row.retired_at is not None}
                           for row in rows})
    return _public(current_app.make_response(render_template("certificates/offline.html", keys_json=embedded,
                                                             key_count=len(rows))))


# --- Open Badges: what a verifier fetches from the URLs inside a badge -----------------------------

def _wants_html() -> bool:
    accept = request.accept_mimetypes
    return accept.best_match(["application/json", "text/html"]) == "text/html" and \
        accept["text/html"] > accept["application/json"]


def _json_or_page(body: dict, kind: str):
    if _wants_html():
        response = current_app.make_response(render_template("certificates/badge_info.html", info=body, kind=kind))
    else:
        response = jsonify(body)
        response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept")
    return _public(response, max_age=3600)


@bp.get("/verify/keys/<key_id>.json")
@verify_limit
def public_key(key_id: str):
    """Anyone: one signing key as a JWK; a badge's `kid` is this URL."""
    row = db.session.scalar(select(SigningKey).where(SigningKey.key_id == key_id))
    if row is None:
        abort(404)
    response = jsonify(public_jwk(row.key_id, row.public_key))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return _public(response, max_age=3600)


@bp.get("/badges/issuer")
@verify_limit
def badge_issuer():
    """Anyone: the badge issuer's profile, with every key it signs with (JSON, or a page to a browser)."""
    jwks = [public_jwk(row.key_id, row.public_key) for row in _key_rows()]
    body = badge.issuer_profile(documents.badge_urls(), documents.issuer_name("en"), jwks)
    return _json_or_page(body, _("Issuer of the badges of this training platform"))


@bp.get("/badges/achievements/<course_code>")
@verify_limit
def badge_achievement(course_code: str):
    """Anyone: what a course's badge stands for (JSON, or a page to a browser); only courses that have issued one."""
    course = db.session.scalar(select(Course).where(Course.code == course_code))
    if course is None or not db.session.scalar(select(func.count(Certificate.id)).where(
            Certificate.course_id == course.id)):
        abort(404)  # drafts and courses nobody holds yet stay private
    urls = documents.badge_urls(course.code)
    body = {"@context": badge.CONTEXTS, **badge.achievement(
        urls["achievement"], pick(course.title, "en", course.default_language),
        pick(course.description, "en", course.default_language)),
        "creator": badge.issuer_profile(urls, documents.issuer_name("en"))}
    return _json_or_page(body, _("A course certificate, issued as an Open Badge"))


@bp.get("/badges/status/<int:list_number>")
@verify_limit
def badge_status_list(list_number: int):
    """Anyone: the revocation list of badges (a signed W3C Bitstring Status List credential), always current."""
    highest = db.session.scalar(select(func.max(Certificate.id))) or 0
    if not 1 <= list_number <= badge.status_position(highest)[0]:
        abort(404)  # checked first: a huge number must not reach the query
    first = (list_number - 1) * badge.STATUS_LIST_SIZE
    revoked = db.session.scalars(select(Certificate.id).where(
        Certificate.status == CertificateStatus.REVOKED.value,
        Certificate.id >= first, Certificate.id < first + badge.STATUS_LIST_SIZE)).all()
    urls = documents.badge_urls()
    # Built from the certificates at each request, so a revoke or a restore shows at once.
    vc = badge.status_list_credential(urls["status_list"](list_number), urls, documents.issuer_name("en"),
                                      [certificate_id - first for certificate_id in revoked], utcnow())
    key_id, private_key = keys.active_key()
    token = badge.sign(vc, private_key, urls["key"](key_id))
    db.session.commit()  # active_key() makes a key only if this server lost its own
    response = Response(token, mimetype="application/jwt")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return _public(response)
