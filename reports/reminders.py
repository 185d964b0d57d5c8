"""Reminders to people who are due soon, overdue, expired or due to renew (cleared, inside their
course's renewal window): an e-mail to those with an address (when e-mail is set up), and for
everyone a notice in the app (My training, and right after signing in), so nobody is missed.

One reminder per person lists all their requirements that need action. Nobody gets more than one
reminder every REMINDER_INTERVAL_DAYS days: a Reminder row per person and requirement holds when
the last one went out, and sending claims those rows first (a conditional UPDATE, or an INSERT
that the unique constraint refuses), so two runs at once never both send. A failed send rolls
its claim back, so that person is tried again next time. Each run is one audit event.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import gettext, ngettext
from sqlalchemy import and_, exists, literal, select, update
from sqlalchemy.exc import IntegrityError

from accounts.models import Mission, User
from audit.services import record
from certificates.documents import public_base_url
from core import mail
from core.mail import MailNotConfigured
from database import utcnow
from extensions import db
from readiness.report_sql import readiness
from reports.dashboard import now_moment
from reports.models import Reminder
from reports.queries import Moment, day_number
from reports.reminder_text import Item, compose
from training.i18n import pick
from training.models import Course

__all__ = ["MailNotConfigured", "NotInMission", "Outcome", "candidates", "remind_from_dashboard", "run"]


class NotInMission(LookupError):
    """The person asked for is not deployed in that mission now (or needs no reminder)."""


@dataclass
class Candidate:
    user_id: int
    name: str
    email: str | None  # None: reached in the app only
    language: str
    mission_code: str
    items: list[tuple[int, Item]] = field(default_factory=list)  # (requirement id, what to say)


@dataclass
class Outcome:
    sent: int = 0    # e-mails sent
    in_app: int = 0  # reminded in the app only (no e-mail address, or e-mail not set up)
    failed: int = 0
    waiting: int = 0  # left for a later run (batch limit)
    people: list[Candidate] = field(default_factory=list)

    mail_off: bool = False  # e-mail is not set up on this server

    def message(self) -> str:
        text = ngettext("%(num)d reminder sent.", "%(num)d reminders sent.", self.sent)
        if self.in_app:
            text += " " + ngettext("%(num)d person reminded in the app only.",
                                   "%(num)d people reminded in the app only.", self.in_app)
        if self.mail_off and self.in_app:
            text += " " + gettext("E-mail is not set up on this server (SMTP_HOST).")
        if self.failed:
            text += " " + ngettext("%(num)d could not be sent.", "%(num)d could not be sent.", self.failed)
        if self.waiting:
            text += " " + ngettext("%(num)d more person will be reminded by the next run.",
                                   "%(num)d more people will be reminded by the next run.", self.waiting)
        if not self.sent and not self.in_app and not self.failed and not self.waiting:
            text = gettext("Nobody needs a reminder now: everyone listed was reminded recently.")
        return text


def candidates(moment: Moment, *, due_within_days: int, interval_days: int, mission_ids=None,
               user_id: int | None = None) -> list[Candidate]:
    """People to remind now: due within `due_within_days` days, overdue, expired or due to renew,
    with or without an e-mail, not reminded in the last `interval_days` days. One SQL query;
    grouped per person here."""
    r = readiness(moment.on, moment.at, mission_ids=mission_ids).subquery("r")
    cutoff = moment.at - timedelta(days=interval_days)
    days_left = day_number(r.c.arrival_on) + r.c.due_days - day_number(literal(moment.on))
    # Cleared, but the course's renewal window has opened (by day, like the due dates).
    renewal = and_(r.c.status == "cleared",
                   day_number(r.c.expires_at) - Course.renewal_window_days <= day_number(literal(moment.on)))
    recently = exists().where(Reminder.user_id == r.c.user_id, Reminder.sent_at > cutoff)
    query = (
        select(r.c.user_id, r.c.requirement_id, r.c.status, r.c.arrival_on, r.c.due_days, r.c.expires_at,
               User.name, User.email, User.preferred_language, Course.title, Course.default_language, Course.code,
               Mission.code.label("mission_code"))
        .join(User, User.id == r.c.user_id).join(Course, Course.id == r.c.course_id)
        .join(Mission, Mission.id == r.c.mission_id)
        .where(~recently)
        .where((r.c.status.in_(["overdue", "expired"])) | and_(r.c.status == "due", days_left <= due_within_days)
               | renewal)
        .order_by(Mission.code, User.name, r.c.user_id, r.c.requirement_id)
    )
    if user_id is not None:
        query = query.where(r.c.user_id == user_id)
    people: dict[int, Candidate] = {}
    for row in db.session.execute(query):
        person = people.get(row.user_id)
        if person is None:
            person = people[row.user_id] = Candidate(row.user_id, row.name, row.email or None, row.preferred_language,
                                                     row.mission_code)
        on = row.arrival_on + timedelta(days=row.due_days)
        status = "renewal" if row.status == "cleared" else row.status
        if status in ("expired", "renewal") and row.expires_at is not None:
            on = row.expires_at.date()
        course = pick(row.title, person.language, row.default_language) or row.code
        person.items.append((row.requirement_id, Item(course, status, on)))
    return list(people.values())


def _claim(person: Candidate, now: datetime, cutoff: datetime, actor_id: int | None, emailed: bool) -> bool:
    """Mark this person's requirements reminded now (a new, unseen notice in the app; e-mailed or
    not), unless another run just did."""
    emailed_at = now if emailed else None
    for requirement_id, item in person.items:
        existing = db.session.scalar(select(Reminder.id).where(Reminder.user_id == person.user_id,
                                                               Reminder.requirement_id == requirement_id))
        if existing is None:
            db.session.add(Reminder(user_id=person.user_id, requirement_id=requirement_id, sent_at=now, count=1,
                                    status=item.status, sent_by_id=actor_id, emailed_at=emailed_at))
            db.session.flush()
            continue
        claimed = db.session.execute(
            update(Reminder).where(Reminder.id == existing, Reminder.sent_at <= cutoff)
            .values(sent_at=now, count=Reminder.count + 1, status=item.status, sent_by_id=actor_id,
                    emailed_at=emailed_at, seen_at=None)
            .execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            return False
    return True


def run(moment: Moment, *, dry_run: bool, due_within_days: int | None = None, mission_ids=None,
        user_id: int | None = None, actor=None, limit: int | None = None, link: str = "") -> Outcome:
    """Find and (unless `dry_run`) remind everyone who needs it: e-mail to those with an address
    when e-mail is set up, a notice in the app for all. Records one audit event."""
    config = current_app.config
    interval = int(config["REMINDER_INTERVAL_DAYS"])
    due_within = config["REMINDER_DUE_WITHIN_DAYS"] if due_within_days is None else due_within_days
    people = candidates(moment, due_within_days=due_within, interval_days=interval, mission_ids=mission_ids,
                        user_id=user_id)
    outcome = Outcome(people=people, mail_off=not mail.is_configured())
    if limit is not None and len(people) > limit:
        people, outcome.waiting = people[:limit], len(people) - limit
    if dry_run:
        return outcome
    cutoff = moment.at - timedelta(days=interval)
    now = utcnow()
    actor_id = getattr(actor, "id", None)
    emailing = not outcome.mail_off and any(person.email for person in people)
    with (mail.Connection() if emailing else contextlib.nullcontext()) as smtp:
        for person in people:
            by_mail = smtp is not None and bool(person.email)
            try:
                with db.session.begin_nested():
                    if not _claim(person, now, cutoff, actor_id, by_mail):
                        raise _AlreadyReminded
                    if by_mail:
                        subject, body = compose(person.language, person.name, [item for _r, item in person.items], link)
                        smtp.send(mail.build(person.email, subject, body, lang=person.language))
            except IntegrityError:
                continue  # another run inserted the same reminder first
            except _AlreadyReminded:
                continue
            except (OSError, mail.smtplib.SMTPException) as error:
                outcome.failed += 1  # the claim rolled back: tried again (e-mail and notice) next run
                current_app.logger.warning("reminder to user %s failed: %s", person.user_id, error)
                continue
            if by_mail:
                outcome.sent += 1
            else:
                outcome.in_app += 1
    record("reminders_sent", actor=actor, target=_target(mission_ids), sent=outcome.sent, failed=outcome.failed,
           in_app=outcome.in_app,
           waiting=outcome.waiting, candidates=len(outcome.people), due_within_days=due_within,
           interval_days=interval, person=user_id)
    return outcome


class _AlreadyReminded(Exception):
    """Raised inside the savepoint so the claim rolls back."""


def _target(mission_ids) -> str:
    if mission_ids is None:
        return "missions:all"
    codes = db.session.scalars(select(Mission.code).where(Mission.id.in_(list(mission_ids))).order_by(Mission.code))
    return "missions:" + ",".join(codes)


def training_link() -> str:
    """The learner's "My training" page, as a full URL (PUBLIC_BASE_URL when set), also from the command line."""
    base = public_base_url()
    with current_app.test_request_context():
        return base + url_for("training.my_training")


def remind_from_dashboard(mission: Mission, *, actor, user_id: int | None) -> Outcome:
    """The dashboard's button: one listed person, or everyone in the mission (up to the batch limit)."""
    moment = now_moment()
    if user_id is not None and not _needs_reminder_here(moment, mission, user_id):
        raise NotInMission(user_id)
    return run(moment, dry_run=False, mission_ids=[mission.id], user_id=user_id, actor=actor,
               limit=current_app.config["REMINDER_BATCH_LIMIT"], link=training_link())


def _needs_reminder_here(moment: Moment, mission: Mission, user_id: int) -> bool:
    """The person is deployed in this mission now (whatever their status): others are not the lead's to chase."""
    r = readiness(moment.on, moment.at, mission_ids=[mission.id]).subquery("r")
    return db.session.scalar(select(r.c.user_id).where(r.c.user_id == user_id).limit(1)) is not None


def group_by_mission(outcome: Outcome) -> dict[str, list[Candidate]]:
    grouped: dict[str, list[Candidate]] = defaultdict(list)
    for person in outcome.people:
        grouped[person.mission_code].append(person)
    return grouped
