"""One signing key for every host, sealed in the database; a key that cannot be read is an error."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import func, select

from audit.models import AuditEvent
from certificates import keys, services, signing
from certificates.models import SigningKey
from extensions import db
from tests import certificate_factories as cf


def _key_count() -> int:
    return db.session.scalar(select(func.count(SigningKey.id)))


def test_two_hosts_with_their_own_instance_folders_sign_with_one_key(app, make_app, learner, tmp_path):
    """Two app servers on one database, each with its own instance/ folder, issue alternately."""
    hosts = [make_app(SIGNING_KEY_DIR=str(tmp_path / f"host-{n}" / "signing-keys")) for n in (1, 2)]
    courses = [cf.make_course() for _ in range(4)]
    payloads = []
    for n, course in enumerate(courses):
        with hosts[n % 2].app_context():
            certificate = services.issue_for_course(db.session.merge(learner), db.session.merge(course))
            db.session.commit()
            payloads.append((certificate.key_id, services.payload_of(certificate), certificate.code))
    db.session.expire_all()
    assert _key_count() == 1
    assert len({key_id for key_id, _, _ in payloads}) == 1
    published = keys.public_keys()
    client = app.test_client()
    for _key_id, payload, code in payloads:
        assert signing.verify_payload(payload, published).name == learner.name  # offline
        assert client.get(f"/verify/{code}.json").get_json()["status"] == "valid"  # online
    # Neither host wrote a private key file: the folders hold nothing a backup could miss.
    assert not list(tmp_path.rglob("*.pem"))


def test_the_private_key_is_stored_sealed_not_in_clear(app, learner):
    certificate = cf.issue(learner, cf.make_course())
    row = db.session.scalar(select(SigningKey))
    _key_id, private_key = keys.active_key()
    raw = private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
    assert row.private_key_encrypted and raw not in bytes(row.private_key_encrypted)
    assert certificate.key_id == row.key_id


def test_wrong_key_encryption_key_is_an_error_never_a_new_key(app, make_app, learner, caplog):
    cf.issue(learner, cf.make_course())
    other = make_app(KEY_ENCRYPTION_KEY="a-different-secret")
    with other.app_context(), caplog.at_level(logging.ERROR, logger="certificates.keys"):
        with pytest.raises(keys.SigningKeyUnavailable, match="KEY_ENCRYPTION_KEY"):
            keys.active_key()
        db.session.rollback()
    assert _key_count() == 1
    assert "cannot be used" in caplog.text and "a-different-secret" not in caplog.text


def test_a_request_that_needs_an_unreadable_key_is_refused_whole_and_audited(app, make_app, learner):
    cf.issue(learner, cf.make_course())  # the key exists, sealed with the test secret
    course = cf.make_course()
    learner_id, course_id = learner.id, course.id
    other = make_app(KEY_ENCRYPTION_KEY="a-different-secret")

    @other.post("/_test/issue/<int:course_id>")
    def issue_now(course_id):  # stands for any view that issues a certificate
        from accounts.models import User
        from training.models import Course

        services.issue_for_course(db.session.get(User, learner_id), db.session.get(Course, course_id))
        db.session.commit()
        return "issued"

    response = other.test_client().post(f"/_test/issue/{course_id}")
    assert response.status_code == 503 and b"cannot be signed" in response.data
    db.session.expire_all()
    assert _key_count() == 1
    from certificates.models import Certificate

    assert db.session.scalar(select(func.count(Certificate.id)).where(Certificate.course_id == course_id)) == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "signing_key_unavailable"))
    assert event is not None and "KEY_ENCRYPTION_KEY" in event.details["reason"]


def _legacy_key(folder) -> tuple[SigningKey, object]:
    """A key as the previous version made it: public half in the table, private half in a file."""
    from datetime import date

    private_key = signing.new_private_key()
    public_text = signing.public_key_text(private_key)
    row = SigningKey(key_id=signing.key_id_for(public_text, date.today()), public_key=public_text)
    db.session.add(row)
    db.session.commit()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{row.key_id}.pem").write_bytes(private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return row, private_key


def test_an_existing_file_key_is_imported_and_keeps_signing(app, runner, learner):
    folder = Path(app.config["SIGNING_KEY_DIR"])
    row, _private = _legacy_key(folder)
    result = runner.invoke(args=["import-signing-keys"])
    assert result.exit_code == 0 and row.key_id in result.output
    db.session.expire_all()
    assert db.session.get(SigningKey, row.id).private_key_encrypted is not None
    (folder / f"{row.key_id}.pem").unlink()  # the file may go now: the database has the key
    certificate = cf.issue(learner, cf.make_course())
    assert certificate.key_id == row.key_id and _key_count() == 1
    assert signing.verify_payload(services.payload_of(certificate), keys.public_keys()).serial == certificate.serial


def test_a_file_key_whose_file_is_lost_is_an_error_not_a_silent_new_key(app, learner):
    folder = Path(app.config["SIGNING_KEY_DIR"])
    row, _private = _legacy_key(folder)
    (folder / f"{row.key_id}.pem").unlink()
    with pytest.raises(keys.SigningKeyUnavailable, match="neither in the database"):
        keys.active_key()
    db.session.rollback()
    assert _key_count() == 1 and db.session.get(SigningKey, row.id).retired_at is None
