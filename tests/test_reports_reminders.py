"""Reminder e-mails through a real SMTP server on loopback: who gets one, in which language,
never twice within REMINDER_INTERVAL_DAYS; the dry run; the dashboard's Remind button."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from audit.models import AuditEvent
from extensions import db
from reports.models import Reminder
from tests import factories
from tests import report_factories as rf
from tests.conftest import login_as

# The scenario's people who need a reminder now and have an e-mail (overdue, expired, or due
# within 7 days), per mission. "due2" is due in 2 days and "overdue3" is overdue: no e-mail.
MISSION_A = {"over1@example.org", "over2@example.org", "expired@example.org", "revoked@example.org",
             "medicover@example.org", "civil@example.org"}
MISSION_B = {"moved@example.org", "bravo@example.org"}


@pytest.fixture
def inbox(app, smtp_server):
    controller, box = smtp_server
    box.messages.clear()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=False, SMTP_USER="",
                      SMTP_TIMEOUT=5, MAIL_FROM="training@example.org", REMINDER_INTERVAL_DAYS=7,
                      REMINDER_DUE_WITHIN_DAYS=7)
    return box


@pytest.fixture
def scenario(app, mission_a, mission_b):
    return rf.build(mission_a, mission_b)


def _reminders() -> list[Reminder]:
    return list(db.session.scalars(select(Reminder).order_by(Reminder.id)))


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _body(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_send_reminders_emails_each_person_once_in_their_language(runner, scenario, inbox):
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "reminders sent: 8; failed: 0; candidates: 10; in the app only: 2" in result.output
    assert sorted(inbox.to()) == sorted(MISSION_A | MISSION_B)  # each once; nobody without an e-mail
    mail = inbox.by_recipient()
    assert mail["over1@example.org"]["Subject"] == "Rappel : formation à la protection de l'enfance à terminer"
    assert mail["over1@example.org"]["Content-Language"] == "fr"
    assert "Bonjour Alpha Overdue One," in _body(mail["over1@example.org"])
    assert "Bases de la protection de l'enfance : en retard depuis le" in _body(mail["over1@example.org"])
    assert mail["over2@example.org"]["Subject"] == "تذكير: تدريب حماية الطفل المطلوب إكماله"
    assert "متأخر منذ" in _body(mail["over2@example.org"])
    expired = _body(mail["expired@example.org"])
    expires = db.session.scalar(select(rf.Certificate.expires_at).where(
        rf.Certificate.user_id == scenario.people["expired"].id))
    assert f"Child Protection Basics: your certificate expired on {expires.date().isoformat()}" in expired
    assert "Continue your training here: http" in expired
    due_on = scenario.people["overdue1"].deployments[0].arrival_on + timedelta(days=rf.DUE_DAYS)
    assert due_on.isoformat() in _body(mail["over1@example.org"])
    assert all(m["From"].endswith("<training@example.org>") for m in inbox.messages)

    reminders = _reminders()
    assert len(reminders) == 10 and {r.sent_by_id for r in reminders} == {None}
    # The two without an e-mail address (due2, overdue3) are reminded in the app only.
    in_app_only = {r.user_id for r in reminders if r.emailed_at is None}
    assert in_app_only == {scenario.people["due2"].id, scenario.people["overdue3"].id}
    assert {r.seen_at for r in reminders} == {None}
    assert len(_events("reminders_sent")) == 1 and _events("reminders_sent")[0].details["sent"] == 8

    # A second run within the interval sends nothing.
    inbox.messages.clear()
    again = runner.invoke(args=["send-reminders"])
    assert again.exit_code == 0, again.output
    assert "reminders sent: 0" in again.output and inbox.messages == []
    assert [r.count for r in _reminders()] == [1] * 10

    # Once the interval has passed for one person, only they are reminded again.
    over2 = scenario.people["overdue2"]
    sent_at = db.session.scalar(select(Reminder.sent_at).where(Reminder.user_id == over2.id))
    db.session.execute(update(Reminder).where(Reminder.user_id == over2.id).values(sent_at=sent_at - timedelta(days=8)))
    db.session.commit()
    third = runner.invoke(args=["send-reminders"])
    assert "reminders sent: 1" in third.output and inbox.to() == ["over2@example.org"]
    assert db.session.scalar(select(Reminder.count).where(Reminder.user_id == over2.id)) == 2


def test_due_soon_is_reminded_only_within_the_window(runner, scenario, inbox):
    result = runner.invoke(args=["send-reminders", "--mission", "missa", "--due-within", "25"])
    assert result.exit_code == 0, result.output
    # Due in 20 days (due1) is now in the window; due in 25 (medic_due) too; due2 has no e-mail.
    assert sorted(inbox.to()) == sorted(MISSION_A | {"due1@example.org", "medicdue@example.org"})
    assert "Child Protection Basics: due by" in _body(inbox.by_recipient()["due1@example.org"])


def test_mission_option_limits_to_that_mission(runner, scenario, inbox):
    result = runner.invoke(args=["send-reminders", "--mission", "MISSB"])
    assert result.exit_code == 0, result.output
    assert sorted(inbox.to()) == sorted(MISSION_B)
    assert runner.invoke(args=["send-reminders", "--mission", "NOPE"]).exit_code != 0


def test_dry_run_lists_and_sends_or_records_nothing(runner, scenario, inbox):
    result = runner.invoke(args=["send-reminders", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert inbox.messages == []
    assert _reminders() == [] and _events("reminders_sent") == []
    assert "MISSA: 8 people" in result.output and "MISSB: 2 people" in result.output
    assert "Alpha Overdue Three <in the app only> [en]" in result.output
    # Each line: who, their address and language, the course (in that language), what and since when.
    due_on = scenario.people["overdue1"].deployments[0].arrival_on + timedelta(days=rf.DUE_DAYS)
    assert (f"Alpha Overdue One <over1@example.org> [fr]: Bases de la protection de l'enfance overdue "
            f"{due_on.isoformat()}") in result.output
    assert "Alpha Expired <expired@example.org> [en]: Child Protection Basics expired" in result.output
    for nobody in ("Alpha Due One", "Alpha Cleared", "Gone Departed", "Inactive Person"):
        assert nobody not in result.output
    assert "dry run: 10 people would be reminded; nothing was sent" in result.output
    # The dry run changed nothing: the real run still sends to all of them.
    assert runner.invoke(args=["send-reminders"]).exit_code == 0
    assert len(inbox.messages) == 8


def test_without_smtp_everyone_is_reminded_in_the_app(app, runner, scenario):
    app.config.update(SMTP_HOST="")
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "SMTP_HOST is not set: no e-mail was sent; everyone was reminded in the app" in result.output
    assert "reminders sent: 0; failed: 0; candidates: 10; in the app only: 10" in result.output
    reminders = _reminders()
    assert len(reminders) == 10 and {r.emailed_at for r in reminders} == {None}
    assert _events("reminders_sent")[0].details["in_app"] == 10


# The dashboard's Remind button

def _lead_of(mission):
    user = factories.make_user(roles=[("mission_lead", mission)], name="Leila Lead", category="civilian")
    db.session.commit()
    return user


def _remind(client, mission, person):
    return client.post(f"/missions/{mission.id}/remind", data={"person": str(person), "back": "sort=name"},
                       follow_redirects=True)


def test_remind_one_person_then_everyone_in_the_mission(client, scenario, inbox):
    lead = _lead_of(scenario.mission)
    login_as(client, lead)
    over1 = scenario.people["overdue1"]
    response = _remind(client, scenario.mission, over1.id)
    assert response.status_code == 200 and "1 reminder sent." in response.get_data(as_text=True)
    assert response.request.query_string == b"sort=name"  # back to the same filtered list
    assert inbox.to() == ["over1@example.org"]
    assert inbox.messages[0]["Subject"].startswith("Rappel")
    (reminder,) = _reminders()
    assert reminder.user_id == over1.id and reminder.sent_by_id == lead.id and reminder.status == "overdue"
    listed = rf.table(response.get_data(as_text=True), "Overdue and expired").row("Alpha Overdue One")
    assert listed[4] != "–"  # "Last reminded" shows the day

    # The same person again: nothing (reminded this week).
    inbox.messages.clear()
    again = _remind(client, scenario.mission, over1.id)
    assert "Nobody needs a reminder now" in again.get_data(as_text=True) and inbox.messages == []

    # Everyone: the rest of this mission's people, nobody from the other mission.
    everyone = _remind(client, scenario.mission, "all")
    assert "5 reminders sent. 2 people reminded in the app only." in everyone.get_data(as_text=True)
    assert sorted(inbox.to()) == sorted(MISSION_A - {"over1@example.org"})
    assert {r.user_id for r in _reminders()} == {scenario.people[k].id for k in (
        "overdue1", "overdue2", "expired", "revoked", "medic_overdue", "civilian", "due2", "overdue3")}
    assert len(_events("reminders_sent")) == 3


def test_remind_refuses_people_of_other_missions(client, scenario, inbox):
    login_as(client, _lead_of(scenario.mission))
    for key in ("outsider", "moved", "departed"):  # in mission B now, moved to B, left
        response = client.post(f"/missions/{scenario.mission.id}/remind", data={"person": scenario.absent[key].id})
        assert response.status_code == 404, key
    assert client.post(f"/missions/{scenario.mission.id}/remind", data={"person": "1 OR 1=1"}).status_code == 404
    assert inbox.messages == [] and _reminders() == []


def test_remind_needs_a_lead_of_that_mission(app, client, scenario, inbox, hq):
    login_as(client, _lead_of(scenario.other))
    person = scenario.people["overdue1"].id
    assert client.post(f"/missions/{scenario.mission.id}/remind", data={"person": person}).status_code == 403
    assert client.post(f"/missions/{scenario.mission.id}/remind", data={"person": "all"}).status_code == 403
    hq_client = app.test_client()
    login_as(hq_client, hq)  # HQ reads, it does not chase
    assert hq_client.post(f"/missions/{scenario.mission.id}/remind", data={"person": "all"}).status_code == 403
    assert "Remind everyone" not in hq_client.get(f"/missions/{scenario.mission.id}/dashboard").get_data(as_text=True)
    assert inbox.messages == [] and _reminders() == []


def test_remind_without_smtp_reminds_in_the_app_and_says_so(app, client, scenario):
    app.config.update(SMTP_HOST="")
    login_as(client, _lead_of(scenario.mission))
    response = _remind(client, scenario.mission, scenario.people["overdue1"].id)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "1 person reminded in the app only. E-mail is not set up on this server (SMTP_HOST)." in page
    (reminder,) = _reminders()
    assert reminder.user_id == scenario.people["overdue1"].id and reminder.emailed_at is None
    listed = rf.table(page, "Overdue and expired").row("Alpha Overdue One")
    assert "in the app, not seen yet" in listed[4]
