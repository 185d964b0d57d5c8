"""Roster import: the CLI (dry run, --apply, --keep-good-rows) and the admin upload page."""

from __future__ import annotations

import base64
import os
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from accounts.models import Deployment, SignInSession, User
from accounts.roster import RosterFileError, parse_roster, sign_upload
from audit.models import AuditEvent
from extensions import db
from tests import factories
from tests.conftest import login_as

FILES = Path(__file__).parent / "fixtures" / "roster"
HEADER = "service_number,name,email,category,rank,mission,unit,arrival_on,language"


def _state() -> dict[str, int]:
    return {"users": db.session.scalar(select(func.count()).select_from(User)),
            "deployments": db.session.scalar(select(func.count()).select_from(Deployment)),
            "events": db.session.scalar(select(func.count()).select_from(AuditEvent))}


def _user(number: str) -> User | None:
    return db.session.scalar(select(User).filter_by(service_number=number))


def _imports() -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).filter_by(action="roster_imported").order_by(AuditEvent.id)).all()


@pytest.fixture
def world(mission_a, mission_b):
    """Two missions, and three people already here: PK-200 (details change), PK-300 (moves), PK-999 (not in files)."""
    unit_a = mission_a.units[0]
    people = {
        "PK-200": factories.make_user(mission=mission_a, unit=unit_a, service_number="PK-200", name="Fatima Haddad-Old",
                                      email="f.haddad@example.org", arrival_on=date(2024, 1, 1)),
        "PK-300": factories.make_user(mission=mission_a, unit=unit_a, service_number="PK-300", name="Kwame Mensah",
                                      email="kwame@example.org", rank="Cpl", arrival_on=date(2024, 1, 1)),
        "PK-999": factories.make_user(mission=mission_a, unit=unit_a, service_number="PK-999", name="Not In File",
                                      arrival_on=date(2024, 1, 1)),
    }
    db.session.commit()
    return people


def _run(runner, name: str | Path, *options: str):
    path = name if isinstance(name, Path) else FILES / name
    return runner.invoke(args=["import-roster", str(path), *options])


# --- parsing (pure) --------------------------------------------------------------------------

def test_parse_checks_each_row_without_a_database():
    parsed = parse_roster((FILES / "bad.csv").read_text(encoding="utf-8"))
    assert parsed.total == 8
    assert [row.service_number for row in parsed.rows] == ["PK-400", "PK-501", "PK-502", "PK-401"]
    assert sorted(parsed.problems) == [3, 6, 7, 8]  # missions and units are checked against the database later
    assert "arrival_on “10/01/2025” is not a date written YYYY-MM-DD" in parsed.problems[6]
    assert len(parsed.problems[8]) == 3  # category, language and date, all reported at once


def test_line_numbers_count_cells_that_span_lines():
    text = HEADER + '\r\nPK-1,"Two\r\nLines",,military,,M,U,2025-01-01,en\r\n\r\nPK-2,No Date,,military,,M,U,,en\r\n'
    parsed = parse_roster(text)
    assert parsed.rows[0].name == "Two\r\nLines"
    assert parsed.problems == {5: ["arrival_on is missing"]}


@pytest.mark.parametrize("text, message", [
    ("", "The file is empty."),
    ("name,email\nx,y\n", "Wrong header (missing service_number"),
    (HEADER + ",extra\n", "unknown extra"),
    (HEADER.replace("rank", "name") + "\n", "repeated name"),
])
def test_file_level_problems(text, message):
    with pytest.raises(RosterFileError, match=re.escape(message)):
        parse_roster(text)


# --- command line ----------------------------------------------------------------------------

def test_dry_run_reports_and_changes_nothing(runner, world):
    before = _state()
    result = _run(runner, "good.csv")
    assert result.exit_code == 0, result.output
    assert "5 rows: 3 to create, 1 to update, 1 to move, 0 unchanged, 0 with errors." in result.output
    assert "create PK-100 Amina Diallo: MISSA / A-BATT-1 from 2025-01-10" in result.output
    assert "update PK-200 Fatima Haddad: name “Fatima Haddad-Old” -> “Fatima Haddad”" in result.output
    assert "move PK-300 Kwame Mensah: MISSA / A-BATT-1 -> MISSB / B-TEAM-1 on 2025-04-01" in result.output
    assert "Dry run: nothing was changed." in result.output
    assert _state() == before


def test_apply_creates_updates_and_moves(runner, world, mission_a, mission_b):
    result = _run(runner, "good.csv", "--apply")
    assert result.exit_code == 0, result.output
    assert "Imported: 3 created, 1 updated, 1 moved, 0 bad row(s) skipped." in result.output
    amina, jean, nadia = _user("PK-100"), _user("PK-101"), _user("PK-102")
    assert (amina.email, amina.preferred_language, amina.rank) == ("amina.diallo@example.org", "fr", "Sgt")
    assert (jean.email, jean.category, jean.preferred_language) == (None, "police", "en")  # MISSB speaks en first
    assert nadia.name == "Nadia Benali, Dr"
    assert [(d.mission_id, d.unit_id, d.arrival_on) for d in jean.deployments] == [
        (mission_b.id, mission_b.units[0].id, date(2025, 2, 1))]
    fatima = _user("PK-200")
    assert (fatima.name, fatima.email, fatima.category, fatima.rank, fatima.preferred_language) == (
        "Fatima Haddad", "fatima@example.org", "civilian", "", "ar")
    kwame = _user("PK-300")
    assert [(d.mission_id, d.arrival_on, d.departure_on) for d in kwame.deployments] == [
        (mission_b.id, date(2025, 4, 1), None), (mission_a.id, date(2024, 1, 1), date(2025, 3, 31))]
    assert kwame.current_deployment().mission_id == mission_b.id
    untouched = _user("PK-999")
    assert untouched.is_active and untouched.current_deployment().mission_id == mission_a.id
    (event,) = _imports()
    assert event.actor_id is None
    assert {k: event.details[k] for k in ("source", "rows", "created", "updated", "moved", "skipped")} == {
        "source": "good.csv", "rows": 5, "created": 3, "updated": 1, "moved": 1, "skipped": 0}


def test_reimporting_the_same_file_changes_nothing(runner, world):
    assert _run(runner, "good.csv", "--apply").exit_code == 0
    before = _state()
    people = {u.service_number: (u.name, u.email, u.rank, u.category, u.preferred_language)
              for u in db.session.scalars(select(User))}
    result = _run(runner, "good.csv", "--apply")
    assert result.exit_code == 0, result.output
    assert "0 to create, 0 to update, 0 to move, 5 unchanged" in result.output
    assert "Imported: 0 created, 0 updated, 0 moved" in result.output
    db.session.expire_all()
    assert {u.service_number: (u.name, u.email, u.rank, u.category, u.preferred_language)
            for u in db.session.scalars(select(User))} == people
    after = _state()
    assert after["users"] == before["users"] and after["deployments"] == before["deployments"]
    assert after["events"] == before["events"] + 1  # the import itself is on record
    assert [e.details["created"] + e.details["updated"] + e.details["moved"] for e in _imports()] == [5, 0]


BAD_LINES = {
    3: "service number PK-500 is also on line 7",
    4: "mission NOPE does not exist",
    5: "unit B-TEAM-1 is not a unit of mission MISSA",
    6: "arrival_on “10/01/2025” is not a date written YYYY-MM-DD",
    7: "service number PK-500 is also on line 3",
    8: "category must be one of military, police, civilian, not “navy”; language must be one of en, fr, ar, "
       "not “de”; arrival_on “2025-13-01” is not a date written YYYY-MM-DD",
}


@pytest.mark.parametrize("options", [(), ("--apply",)])
def test_a_file_with_bad_rows_changes_nothing(runner, world, options):
    before = _state()
    result = _run(runner, "bad.csv", *options)
    assert result.exit_code == 1
    reported = dict(re.findall(r"^  line (\d+): (.*)$", result.output, re.M))
    assert {int(k): v for k, v in reported.items()} == BAD_LINES
    assert result.output.strip().splitlines()[-1] == (
        "Error: 6 bad row(s), nothing was changed. Fix them, or add --keep-good-rows to import the 2 good row(s) only.")
    assert _state() == before
    assert _user("PK-400") is None


def test_keep_good_rows_imports_only_the_good_ones(runner, world):
    before = _state()
    result = _run(runner, "bad.csv", "--apply", "--keep-good-rows")
    assert result.exit_code == 0, result.output
    assert "Imported: 2 created, 0 updated, 0 moved, 6 bad row(s) skipped." in result.output
    created = set(db.session.scalars(select(User.service_number).where(User.service_number.like("PK-4%"))))
    assert created == {"PK-400", "PK-401"}
    assert db.session.scalar(select(func.count()).where(User.service_number.like("PK-5%"))) == 0
    assert _state()["users"] == before["users"] + 2
    assert _imports()[0].details["skipped"] == 6


def test_keep_good_rows_without_apply_is_still_a_dry_run(runner, world):
    before = _state()
    result = _run(runner, "bad.csv", "--keep-good-rows")
    assert result.exit_code == 0 and "Dry run: nothing was changed." in result.output
    assert _state() == before


def test_formula_looking_cells_are_stored_as_text(runner, world):
    result = _run(runner, "formulas.csv", "--apply")
    assert result.exit_code == 0, result.output
    first, second = _user("PK-600"), _user("PK-601")
    assert (first.name, first.rank) == ('=HYPERLINK("http://evil.example","click")', "+SUM(1;2)")
    assert (second.name, second.rank) == ("@cmd|' /C calc'!A0", "-2+3")


def test_email_of_another_person_and_early_arrival_are_bad_rows(runner, world, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + "\nPK-201,Copycat,F.HADDAD@example.org,military,,MISSA,A-BATT-1,2025-01-01,en\n"
                    "PK-300,Kwame Mensah,,military,Cpl,MISSB,B-TEAM-1,2023-06-01,\n", encoding="utf-8")
    before = _state()
    result = _run(runner, path, "--apply")
    assert result.exit_code == 1
    assert "line 2: email f.haddad@example.org is already used by another person" in result.output
    assert ("line 3: arrival_on 2023-06-01 must be after the arrival of the current deployment "
            "(MISSA / A-BATT-1, 2024-01-01)") in result.output
    assert _state() == before


@pytest.mark.parametrize("content, message", [
    (None, "cannot read"),
    (b"\xff\xfe" + "service_number".encode("utf-16-le"), "is not UTF-8 text"),
    (b"caf\xe9,latin-1\n", "is not UTF-8 text"),
    (b"GIF89a\x00\x00", "is not a CSV text file"),
    ((FILES / "wrong_header.csv").read_bytes(), "Wrong header (missing service_number, arrival_on; unknown service number, arrival)"),
])
def test_unreadable_files_exit_with_one_line(runner, world, tmp_path, content, message):
    path = tmp_path / "roster.csv"
    if content is not None:
        path.write_bytes(content)
    before = _state()
    result = _run(runner, path, "--apply")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    assert _state() == before


# --- the upload page -------------------------------------------------------------------------

@pytest.fixture
def admin_client(client, admin):
    login_as(client, admin)
    return client


def _upload(client, name: str, content: bytes | None = None):
    data = content if content is not None else (FILES / name).read_bytes()
    # The body is built here because the test client spools large bodies to a temporary file
    # that it never closes (a ResourceWarning, an error under filterwarnings=error).
    boundary = "roster-test-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post("/admin/roster", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _payload(response) -> str:
    return re.search(r'id="payload" name="payload" type="hidden" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_upload_page_shows_the_dry_run_then_applies(admin_client, world, admin):
    assert admin_client.get("/admin/roster").status_code == 200
    before = _state()
    response = _upload(admin_client, "good.csv")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "5 rows: 3 to create, 1 to update, 1 to move, 0 unchanged, 0 with errors." in body
    for heading in ("To create", "To update", "To move"):
        assert f"<h3>{heading}</h3>" in body
    assert "<td>MISSA / A-BATT-1</td><td>MISSB / B-TEAM-1</td>" in body
    assert 'name="apply_all"' in body and 'name="apply_good"' not in body
    assert _state() == before
    applied = admin_client.post("/admin/roster/apply", data={"payload": _payload(response), "apply_all": "y"})
    assert applied.status_code == 302 and "/jobs/" in applied.headers["Location"]  # applied by a background job
    db.session.rollback()  # a fresh snapshot: the job wrote on its own connection
    assert _user("PK-100") is not None and _user("PK-300").current_deployment().unit.code == "B-TEAM-1"
    (event,) = _imports()
    assert event.actor_id == admin.id and event.details["created"] == 3
    job_page = admin_client.get(applied.headers["Location"]).get_data(as_text=True)
    assert "Done." in job_page
    assert re.search(r"<dt>People created</dt><dd>3</dd><dt>People updated</dt><dd>1</dd><dt>People moved</dt><dd>1</dd>",
                     job_page.replace("\n", ""))
    slips = re.search(r'href="(/admin/roster\?created=[^"]+)"', job_page).group(1).replace("&amp;", "&")
    assert "3 people were created by good.csv" in admin_client.get(slips).get_data(as_text=True)
    # The same file again: nothing left to do, no button.
    again = _upload(admin_client, "good.csv").get_data(as_text=True)
    assert "Nothing to import" in again and 'name="apply_all"' not in again


def test_upload_with_bad_rows_lists_them_and_imports_good_rows_only_on_request(admin_client, world):
    response = _upload(admin_client, "bad.csv")
    body = response.get_data(as_text=True)
    lines = {int(n) for n in re.findall(r'<tr><th scope="row">(\d+)</th><td>', body)}
    assert lines == set(BAD_LINES)
    assert "Import the 2 good rows only" in body and 'name="apply_all"' not in body
    before = _state()
    # "Apply" for a file with bad rows is refused, whatever the browser sends.
    refused = admin_client.post("/admin/roster/apply", data={"payload": _payload(response), "apply_all": "y"})
    assert refused.status_code == 400 and b"nothing was imported" in refused.data
    assert _state() == before
    good_only = admin_client.post("/admin/roster/apply", data={"payload": _payload(response), "apply_good": "y"})
    assert good_only.status_code == 302
    assert _user("PK-400") is not None and _user("PK-401") is not None and _user("PK-500") is None
    assert _imports()[0].details["skipped"] == 6


def test_apply_trusts_only_a_signed_payload(app, admin_client, world):
    before = _state()
    forged = base64.urlsafe_b64encode((HEADER + "\nPK-666,Forged,,military,,MISSA,A-BATT-1,2025-01-01,en\n").encode())
    for payload in (forged.decode(), _payload(_upload(admin_client, "good.csv"))[:-3] + "abc",
                    sign_upload("another-secret", HEADER + "\n", "x.csv")):
        response = admin_client.post("/admin/roster/apply", data={"payload": payload, "apply_all": "y"})
        assert response.status_code == 400 and b"could not be verified" in response.data
    assert admin_client.post("/admin/roster/apply", data={"apply_all": "y"}).status_code == 400
    assert _state() == before


@pytest.mark.parametrize("name, content, message", [
    ("big.csv", (HEADER + "\n").encode() + b"x" * (6 * 1024 * 1024), "larger than 6 MB"),
    ("latin.csv", (HEADER + "\nPK-1,Chlo\xe9,,military,,MISSA,A-BATT-1,2025-01-01,en\n").encode("latin-1"), "not UTF-8"),
    ("people.xlsx", b"PK\x03\x04 zip bytes", "Choose a .csv file"),
    ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
    ("wrong.csv", (FILES / "wrong_header.csv").read_bytes(), "Wrong header"),
])
def test_bad_uploads_get_a_clear_message(admin_client, world, name, content, message):
    before = _state()
    response = _upload(admin_client, name, content)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert 'name="payload"' not in response.get_data(as_text=True)
    assert _state() == before


def test_names_in_a_roster_are_shown_escaped(admin_client, world):
    body = _upload(admin_client, "script.csv").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body and "<b>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    admin_client.post("/admin/roster/apply", data={"payload": _payload(_upload(admin_client, "script.csv")), "apply_all": "y"})
    assert _user("PK-700").name == "<script>alert(1)</script>"  # stored as given, escaped when shown
    people = admin_client.get("/admin/people").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in people and "&lt;script&gt;alert(1)&lt;/script&gt;" in people


def test_apply_with_csrf_accepts_a_payload_larger_than_the_default_form_limit(make_app, world, admin):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/sign-in").get_data(as_text=True)).group(1)
    client.post("/sign-in", data={"identifier": admin.service_number, "password": factories.PASSWORD, "csrf_token": token})
    # Random bytes do not compress: about 800 kB once signed, over Werkzeug's 500 kB default.
    noise = base64.encodebytes(os.urandom(600_000)).decode()
    payload = sign_upload(app.secret_key, noise, "noise.csv")
    assert len(payload) > 500_000
    response = client.post("/admin/roster/apply", data={"payload": payload, "apply_all": "y", "csrf_token": token})
    assert response.status_code == 302  # read and handed to the job, which checks the file and refuses it
    assert b"Wrong header" in client.get(response.headers["Location"]).data
    without_token = client.post("/admin/roster/apply", data={"payload": payload, "apply_all": "y"})
    assert without_token.status_code == 400 and b"Wrong header" not in without_token.data
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SignInSession)) == 1
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "roster_imported")) == 0


def test_a_row_with_a_format_problem_and_an_unknown_unit_reports_both_at_once(runner, world, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(HEADER + "\nPK-600,Aisha Rahman,,military,,MISSA,NO-SUCH-UNIT,01/02/2025,en\n"
                    "PK-601,Omar Khan,,navy,,NOPE,X,2025-01-01,en\n", encoding="utf-8")
    before = _state()
    result = _run(runner, path, "--apply")
    assert result.exit_code == 1
    assert ("line 2: arrival_on “01/02/2025” is not a date written YYYY-MM-DD; "
            "unit NO-SUCH-UNIT is not a unit of mission MISSA") in result.output
    assert "line 3: category must be one of military, police, civilian, not “navy”; mission NOPE does not exist" \
        in result.output
    assert _state() == before
