"""Renewal due: from the opening of the course's renewal window, a holder's course still counts as
cleared but every page they see says "Renew by <date>" with a way on; the lead's dashboard counts
them among the cleared; reminders include them."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from certificates.models import Certificate
from extensions import db
from readiness.rule import readiness_of
from reports import reminders
from reports.dashboard import mission_dashboard, now_moment
from reports.reminder_text import Item, compose
from tests import factories
from tests import report_factories as rf
from tests.conftest import login_as
from tests.training_factories import make_course, make_module, make_requirement

NOW = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)


def test_readiness_of_marks_renewal_due_from_the_window_and_keeps_the_status():
    arrival = date(2025, 1, 1)
    inside = readiness_of(arrival, 30, NOW + timedelta(days=29), NOW, renewal_window_days=30)
    assert inside.status == "cleared" and inside.renew_by == (NOW + timedelta(days=29)).date()
    edge = readiness_of(arrival, 30, NOW + timedelta(days=30), NOW, renewal_window_days=30)
    assert edge.renew_by == (NOW + timedelta(days=30)).date()  # the window opens on that instant
    outside = readiness_of(arrival, 30, NOW + timedelta(days=31), NOW, renewal_window_days=30)
    assert outside.status == "cleared" and outside.renew_by is None
    # Without the window (the SQL twin's comparison), the status alone, as before.
    assert readiness_of(arrival, 30, NOW + timedelta(days=29), NOW) == readiness_of(arrival, 30, NOW + timedelta(days=29), NOW)
    assert readiness_of(arrival, 30, NOW - timedelta(days=1), NOW, renewal_window_days=30).renew_by is None


def _holder(app, mission, *, days_ago: int):
    course = make_course(title={"en": "Renewal Course"})
    module = make_module(course, lessons=1)
    make_requirement(course, mission=mission, due_days=30)
    user = factories.make_user(mission=mission, unit=mission.units[0], name="Rita Renewer",
                               arrival_on=date.today() - timedelta(days=800))
    certificate = rf.certify(user, course, days_ago=days_ago)
    db.session.commit()
    return user, course, module, certificate


def test_holder_inside_the_window_sees_renew_by_on_the_three_pages(app, client, mission_a):
    user, course, module, certificate = _holder(app, mission_a, days_ago=715)  # 24 months: expires in ~15 days
    renew_by = certificate.expires_at.date()
    login_as(client, user)
    training = client.get("/training").get_data(as_text=True)
    assert "Renew by" in training and "Cleared" not in training
    assert f"/training/modules/{module.id}" in training  # Continue: the renewal cycle's first module
    course_page = client.get(f"/training/courses/{course.id}").get_data(as_text=True)
    assert "Renew by" in course_page and "Renewal: 0 of 1 modules complete" in course_page
    assert "You have completed this course" not in course_page
    assert f"/training/modules/{module.id}" in course_page
    mine = client.get("/certificates").get_data(as_text=True)
    assert "Renew by" in mine and f"/training/courses/{course.id}" in mine
    assert renew_by.year and str(renew_by.day) in mine


def test_holder_outside_the_window_is_simply_cleared(app, client, mission_a):
    user, course, _module, _certificate = _holder(app, mission_a, days_ago=30)
    login_as(client, user)
    training = client.get("/training").get_data(as_text=True)
    assert "Cleared" in training and "Renew by" not in training
    assert "Renew by" not in client.get(f"/training/courses/{course.id}").get_data(as_text=True)
    assert "Renew by" not in client.get("/certificates").get_data(as_text=True)


def test_dashboard_counts_renewal_due_among_the_cleared(app, client, mission_a, mission_b):
    scenario = rf.build(mission_a, mission_b)
    before = mission_dashboard(scenario.mission, requirement_id=None, reveal_small=True, lang="en")
    assert before.selected.counts.renewal_due == 0
    renewing = rf.person(scenario.mission, scenario.units["battalion"], name="Alpha Renewing", days_in=800,
                         email="renew@example.org")
    rf.certify(renewing, scenario.course, days_ago=715)
    db.session.commit()
    board = mission_dashboard(scenario.mission, requirement_id=None, reveal_small=True, lang="en")
    counts = board.selected.counts
    assert counts.by_status["cleared"] == before.selected.counts.by_status["cleared"] + 1  # still cleared
    assert counts.renewal_due == 1
    assert rf.status_counts(rf.truth(scenario.mission, scenario.requirement)) == counts.by_status
    db.session.rollback()
    lead = factories.make_user(roles=[("mission_lead", scenario.mission)], name="Leila Lead", category="civilian")
    db.session.commit()
    login_as(client, lead)
    page = client.get(f"/missions/{scenario.mission.id}/dashboard").get_data(as_text=True)
    assert "of whom 1 renewal due" in page


def test_reminders_include_renewal_due(app, mission_a, mission_b):
    scenario = rf.build(mission_a, mission_b)
    renewing = rf.person(scenario.mission, scenario.units["battalion"], name="Alpha Renewing", days_in=800,
                         email="renew@example.org")
    rf.certify(renewing, scenario.course, days_ago=715)
    fresh = rf.person(scenario.mission, scenario.units["battalion"], name="Alpha Fresh", days_in=800,
                      email="fresh@example.org")
    rf.certify(fresh, scenario.course, days_ago=30)
    db.session.commit()
    found = {c.user_id: c for c in reminders.candidates(now_moment(), due_within_days=7, interval_days=7)}
    assert renewing.id in found and fresh.id not in found
    (_requirement_id, item), = found[renewing.id].items
    expires = db.session.scalar(select(Certificate.expires_at).where(Certificate.user_id == renewing.id))
    assert item.status == "renewal" and item.on == expires.date()
    _subject, body = compose("en", "Alpha", [item], "http://x/training")
    assert f"Child Protection Basics: renew by {expires.date().isoformat()}" in body
    for lang in ("fr", "ar"):
        assert expires.date().isoformat() in compose(lang, "A", [Item("C", "renewal", expires.date())], "u")[1]
