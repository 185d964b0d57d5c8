"""In-person sessions: who may do what, marks stored exactly once, the merge of two trainers'
marks, bad input refused with nothing changed, and a pass becoming in-person completions and the
course certificate."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from audit.models import AuditEvent
from certificates.models import Certificate
from extensions import db
from inperson import services
from inperson.models import Attendance, AttendanceMark, SessionEvidence
from tests import factories
from tests.conftest import login_as
from tests.inperson_factories import make_course, make_session, unit_people
from training.models import Completion


@pytest.fixture
def mission_trainer(app, mission_a):
    user = factories.make_user(mission=mission_a, unit=mission_a.units[0], name="Mia Trainer",
                               roles=[("mission_trainer", mission_a)])
    db.session.commit()
    return user


def _mark(person, present=True, score=None, client_id=None, at=None):
    mark = {"id": client_id or uuid.uuid4().hex, "person": person.service_number, "present": present, "score": score}
    if at:
        mark["at"] = at
    return mark


def _sync(client, session, marks):
    return client.post(f"/training-sessions/{session.id}/marks", json={"marks": marks})


def _count(model, **where):
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def test_a_mission_trainer_sees_and_records_only_their_missions_people(client, mission_a, mission_b,
                                                                        mission_trainer, admin):
    own = make_session(admin, mission_a)
    other = make_session(admin, mission_b)
    [in_a] = unit_people(mission_a, mission_a.units[0], 1)
    [in_b] = unit_people(mission_b, mission_b.units[0], 1)
    login_as(client, mission_trainer)

    listing = client.get("/training-sessions/?scope=all").get_data(as_text=True)
    assert f"/training-sessions/{own.id}\"" in listing and f"/training-sessions/{other.id}\"" not in listing
    assert client.get(f"/training-sessions/{other.id}").status_code == 403
    assert client.get(f"/training-sessions/{other.id}/sheet.pdf").status_code == 403
    assert _sync(client, other, [_mark(in_b)]).status_code == 403
    # Someone of mission B is not on mission A's roster, even on mission A's sheet.
    refused = _sync(client, own, [_mark(in_b, score=90)])
    assert refused.status_code == 422
    assert "not on the roster of MISSA" in next(iter(refused.json["refused"].values()))
    assert _count(AttendanceMark) == 0 and _count(Attendance) == 0

    assert _sync(client, own, [_mark(in_a, score=90)]).status_code == 200
    assert _count(Attendance, session_id=own.id, user_id=in_a.id) == 1
    # Planning: only their own mission is offered.
    page = client.get("/training-sessions/new").get_data(as_text=True)
    assert "MISSA" in page and "MISSB" not in page


def test_hq_and_the_lead_read_but_do_not_record(client, mission_a, lead, hq, admin):
    session = make_session(admin, mission_a)
    for reader in (lead, hq):
        login_as(client, reader)
        assert client.get(f"/training-sessions/{session.id}").status_code == 200
        assert client.get(f"/training-sessions/{session.id}/attendance").status_code == 403
        assert client.post("/sign-out").status_code == 302


def test_a_sync_sent_twice_stores_each_mark_once(client, mission_a, mission_trainer, admin):
    session = make_session(admin, mission_a)
    people = unit_people(mission_a, mission_a.units[0], 3)
    login_as(client, mission_trainer)
    marks = [_mark(people[0], score=85), _mark(people[1], score=40), _mark(people[2], present=False)]

    first = _sync(client, session, marks)
    second = _sync(client, session, marks)  # the reply was lost: the device sends the same marks again

    assert first.status_code == 200 and len(first.json["accepted"]) == 3 and first.json["completed"] == [
        people[0].service_number]
    assert second.status_code == 200 and second.json["accepted"] == [] and len(second.json["duplicate"]) == 3
    assert _count(AttendanceMark) == 3 and _count(Attendance) == 3
    modules = len(session.module_ids)
    assert _count(Completion, user_id=people[0].id, delivery_mode="in_person") == modules
    assert _count(Certificate, user_id=people[0].id) == 1
    assert _count(Completion, user_id=people[1].id) == 0
    assert _count(AuditEvent, action="attendance_marked") == 3


def test_two_trainers_marking_one_person_lose_nothing(client, app, mission_a, mission_trainer, admin):
    session = make_session(admin, mission_a, pass_mark=95)
    [person] = unit_people(mission_a, mission_a.units[0], 1)
    other_trainer = factories.make_user(mission=mission_a, name="Omar Trainer", roles=[("mission_trainer", mission_a)])
    db.session.commit()
    now = f"{date.today().isoformat()}T10:00:00Z"
    later = f"{date.today().isoformat()}T10:05:00Z"

    login_as(client, mission_trainer)
    assert _sync(client, session, [_mark(person, score=80, at=now)]).status_code == 200
    other = app.test_client()
    login_as(other, other_trainer)
    # Offline, the second trainer saw nobody tick this person and left them absent.
    assert _sync(other, session, [_mark(person, present=False, at=now)]).status_code == 200
    row = db.session.scalar(select(Attendance).filter_by(user_id=person.id))
    assert (row.is_present, row.paper_score, row.recorded_by_id) == (True, 80, mission_trainer.id)  # present wins

    # The first trainer corrects their own typing: their latest mark is what they say now.
    assert _sync(client, session, [_mark(person, score=75, at=later)]).status_code == 200
    db.session.refresh(row)
    assert row.paper_score == 75
    # The second trainer read the paper as 96: the higher score wins, and it is theirs.
    assert _sync(other, session, [_mark(person, score=96, at=later)]).status_code == 200
    db.session.refresh(row)
    assert (row.is_present, row.paper_score, row.recorded_by_id) == (True, 96, other_trainer.id)
    assert row.completed_at is not None  # 96 >= 95
    recorders = set(db.session.scalars(select(AttendanceMark.recorded_by_id)))
    assert recorders == {mission_trainer.id, other_trainer.id} and _count(AttendanceMark) == 4
    audited = set(db.session.scalars(select(AuditEvent.actor_id).where(AuditEvent.action == "attendance_marked")))
    assert audited == {mission_trainer.id, other_trainer.id}


@pytest.mark.parametrize(("score", "present", "message"), [
    (101, True, "the score must be a number from 0 to 100"),
    (-1, True, "the score must be a number from 0 to 100"),
    (50, False, "a score needs the person ticked as present"),
])
def test_a_bad_mark_is_refused_with_its_reason_and_nothing_is_stored(client, mission_a, mission_trainer, admin,
                                                                     score, present, message):
    session = make_session(admin, mission_a)
    good, bad = unit_people(mission_a, mission_a.units[0], 2)
    login_as(client, mission_trainer)
    bad_mark = _mark(bad, present=present, score=score)

    response = _sync(client, session, [_mark(good, score=90), bad_mark])

    assert response.status_code == 422
    assert list(response.json["refused"]) == [bad_mark["id"]]
    assert message in response.json["refused"][bad_mark["id"]] and bad.service_number in response.json["refused"][
        bad_mark["id"]]
    assert _count(AttendanceMark) == 0 and _count(Attendance) == 0 and _count(Completion) == 0


def test_malformed_json_and_a_session_not_yet_held_change_nothing(client, mission_a, mission_trainer, admin):
    later = make_session(admin, mission_a, held_on=date.today() + timedelta(days=7))
    [person] = unit_people(mission_a, mission_a.units[0], 1)
    login_as(client, mission_trainer)
    assert _sync(client, later, [{"id": "short", "person": person.service_number, "present": True}]).status_code == 400
    assert _sync(client, later, [{**_mark(person), "score": "90"}]).status_code == 400
    early = _sync(client, later, [_mark(person, score=90)])
    assert early.status_code == 422 and "attendance can be recorded from that day" in early.json["message"]
    assert _count(AttendanceMark) == 0


def test_a_pass_records_in_person_completions_and_the_certificate_says_so(client, mission_a, mission_trainer,
                                                                           admin):
    session = make_session(admin, mission_a)
    [person] = unit_people(mission_a, mission_a.units[0], 1)
    login_as(client, mission_trainer)
    assert _sync(client, session, [_mark(person, score=70)]).status_code == 200  # exactly the pass mark

    completions = db.session.scalars(select(Completion).filter_by(user_id=person.id)).all()
    assert {c.delivery_mode for c in completions} == {"in_person"} and len(completions) == len(session.module_ids)
    certificate = db.session.scalar(select(Certificate).filter_by(user_id=person.id))
    assert certificate.delivery_mode == "in_person"
    assert certificate.issued_at.date() == session.held_on
    client.post("/sign-out")
    login_as(client, person)
    pdf = client.get(f"/certificates/{certificate.id}/certificate.pdf")
    assert "Training given in person" in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    public = client.get(f"/verify/{certificate.code}.json").json
    assert "in_person" not in str(public) and set(public) >= {"name", "course", "issued", "expires", "status"}


def test_without_javascript_the_plain_form_records_attendance(client, mission_a, mission_trainer, admin):
    session = make_session(admin, mission_a)
    first, second = unit_people(mission_a, mission_a.units[0], 2)
    login_as(client, mission_trainer)
    page = client.get(f"/training-sessions/{session.id}/attendance").get_data(as_text=True)
    assert first.service_number in page and f'name="p{first.id}"' in page

    bad = client.post(f"/training-sessions/{session.id}/attendance", data={f"p{first.id}": "y", f"s{first.id}": "150"})
    assert bad.status_code == 200 and "Give a score from 0 to 100." in bad.get_data(as_text=True)
    assert _count(AttendanceMark) == 0

    saved = client.post(f"/training-sessions/{session.id}/attendance",
                        data={f"s{first.id}": "88", f"p{second.id}": "y"})
    assert saved.status_code == 302
    rows = {r.user_id: r for r in db.session.scalars(select(Attendance))}
    assert (rows[first.id].is_present, rows[first.id].paper_score) == (True, 88)  # a score ticks them present
    assert (rows[second.id].is_present, rows[second.id].paper_score) == (True, None)
    again = client.post(f"/training-sessions/{session.id}/attendance",
                        data={f"p{first.id}": "y", f"s{first.id}": "88", f"p{second.id}": "y"})
    assert again.status_code == 302 and _count(AttendanceMark) == 2  # nothing changed, nothing sent


def test_a_walk_in_from_the_missions_roster(client, mission_a, mission_b, mission_trainer, admin):
    other_unit = factories.make_unit(mission_a, code="A-ENG-2")
    session = make_session(admin, mission_a)
    walk_in = factories.make_user(mission=mission_a, unit=other_unit, name="Walk In")
    stranger = factories.make_user(mission=mission_b, unit=mission_b.units[0], name="Stranger")
    db.session.commit()
    login_as(client, mission_trainer)

    refused = client.post(f"/training-sessions/{session.id}/attendance", data={"walk_in": stranger.service_number})
    assert refused.status_code == 200 and "not on the roster of MISSA" in refused.get_data(as_text=True)
    assert _count(Attendance) == 0
    client.post(f"/training-sessions/{session.id}/attendance", data={"walk_in": walk_in.service_number,
                                                                     "walk_in_score": "91"})
    row = db.session.scalar(select(Attendance).filter_by(user_id=walk_in.id))
    assert row.is_walk_in and row.paper_score == 91
    sheet = PdfReader(io.BytesIO(client.get(f"/training-sessions/{session.id}/sheet.pdf").data))
    assert walk_in.service_number in sheet.pages[0].extract_text()  # a reprinted sheet lists recorded walk-ins


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_attendance_sheet_lists_the_units_people(client, mission_a, mission_trainer, admin, language):
    session = make_session(admin, mission_a, language=language)
    people = unit_people(mission_a, mission_a.units[0], 30)
    people[0].name_arabic = "محمد عبد الله"
    db.session.commit()
    login_as(client, mission_trainer)
    response = client.get(f"/training-sessions/{session.id}/sheet.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    content = "".join(page.get_contents().get_data().decode("latin-1") for page in reader.pages)
    assert len(reader.pages) == 2  # 30 people and 5 blank rows, 22 rows a page
    assert all(p.service_number in text for p in people)
    if language == "en":
        assert "Attendance sheet" in text and "Signature" in text and "Soldier 05" in text
    else:
        assert "ورقة الحضور" in text and "التوقيع" in text
        # The Arabic-script name is printed, and copies in reading order (/ActualText).
        assert "محمد عبد الله".encode("utf-16-be").hex().upper() in content


def test_a_scanned_sheet_is_re_encoded_and_only_readers_see_it(client, mission_a, mission_trainer, learner, admin):
    session = make_session(admin, mission_a)
    [person] = unit_people(mission_a, mission_a.units[0], 1)
    login_as(client, mission_trainer)
    _sync(client, session, [_mark(person)])
    raw = io.BytesIO()
    Image.new("RGB", (60, 40), (250, 250, 250)).save(raw, format="PNG")
    raw.seek(0)
    not_a_picture = client.post(f"/training-sessions/{session.id}/evidence",
                                data={"scan": (io.BytesIO(b"<svg onload=alert(1)>"), "sheet.svg")})
    assert "only plain pictures are accepted" in client.get(not_a_picture.location).get_data(as_text=True)
    assert _count(SessionEvidence) == 0

    client.post(f"/training-sessions/{session.id}/evidence", data={"scan": (raw, "sheet.png")})
    scan = db.session.scalar(select(SessionEvidence))
    assert scan.media_type == "image/webp" and scan.data[8:12] == b"WEBP"
    assert db.session.scalar(select(Attendance.evidence_id)) == scan.id
    url = f"/training-sessions/{session.id}/evidence/{scan.sha256}.webp"
    assert client.get(url).status_code == 200
    client.post("/sign-out")
    login_as(client, learner)
    assert client.get(url).status_code == 403


def test_the_trainers_list_counts_and_exports(client, mission_a, mission_trainer, admin):
    mine = make_session(mission_trainer, mission_a)
    make_session(admin, mission_a)  # planned by the admin, who named no trainer: not the trainer's
    people = unit_people(mission_a, mission_a.units[0], 3)
    login_as(client, mission_trainer)
    _sync(client, mine, [_mark(people[0], score=90), _mark(people[1], score=10), _mark(people[2], present=False)])

    [summary] = services.visible_sessions({mission_a.id}, trainer=mission_trainer)
    assert (summary.session.id, summary.present, summary.passed) == (mine.id, 2, 1)
    csv = client.get("/training-sessions/export?format=csv").get_data(as_text=True)
    assert csv.count("\n") == 2 and "Camp Kavumu" in csv and csv.strip().endswith(",2,1")
    xlsx = client.get("/training-sessions/export?format=xlsx&scope=all")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert client.get("/training-sessions/export?format=pdf").status_code == 404


def test_sessions_held_per_month(app, mission_a, mission_b, admin):
    course = make_course(modules=1)
    for day in (date(2026, 10, 3), date(2026, 10, 20), date(2026, 11, 2)):
        make_session(admin, mission_a, course=course, held_on=day)
    make_session(admin, mission_b, course=course, held_on=date(2026, 11, 9))

    assert services.sessions_per_month() == [("2026-10", 2), ("2026-11", 2)]
    assert services.sessions_per_month({mission_b.id}) == [("2026-11", 1)]
    assert services.sessions_per_month(since=date(2026, 11, 1)) == [("2026-11", 2)]


def test_an_admin_grants_the_mission_trainer_role_for_a_mission(client, admin, mission_a):
    person = factories.make_user(mission=mission_a, name="New Trainer")
    db.session.commit()
    login_as(client, admin)
    missing = client.post(f"/admin/people/{person.id}/roles", data={"role-role": "mission_trainer", "role-mission_id": "0"})
    assert "Choose the mission this person trains in." in missing.get_data(as_text=True)
    client.post(f"/admin/people/{person.id}/roles", data={"role-role": "mission_trainer", "role-mission_id": str(mission_a.id)})
    db.session.refresh(person)
    assert person.trainer_mission_ids() == {mission_a.id}


def test_parallel_syncs_of_two_trainers_and_a_resent_batch_lose_nothing(app, mission_a, mission_trainer, admin):
    """Real threads and commits: trainer A's batch sent three times at once (a flaky link) and
    trainer B's marks for the same people, all together."""
    import threading

    session = make_session(admin, mission_a)
    people = unit_people(mission_a, mission_a.units[0], 4)
    other_trainer = factories.make_user(mission=mission_a, name="Omar Trainer", roles=[("mission_trainer", mission_a)])
    db.session.commit()
    batch_a = [_mark(p, score=90) for p in people]
    batch_b = [_mark(p, present=False) for p in people]
    clients = []
    for trainer, batch in ((mission_trainer, batch_a), (mission_trainer, batch_a), (mission_trainer, batch_a),
                           (other_trainer, batch_b)):
        each = app.test_client()
        login_as(each, trainer)
        clients.append((each, batch))
    barrier = threading.Barrier(len(clients))
    statuses, errors = [], []
    url = f"/training-sessions/{session.id}/marks"  # read here: the threads have no app context

    def run(each, batch):
        try:
            barrier.wait(timeout=10)
            statuses.append(each.post(url, json={"marks": batch}).status_code)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors and sorted(statuses) == [200, 200, 200, 200]
    db.session.commit()
    assert _count(AttendanceMark) == 8  # 4 of A's (each once) and 4 of B's
    rows = db.session.scalars(select(Attendance)).all()
    assert len(rows) == 4 and all(r.is_present and r.paper_score == 90 for r in rows)  # present wins, score kept
    for person in people:
        assert _count(Certificate, user_id=person.id) == 1
