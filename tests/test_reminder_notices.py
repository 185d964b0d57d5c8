"""Reminders reach everyone: each one is a notice in the app (My training, and right after signing
in), with or without an e-mail address; the lead's list says how it reached the person."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from database import utcnow
from extensions import db
from reports.models import Reminder
from tests import factories
from tests import report_factories as rf
from tests.conftest import login_as
from tests.training_factories import make_course, make_module, make_requirement


def _overdue_learner(mission, *, email):
    course = make_course(title={"en": "Child Protection Basics"})
    make_module(course, lessons=1)
    make_requirement(course, mission=mission, due_days=30)
    user = factories.make_user(mission=mission, unit=mission.units[0], name="Olga Overdue", email=email,
                               arrival_on=date.today() - timedelta(days=60))
    lead = factories.make_user(roles=[("mission_lead", mission)], name="Leila Lead", category="civilian")
    db.session.commit()
    return user, lead


def _remind(app, lead, mission, person_id):
    client = app.test_client()
    login_as(client, lead)
    return client.post(f"/missions/{mission.id}/remind", data={"person": str(person_id)}, follow_redirects=True)


def test_a_person_without_email_is_reminded_in_the_app(app, client, mission_a):
    app.config.update(SMTP_HOST="", REMINDER_INTERVAL_DAYS=7)
    user, lead = _overdue_learner(mission_a, email=None)
    page = _remind(app, lead, mission_a, user.id).get_data(as_text=True)
    assert "1 person reminded in the app only." in page
    listed = rf.table(page, "Overdue and expired").row("Olga Overdue")
    assert "in the app, not seen yet" in listed[4]

    # Signing in shows the notice and records that it reached them.
    signed_in = client.post("/sign-in", data={"identifier": user.service_number, "password": factories.PASSWORD},
                            follow_redirects=True)
    assert "Reminder: a required course needs your attention. See My training." in signed_in.get_data(as_text=True)
    db.session.expire_all()
    reminder = db.session.scalar(select(Reminder).where(Reminder.user_id == user.id))
    assert reminder.seen_at is not None and reminder.emailed_at is None and reminder.reached_by == "app"
    # My training keeps the notice for the reminder's week; already seen, so no "Got it".
    training = client.get("/training").get_data(as_text=True)
    assert "Reminder from your mission" in training and "Child Protection Basics: overdue" in training
    assert "Got it" not in training
    # The next sign-in does not repeat it.
    client.post("/sign-out")
    again = client.post("/sign-in", data={"identifier": user.service_number, "password": factories.PASSWORD},
                        follow_redirects=True)
    assert "Reminder: a required course" not in again.get_data(as_text=True)

    lead_client = app.test_client()
    login_as(lead_client, lead)
    listed = rf.table(lead_client.get(f"/missions/{mission_a.id}/dashboard").get_data(as_text=True),
                      "Overdue and expired").row("Olga Overdue")
    assert "in the app" in listed[4] and "not seen" not in listed[4]


def test_got_it_on_my_training_records_the_notice_seen(app, client, mission_a):
    app.config.update(SMTP_HOST="", REMINDER_INTERVAL_DAYS=7)
    user, lead = _overdue_learner(mission_a, email="olga@example.org")
    login_as(client, user)  # signed in before the reminder: the notice waits on My training
    _remind(app, lead, mission_a, user.id)
    training = client.get("/training").get_data(as_text=True)
    assert "Reminder from your mission" in training and "Got it" in training
    assert client.post("/reminders/seen").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Reminder.seen_at).where(Reminder.user_id == user.id)) is not None
    assert "Got it" not in client.get("/training").get_data(as_text=True)


def test_the_lead_sees_e_mail_and_app_as_both(app, mission_a):
    user, lead = _overdue_learner(mission_a, email="olga@example.org")
    now = utcnow()
    db.session.add(Reminder(user_id=user.id, requirement_id=db.session.scalar(select(rf.Requirement.id)), sent_at=now,
                            status="overdue", emailed_at=now, seen_at=now))
    db.session.commit()
    client = app.test_client()
    login_as(client, lead)
    listed = rf.table(client.get(f"/missions/{mission_a.id}/dashboard").get_data(as_text=True),
                      "Overdue and expired").row("Olga Overdue")
    assert "by e-mail and in the app" in listed[4]
