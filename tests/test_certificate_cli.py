"""`flask verify-offline PAYLOAD_OR_PNG` and `flask rotate-signing-key`."""

from __future__ import annotations

import json
from datetime import date

import segno
from sqlalchemy import select

from audit.models import AuditEvent
from certificates import keys, qr, services, signing
from certificates.models import SigningKey
from extensions import db
from tests.certificate_factories import issue, make_course


def _flip(payload: str, part: int = 1) -> str:
    """The payload with one character of its claims (part 1) or signature (part 2) changed."""
    pieces = payload.split(".")
    text = pieces[part]
    middle = len(text) // 2
    pieces[part] = text[:middle] + ("A" if text[middle] != "A" else "B") + text[middle + 1:]
    return ".".join(pieces)


def test_valid_payload_prints_the_claims_and_valid(app, runner, learner):
    certificate = issue(learner, make_course())
    result = runner.invoke(args=["verify-offline", services.payload_of(certificate)])
    assert result.exit_code == 0, result.output
    assert f"serial:   {certificate.serial}" in result.output and "name:     Lena Learner" in result.output
    assert result.output.rstrip().splitlines()[-1].startswith("VALID")


def test_a_payload_under_another_certificates_code_is_a_mismatch(app, runner, learner, trainer):
    course = make_course()
    mine, other = issue(learner, course), issue(trainer, course)
    text = qr.qr_text(f"https://example.org/verify/{mine.code}", services.payload_of(other))
    result = runner.invoke(args=["verify-offline", text])
    assert result.exit_code != 0 and "VALID" not in result.output.replace("INVALID", "")
    assert "MISMATCH" in result.output and other.serial in result.output and mine.serial in result.output


def test_whole_qr_text_is_accepted(app, runner, learner):
    certificate = issue(learner, make_course())
    text = qr.qr_text(f"https://example.org/verify/{certificate.code}", services.payload_of(certificate))
    result = runner.invoke(args=["verify-offline", text])
    assert result.exit_code == 0 and f"https://example.org/verify/{certificate.code}" in result.output


def test_png_of_the_qr_code_is_decoded_and_verified(app, runner, learner, tmp_path):
    certificate = issue(learner, make_course())
    image = tmp_path / "scan.png"
    # A screenshot of the on-screen code (drawn by segno, while PDFs use zxing-cpp's encoder).
    segno.make(qr.qr_text(f"http://localhost/verify/{certificate.code}", services.payload_of(certificate)),
               error="m").save(str(image), scale=4)
    result = runner.invoke(args=["verify-offline", str(image)])
    assert result.exit_code == 0, result.output
    assert "VALID" in result.output and certificate.serial in result.output


def test_one_changed_character_is_rejected_with_a_one_line_reason(app, runner, learner):
    payload = services.payload_of(issue(learner, make_course()))
    for tampered in (_flip(payload, 1), _flip(payload, 2), payload + "x"):
        result = runner.invoke(args=["verify-offline", tampered])
        assert result.exit_code != 0
        assert len(result.output.strip().splitlines()) == 1
        assert result.output.startswith("Error: INVALID: ")


def test_wrong_key_id_is_rejected(app, runner, learner):
    certificate = issue(learner, make_course())
    claims = services.claims_of(certificate)
    forged = signing.Claims(claims.serial, claims.name, claims.course, claims.issued, claims.expires, "202601-deadbeef")
    result = runner.invoke(args=["verify-offline", signing.payload(forged, certificate.signature)])
    assert result.exit_code != 0 and "unknown signing key 202601-deadbeef" in result.output
    # The right key id, but a signature made by another key, is an altered certificate.
    other = signing.new_private_key()
    foreign = signing.payload(claims, signing.sign(claims, other))
    result = runner.invoke(args=["verify-offline", foreign])
    assert result.exit_code != 0 and "signature does not match" in result.output


def test_retired_key_still_verifies_and_says_so(app, runner, learner):
    certificate = issue(learner, make_course())
    result = runner.invoke(args=["rotate-signing-key"])
    assert result.exit_code == 0 and "new signing key" in result.output
    result = runner.invoke(args=["verify-offline", services.payload_of(certificate)])
    assert result.exit_code == 0 and "retired" in result.output and "VALID" in result.output


def test_keys_file_saved_from_the_site(app, client, runner, learner, tmp_path):
    certificate = issue(learner, make_course())
    saved = tmp_path / "keys.json"
    saved.write_text(json.dumps(client.get("/verify/keys.json").get_json()))
    result = runner.invoke(args=["verify-offline", "--keys", str(saved), services.payload_of(certificate)])
    assert result.exit_code == 0 and "VALID" in result.output
    saved.write_text(json.dumps({"keys": {}}))
    result = runner.invoke(args=["verify-offline", "--keys", str(saved), services.payload_of(certificate)])
    assert result.exit_code != 0 and "unknown signing key" in result.output
    saved.write_text("not json")
    result = runner.invoke(args=["verify-offline", "--keys", str(saved), services.payload_of(certificate)])
    assert result.exit_code != 0 and "is not a keys.json" in result.output


def test_garbage_and_images_without_a_code_are_refused(app, runner, tmp_path):
    result = runner.invoke(args=["verify-offline", "hello"])
    assert result.exit_code != 0 and "not a certificate payload" in result.output
    blank = tmp_path / "blank.png"
    from PIL import Image

    Image.new("L", (200, 200), 255).save(blank)
    result = runner.invoke(args=["verify-offline", str(blank)])
    assert result.exit_code != 0 and "no QR code found" in result.output
    result = runner.invoke(args=["verify-offline", "CPT1." + "A" * 5000])
    assert result.exit_code != 0 and len(result.output.splitlines()) == 1


def test_rotate_signing_key_retires_the_old_one_and_is_audited(app, runner, learner):
    first_id, _ = keys.active_key()
    db.session.commit()
    result = runner.invoke(args=["rotate-signing-key"])
    assert result.exit_code == 0
    db.session.expire_all()
    rows = {row.key_id: row for row in db.session.scalars(select(SigningKey))}
    [new_id] = [key_id for key_id, row in rows.items() if row.retired_at is None]
    assert new_id != first_id and rows[first_id].retired_at is not None
    assert new_id.startswith(f"{date.today():%Y%m}-") and new_id in result.output
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "signing_key_rotated"))
    assert event.target == f"signing_key:{new_id}"
    # New certificates are signed with the new key.
    assert issue(learner, make_course()).key_id == new_id
