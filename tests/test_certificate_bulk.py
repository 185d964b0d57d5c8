"""A mission's certificates as a streamed ZIP: who may have it, and what is in it."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, timedelta, timezone

from pypdf import PdfReader
from sqlalchemy import select

from audit.models import AuditEvent
from certificates import bulk, services
from extensions import db
from tests import factories
from tests.certificate_factories import issue, make_course
from tests.conftest import login_as


def _zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200 and response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


def test_lead_gets_the_valid_certificates_of_people_deployed_in_their_mission(app, client, lead, learner, admin,
                                                                              mission_a, mission_b):
    course, other_course = make_course(), make_course()
    wanted = [issue(learner, course), issue(learner, other_course)]
    colleague = factories.make_user(mission=mission_a, name="Amina Colleague")
    wanted.append(issue(colleague, course))
    elsewhere = issue(factories.make_user(mission=mission_b, name="In Mission B"), course)
    left = factories.make_user(mission=mission_a, name="Rotated Out", arrival_on=date.today() - timedelta(days=400))
    left.deployments[0].departure_on = date.today() - timedelta(days=10)
    gone = issue(left, course)
    revoked = issue(factories.make_user(mission=mission_a, name="Revoked Person"), course)
    services.revoke(revoked, actor=admin, reason="Error")
    expired = issue(factories.make_user(mission=mission_a, name="Expired Person"), make_course(validity_months=6),
                    datetime.now(timezone.utc) - timedelta(days=300))
    superseded = issue(colleague, other_course, datetime.now(timezone.utc) - timedelta(days=720))
    renewed = issue(colleague, other_course)
    wanted.append(renewed)
    db.session.commit()

    login_as(client, lead)
    response = client.get(f"/missions/{mission_a.id}/certificates.zip")
    assert response.is_streamed and "Content-Length" not in response.headers
    archive = _zip(response)
    assert response.headers["X-Certificate-Count"] == str(len(wanted))
    folder = f"certificates-MISSA-{date.today():%Y-%m-%d}"
    names = archive.namelist()
    pdf_names = sorted(name for name in names if name.endswith(".pdf"))
    assert pdf_names == sorted(f"{folder}/{_service_number(c)}_{c.serial}.pdf" for c in wanted)
    for excluded in (elsewhere, gone, revoked, expired, superseded):
        assert not any(excluded.serial in name for name in names)
    first = archive.read(pdf_names[0])
    assert PdfReader(io.BytesIO(first)).pages[0].extract_text().count("Certificate of completion") == 1
    index = list(csv.reader(io.StringIO(archive.read(f"{folder}/index.csv").decode("utf-8-sig"))))
    assert index[0] == ["service_number", "name", "course", "serial", "issued", "expires", "verify_url"]
    assert sorted(row[3] for row in index[1:]) == sorted(c.serial for c in wanted)
    assert archive.testzip() is None
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificates_exported"))
    assert event.actor_id == lead.id and event.target == "mission:MISSA" and event.details == {"count": len(wanted)}


def _service_number(certificate) -> str:
    from accounts.models import User

    return db.session.get(User, certificate.user_id).service_number


def test_lead_is_refused_another_missions_zip(app, client, lead, mission_b):
    issue(factories.make_user(mission=mission_b, name="In Mission B"), make_course())
    login_as(client, lead)
    response = client.get(f"/missions/{mission_b.id}/certificates.zip")
    assert response.status_code == 403
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificates_exported")) is None
    assert client.get("/missions/99999/certificates.zip").status_code == 404


def test_hq_and_admin_get_any_mission_learner_and_trainer_do_not(app, client, hq, admin, learner, trainer,
                                                                 mission_b):
    certificate = issue(factories.make_user(mission=mission_b, name="In Mission B"), make_course())
    for user in (hq, admin):
        login_as(client, user)
        assert any(certificate.serial in name for name in _zip(client.get(f"/missions/{mission_b.id}/certificates.zip")).namelist())
        client.post("/sign-out")
    for user in (learner, trainer):
        login_as(client, user)
        assert client.get(f"/missions/{mission_b.id}/certificates.zip").status_code == 403
        client.post("/sign-out")
    assert client.get(f"/missions/{mission_b.id}/certificates.zip").status_code == 302  # anonymous: sign in


def test_empty_mission_gives_a_valid_zip_with_only_the_index(app, client, lead, mission_a):
    login_as(client, lead)
    archive = _zip(client.get(f"/missions/{mission_a.id}/certificates.zip"))
    assert [name.rsplit("/", 1)[1] for name in archive.namelist()] == ["index.csv"]


def test_zip_is_written_as_it_is_read(app, mission_a):
    """One chunk per certificate, read in batches: nothing waits for the whole archive."""
    course = make_course()
    for n in range(5):
        issue(factories.make_user(mission=mission_a, name=f"Person {n}"), course)
    rendered = []

    def fake_render(document: dict) -> bytes:
        rendered.append(document["serial"])
        return b"%PDF-fake " + document["serial"].encode()

    chunks = bulk.zip_chunks(lambda: bulk.rows_for_mission(mission_a.id, batch=2), "out", "https://example.org",
                             render=fake_render)
    first = next(chunks)
    assert len(rendered) == 1 and first.startswith(b"PK\x03\x04")  # the first file is out before the second is made
    rest = b"".join(chunks)
    archive = zipfile.ZipFile(io.BytesIO(first + rest))
    assert len(rendered) == 5 and len(archive.namelist()) == 6
    assert bulk.count_for_mission(mission_a.id) == 5
