"""Recognised outside certificates: a lead records them for their own mission's people only, HQ
reads, learners get nothing; each record, change and removal is audited; the evidence is
re-encoded; a recognised person is "cleared (recognised)" until the recognition's own expiry; a CSV
file is checked row by row and recorded all or nothing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from audit.models import AuditEvent
from database import utcnow
from extensions import db
from readiness.rule import requirements_for
from recognition.models import OutsideCertificate
from recognition.services import expiry_instant
from tests import factories
from tests import report_factories as rf
from tests.conftest import login_as
from tests.training_factories import make_course, make_module, make_requirement


@pytest.fixture
def setting(app, mission_a, mission_b):
    course = make_course(code="cp-basics", title={"en": "Child Protection Basics"})
    make_module(course, lessons=1)
    requirement_a = make_requirement(course, mission=mission_a, due_days=10)
    requirement_b = make_requirement(course, mission=mission_b, due_days=10)
    ours = rf.person(mission_a, None, name="Amina Ours", days_in=40, service_number="A-100")
    theirs = rf.person(mission_b, None, name="Boris Theirs", days_in=40, service_number="B-200")
    lead = factories.make_user(roles=[("mission_lead", mission_a)], name="Leila Lead", category="civilian")
    db.session.commit()
    return {"course": course, "a": requirement_a, "b": requirement_b, "ours": ours, "theirs": theirs, "lead": lead,
            "mission_a": mission_a, "mission_b": mission_b}


def _png() -> bytes:
    raw = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(raw, format="PNG")
    return raw.getvalue()


def _form(setting, **overrides) -> dict:
    today = utcnow().date()
    data = {"service_number": "A-100", "requirement_id": str(setting["a"].id), "issuer": "UNITAR",
            "course_name": "Child protection in peace operations", "completed_on": (today - timedelta(days=100)).isoformat(),
            "certificate_expires_on": (today + timedelta(days=600)).isoformat(),
            "recognised_until": (today + timedelta(days=365)).isoformat()}
    data.update(overrides)
    return data


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _count() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count(OutsideCertificate.id)))


def test_a_lead_records_one_for_their_own_person_and_it_clears_them(client, setting):
    mission = setting["mission_a"]
    login_as(client, setting["lead"])
    assert requirements_for(setting["ours"])[0][1].status == "overdue"
    response = client.post(f"/recognised/missions/{mission.id}/new",
                           data={**_form(setting), "evidence": (io.BytesIO(_png()), "scan.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    outside = db.session.scalars(select(OutsideCertificate)).one()
    assert outside.user_id == setting["ours"].id and outside.recorded_by_id == setting["lead"].id
    [event] = _events("outside_certificate_recorded")
    assert event.actor_id == setting["lead"].id and event.details["person"] == "A-100"
    assert event.details["recognised_until"] == outside.expires_on.isoformat()

    readiness = requirements_for(setting["ours"])[0][1]
    assert (readiness.status, readiness.recognised, readiness.cleared_until) == ("cleared", True, outside.expires_on)
    listed = client.get(f"/recognised/missions/{mission.id}").get_data(as_text=True)
    assert "Amina Ours" in listed and "UNITAR" in listed
    evidence = client.get(f"/recognised/{outside.id}/evidence")
    assert evidence.status_code == 200 and evidence.mimetype == "image/webp"
    assert evidence.data != _png() and Image.open(io.BytesIO(evidence.data)).format == "WEBP"
    # The dashboard counts them among the cleared, and says by what.
    board = client.get(f"/missions/{mission.id}/dashboard").get_data(as_text=True)
    cleared_cell = rf.table(board, "Readiness per required course").row("Child Protection Basics")[2]
    assert cleared_cell.startswith("1 (100%)") and "recognised 1" in cleared_cell


def test_a_recognition_ends_on_its_own_day(client, setting):
    """Cleared (recognised) until the day before recognised_until; then expired on that day."""
    login_as(client, setting["lead"])
    until = utcnow().date() + timedelta(days=20)
    client.post(f"/recognised/missions/{setting['mission_a'].id}/new",
                data=_form(setting, recognised_until=until.isoformat()))
    assert requirements_for(setting["ours"], until - timedelta(days=1))[0][1].status == "cleared"
    ended = requirements_for(setting["ours"], until)[0][1]
    assert (ended.status, ended.expired_on) == ("expired", until)


def test_a_lead_cannot_record_for_another_missions_people(client, setting):
    login_as(client, setting["lead"])
    other = setting["mission_b"]
    assert client.get(f"/recognised/missions/{other.id}/new").status_code == 403
    assert client.post(f"/recognised/missions/{other.id}/new",
                       data=_form(setting, service_number="B-200", requirement_id=str(setting["b"].id))).status_code == 403
    # Through their own mission's form, someone deployed elsewhere is refused by name.
    page = client.post(f"/recognised/missions/{setting['mission_a'].id}/new", data=_form(setting, service_number="B-200"))
    assert page.status_code == 200 and "Nobody with this service number is deployed in" in page.get_data(as_text=True)
    assert _count() == 0 and not _events("outside_certificate_recorded")


def test_hq_reads_and_learners_get_nothing(app, client, setting, hq, admin, learner):
    login_as(client, admin)
    client.post(f"/recognised/missions/{setting['mission_b'].id}/new",
                data={**_form(setting, service_number="B-200", requirement_id=str(setting["b"].id)),
                      "evidence": (io.BytesIO(_png()), "scan.png")}, content_type="multipart/form-data")
    outside = db.session.scalars(select(OutsideCertificate)).one()
    client = app.test_client()  # signing in again while signed in would keep the admin
    login_as(client, hq)
    assert client.get(f"/recognised/missions/{setting['mission_b'].id}").status_code == 200
    assert client.get(f"/recognised/{outside.id}/evidence").status_code == 200
    assert client.get(f"/recognised/{outside.id}/edit").status_code == 403
    assert client.post(f"/recognised/{outside.id}/remove").status_code == 403
    client = app.test_client()
    login_as(client, learner)
    for url in (f"/recognised/missions/{setting['mission_b'].id}", f"/recognised/{outside.id}/evidence",
                f"/recognised/{outside.id}/edit"):
        assert client.get(url).status_code == 403, url
    db.session.refresh(outside)
    assert outside.removed_at is None


def test_change_and_removal_are_audited_and_removal_stops_it_counting(client, setting):
    login_as(client, setting["lead"])
    client.post(f"/recognised/missions/{setting['mission_a'].id}/new", data=_form(setting))
    outside = db.session.scalars(select(OutsideCertificate)).one()
    later = utcnow().date() + timedelta(days=500)
    response = client.post(f"/recognised/{outside.id}/edit", data={**_form(setting), "issuer": "DPPA",
                                                                    "recognised_until": later.isoformat()})
    assert response.status_code == 302
    [changed] = _events("outside_certificate_changed")
    assert changed.details["before"]["issuer"] == "UNITAR" and changed.details["after"]["issuer"] == "DPPA"
    assert changed.details["after"]["recognised_until"] == later.isoformat()

    assert client.post(f"/recognised/{outside.id}/remove").status_code == 302
    db.session.refresh(outside)
    assert outside.removed_at is not None and len(_events("outside_certificate_removed")) == 1
    assert requirements_for(setting["ours"])[0][1].status == "overdue"
    assert client.get(f"/recognised/{outside.id}/edit").status_code == 404


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"recognised_until": "2020-01-01"}, "the recognition must end after today"),
    ({"certificate_expires_on": (utcnow().date() + timedelta(days=30)).isoformat()},
     "cannot last beyond the certificate&#39;s own expiry"),
], ids=["ended", "beyond-expiry"])
def test_bad_details_are_refused_and_nothing_is_recorded(client, setting, overrides, reason):
    login_as(client, setting["lead"])
    page = client.post(f"/recognised/missions/{setting['mission_a'].id}/new", data=_form(setting, **overrides))
    assert page.status_code == 200 and reason in page.get_data(as_text=True)
    assert _count() == 0


def test_evidence_that_is_not_a_picture_is_refused(client, setting):
    login_as(client, setting["lead"])
    page = client.post(f"/recognised/missions/{setting['mission_a'].id}/new",
                       data={**_form(setting), "evidence": (io.BytesIO(b"%PDF-1.7 not a picture"), "scan.pdf")},
                       content_type="multipart/form-data")
    assert page.status_code == 200 and "not a JPEG, PNG, WebP or GIF picture" in page.get_data(as_text=True)
    assert _count() == 0


# --- CSV --------------------------------------------------------------------------------------------

HEADER = "service_number,course,issuer,course_name,completed_on,certificate_expires_on,recognised_until\n"


def _csv(*rows: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO((HEADER + "".join(row + "\n" for row in rows)).encode()), "outside.csv"


def _dates(days_ago: int = 100, until: int = 365) -> str:
    today = utcnow().date()
    return f"{(today - timedelta(days=days_ago)).isoformat()},,{(today + timedelta(days=until)).isoformat()}"


def test_csv_bad_rows_are_reported_by_line_and_nothing_is_recorded(client, setting):
    second = rf.person(setting["mission_a"], None, name="Chidi Second", days_in=20, service_number="A-101")
    db.session.commit()
    login_as(client, setting["lead"])
    url = f"/recognised/missions/{setting['mission_a'].id}/import"
    upload = _csv(f"A-100,cp-basics,UNITAR,Child protection,{_dates()}",
                  f"B-200,cp-basics,UNITAR,Child protection,{_dates()}",
                  f"A-101,no-such-course,,Child protection,2026-13-01,,{_dates(0, 30).split(',')[-1]}",
                  f"A-100,cp-basics,UNITAR,Again,{_dates()}")
    page = client.post(url, data={"file": upload}, content_type="multipart/form-data").get_data(as_text=True)
    errors = rf.table(page, "Rows with errors")
    by_line = {row[0]: row[1] for row in errors.body()}
    assert set(by_line) == {"2", "3", "4", "5"}
    assert "are also on line 5" in by_line["2"] and "are also on line 2" in by_line["5"]
    assert "B-200 is not deployed in" in by_line["3"]
    assert "issuer is missing" in by_line["4"] and "completed_on “2026-13-01” is not a date" in by_line["4"]
    assert "Record them all" not in page and "Nothing can be recorded until every row is right" in page
    assert _count() == 0 and second.id

    # A forged or stale "apply" is refused too, and records nothing.
    refused = client.post(f"{url}/apply", data={"payload": "forged"})
    assert refused.status_code == 400 and _count() == 0


def test_csv_good_file_is_previewed_then_recorded_whole(client, setting):
    rf.person(setting["mission_a"], None, name="Chidi Second", days_in=20, service_number="A-101")
    db.session.commit()
    login_as(client, setting["lead"])
    url = f"/recognised/missions/{setting['mission_a'].id}/import"
    page = client.post(url, data={"file": _csv(f"A-100,cp-basics,UNITAR,Child protection,{_dates()}",
                                               f"a-101,CP-BASICS,DPPA,Protection of civilians,{_dates(30, 200)}")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "2 rows: 2 to record, 0 with errors" in page and _count() == 0
    payload = page.split('name="payload" type="hidden" value="')[1].split('"')[0]
    assert client.post(f"{url}/apply", data={"payload": payload}).status_code == 302
    assert _count() == 2 and len(_events("outside_certificate_recorded")) == 2
    [imported] = _events("outside_certificates_imported")
    assert imported.details["recorded"] == 2 and imported.details["source"] == "outside.csv"
    # Applying the same check again finds them recorded: refused, nothing doubled.
    again = client.post(f"{url}/apply", data={"payload": payload})
    assert again.status_code == 400 and "already recognised" in again.get_data(as_text=True) and _count() == 2
    # The token names its mission: mission B's page refuses it even for an admin.
    assert client.post(f"/recognised/missions/{setting['mission_b'].id}/import/apply",
                       data={"payload": payload}).status_code == 403


def test_my_training_says_cleared_recognised_with_its_expiry(client, setting, learner):
    until = utcnow().date() + timedelta(days=200)
    db.session.add(OutsideCertificate(user_id=learner.id, requirement_id=setting["a"].id, issuer="UNITAR",
                                      course_name="Child protection", completed_on=utcnow().date() - timedelta(days=9),
                                      expires_at=expiry_instant(until), evidence_name=""))
    db.session.commit()
    login_as(client, learner)
    page = client.get("/training").get_data(as_text=True)
    assert "Cleared (recognised) until" in page and str(until.year) in page
