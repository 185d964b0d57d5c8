"""A mission trainer runs a session in a tent with no connection: plans it, prints the sheet,
ticks 25 people and types their paper scores offline, syncs once back online; exactly those who
passed get in-person completions and a certificate, and nothing is sent twice; the mission lead's
dashboard then counts exactly those as cleared in person (issue #18)."""

from __future__ import annotations

import io
import subprocess
from datetime import date

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import func, select

from certificates.models import Certificate
from extensions import db
from inperson.models import Attendance, AttendanceMark, TrainingSession
from tests import factories
from tests.browser.conftest import sign_in
from tests.browser.test_offline import SENT_AGAIN_WITHIN, cut_network, restore_network
from tests.inperson_factories import make_course, make_session
from tests.training_factories import make_requirement
from training.models import Completion

ATTENDEES = 25


def _score(index: int) -> int:
    return (41, 55, 69, 70, 88)[index % 5] + index // 5  # 11 of the first 25 below the pass mark of 70


def _count(statement) -> int:
    db.session.commit()  # a fresh snapshot: what the browser's requests wrote
    return db.session.scalar(statement)


def _look_at(pdf: bytes, folder, label: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{label}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(folder / f"{label}.pdf"),
                    str(folder / label)], check=True)


@pytest.fixture
def tent(app, mission_a):
    unit = mission_a.units[0]
    factories.make_unit(mission_a, code="A-ENG-2")
    trainer = factories.make_user(mission=mission_a, unit=unit, name="Mia Trainer", roles=[("mission_trainer", mission_a)])
    people = [factories.make_user(mission=mission_a, unit=unit, name=f"Soldier {k:02d}") for k in range(30)]
    people[0].name_arabic = "محمد عبد الله"
    course = make_course(modules=2)
    make_requirement(course, mission=mission_a)  # so the lead's dashboard counts who it clears
    db.session.commit()
    return trainer, people, course


def test_a_session_taken_offline_syncs_once_and_certifies_who_passed(phone_page, live_server, tent, mission_a,
                                                                      screenshot, request):
    trainer, people, course = tent
    page = phone_page
    results = request.config.rootpath / "test-results" / "inperson-session"
    sign_in(page, live_server, trainer)

    # Plan: the course and the mission, then the unit, place and day.
    page.goto(f"{live_server}/training-sessions/new")
    page.get_by_label("Course").select_option(label="Child protection")
    page.get_by_label("Mission").select_option(value=str(mission_a.id))
    page.get_by_role("button", name="Next").click()
    page.get_by_label(f"{mission_a.units[0].code} – {mission_a.units[0].name}").check()
    page.get_by_label("Place").fill("Camp Kavumu, tent 3")
    page.get_by_label("Date").fill(date.today().isoformat())
    page.get_by_label("Language of the session and its sheet").select_option("en")
    page.get_by_role("button", name="Plan the session").click()
    expect(page.get_by_text("Session planned.")).to_be_visible()
    db.session.commit()  # a fresh snapshot
    session = db.session.scalar(select(TrainingSession))

    # Print the sheet (and an Arabic session's), read the text back and keep the first pages to look at.
    sheet = page.request.get(f"{live_server}/training-sessions/{session.id}/sheet.pdf").body()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet)).pages)
    assert "Attendance sheet" in text and "Signature" in text and "Camp Kavumu, tent 3" in text
    assert all(p.service_number in text for p in people)
    assert trainer.service_number not in text  # the session's own trainer is not on its sheet
    _look_at(sheet, results, "sheet-en")
    db.session.commit()  # end the read snapshot: the server has written since (SQLite would refuse the write)
    arabic = make_session(trainer, mission_a, course=course, language="ar")
    sheet_ar = page.request.get(f"{live_server}/training-sessions/{arabic.id}/sheet.pdf").body()
    text_ar = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet_ar)).pages)
    assert "ورقة الحضور" in text_ar and "التوقيع" in text_ar and people[5].service_number in text_ar
    _look_at(sheet_ar, results, "sheet-ar")

    # Open the attendance page once online: the service worker keeps it for the tent.
    attendance_url = f"{live_server}/training-sessions/{session.id}/attendance"
    page.goto(attendance_url)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_function("url => caches.open('cpt-sessions').then(c => c.match(url)).then(Boolean)",
                           arg=attendance_url)
    page.wait_for_load_state("networkidle")  # the page's own keeping (attendance.js) has finished
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and r.url.endswith("/marks") else None)

    cut_network(page.context)
    page.goto(attendance_url)  # the saved copy opens with no connection
    expect(page.get_by_role("heading", name="Take attendance")).to_be_visible()
    search = page.get_by_label("Find by name or service number")
    for index, person in enumerate(people[:ATTENDEES]):
        search.fill(person.name if index % 2 else person.service_number)
        row = page.locator(f"li[data-person='{person.service_number}']")
        expect(row).to_be_visible()
        if index % 3 == 0:
            row.locator("input.present").check()
        row.locator("input.score-input").fill(str(_score(index)))
        row.locator("input.score-input").press("Tab")
    search.fill("")
    state = page.locator(".attendance-state")
    expect(state).to_contain_text(f"Kept on this device, not sent yet: {ATTENDEES}.")
    assert _count(select(func.count(AttendanceMark.id))) == 0
    screenshot(page, "offline-25-marked")

    restore_network(page.context)
    expect(state).to_contain_text("Sent: the server has every mark made on this device.", timeout=SENT_AGAIN_WITHIN)
    assert _count(select(func.count(AttendanceMark.id))) == ATTENDEES
    assert _count(select(func.count(Attendance.id)).where(Attendance.is_present)) == ATTENDEES
    # Ids, not User objects: Flask-Login's UserMixin compares people by their sign-in token.
    passed = [p.id for i, p in enumerate(people[:ATTENDEES]) if _score(i) >= 70]
    assert len(passed) == 14
    modules = len(session.module_ids)
    for person in people[:ATTENDEES]:
        done = _count(select(func.count(Completion.id)).where(Completion.user_id == person.id,
                                                              Completion.delivery_mode == "in_person"))
        certificates = _count(select(func.count(Certificate.id)).where(Certificate.user_id == person.id,
                                                                       Certificate.delivery_mode == "in_person"))
        assert (done, certificates) == ((modules, 1) if person.id in passed else (0, 0)), person.name

    # A second sync, and a reload, send nothing again.
    sent = len(posts)
    page.get_by_role("button", name="Save attendance").click()
    page.goto(attendance_url)
    expect(page.get_by_role("heading", name="Take attendance")).to_be_visible()
    page.wait_for_timeout(500)
    assert len(posts) == sent
    assert _count(select(func.count(AttendanceMark.id))) == ATTENDEES
    assert _count(select(func.count(Certificate.id))) == 14

    # The trainer's view counts them; the page in Arabic on the phone, looked at once.
    page.goto(f"{live_server}/training-sessions/")
    row = page.locator("table.figures tbody tr").filter(has_text="Camp Kavumu, tent 3")
    expect(row.locator("td").nth(5)).to_have_text("25")
    expect(row.locator("td").nth(6)).to_have_text("14")
    page.locator("#lang-select").select_option("ar")
    page.locator(".lang-form button").click()
    page.goto(attendance_url)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    screenshot(page, "attendance-ar-360")

    # The mission lead's dashboard: exactly those who passed are cleared, all of them in person.
    lead = factories.make_user(roles=[("mission_lead", mission_a)], name="Leila Lead")
    db.session.commit()
    page.context.clear_cookies()  # the trainer's session (and language) gone
    sign_in(page, live_server, lead)
    page.goto(f"{live_server}/missions/{mission_a.id}/dashboard")
    split = page.locator("table").filter(has=page.locator("caption", has_text="Cleared, by how the training was given"))
    cells = split.locator("tbody tr").filter(has_text="Child protection").locator("td")
    # Cleared, cleared online, in person, online and in person, recognised
    expect(cells).to_have_text([str(len(passed)), "0", str(len(passed)), "0", "0"])
    expect(page.locator(".cleared-by")).to_have_text(f"of whom in person {len(passed)}")
