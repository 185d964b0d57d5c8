"""Test data for the report tests: a small mission whose readiness is known person by person,
the per-person truth from readiness.rule, and a reader for the tables of a rendered page."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser

from sqlalchemy import insert, select

from accounts.models import Deployment, Mission, User
from certificates import services as certificate_services
from certificates.models import Certificate
from database import utcnow
from extensions import db
from readiness.rule import readiness_of
from tests import factories
from tests.training_factories import make_course, make_module, make_requirement
from training.models import Requirement
from training.statuses import STATUSES

DUE_DAYS = 30


@dataclass
class Scenario:
    mission: Mission
    other: Mission
    requirement: Requirement
    course: object
    units: dict[str, object]
    people: dict[str, User] = field(default_factory=dict)  # key -> user (in the mission now)
    absent: dict[str, User] = field(default_factory=dict)  # key -> user (not counted in the mission)


def person(mission: Mission | None, unit=None, *, name: str, days_in: int = 40, category: str = "military",
           email: str | None = "", language: str = "en", **overrides) -> User:
    """Someone deployed in `mission` for `days_in` days (no password: the roster's people cannot sign in)."""
    values = dict(name=name, category=category, preferred_language=language, password_hash=None)
    if email != "":
        values["email"] = email
    values.update(overrides)
    return factories.make_user(mission=mission, unit=unit, arrival_on=date.today() - timedelta(days=days_in), **values)


def certify(user: User, course, *, days_ago: int = 5) -> Certificate:
    """The course completed `days_ago` days ago (validity 24 months: 800 days ago is expired)."""
    certificate = certificate_services.issue_for_course(user, course, utcnow() - timedelta(days=days_ago))
    db.session.flush()
    return certificate


def build(mission: Mission, other: Mission, *, cleared_battalion: int = 6) -> Scenario:
    """Mission `mission` with two units and one requirement (a course, due 30 days after arrival):

    A-BATT-1 (military): `cleared_battalion` cleared, 2 due, 3 overdue, 1 expired (+1 with a revoked
    certificate: overdue); A-MED-2 (police): 2 cleared, 1 due, 1 overdue; no unit: 1 civilian overdue.
    Not counted here: one who departed yesterday, one whose newer deployment is in `other`, one
    deactivated, and `other`'s own people.
    """
    battalion = mission.units[0] if mission.units else factories.make_unit(mission, code="A-BATT-1")
    medical = factories.make_unit(mission, code="A-MED-2", name="Medical")
    other_unit = other.units[0] if other.units else factories.make_unit(other)
    course = make_course(title={"en": "Child Protection Basics", "fr": "Bases de la protection de l'enfance"})
    for _ in range(2):
        make_module(course, lessons=1)
    requirement = make_requirement(course, mission=mission, due_days=DUE_DAYS)
    make_requirement(course, mission=other, due_days=DUE_DAYS)
    s = Scenario(mission, other, requirement, course, {"battalion": battalion, "medical": medical})
    p = s.people
    for n in range(1, cleared_battalion + 1):
        p[f"cleared{n}"] = person(mission, battalion, name=f"Alpha Cleared {n}", days_in=50)
        certify(p[f"cleared{n}"], course, days_ago=10 + n)
    p["due1"] = person(mission, battalion, name="Alpha Due One", days_in=10, email="due1@example.org")
    p["due2"] = person(mission, battalion, name="Alpha Due Two", days_in=28, email=None)
    p["overdue1"] = person(mission, battalion, name="Alpha Overdue One", days_in=60, email="over1@example.org",
                           language="fr")
    p["overdue2"] = person(mission, battalion, name="Alpha Overdue Two", days_in=90, email="over2@example.org",
                           language="ar")
    p["overdue3"] = person(mission, battalion, name="Alpha Overdue Three", days_in=45, email=None)
    p["expired"] = person(mission, battalion, name="Alpha Expired", days_in=120, email="expired@example.org")
    certify(p["expired"], course, days_ago=800)
    p["revoked"] = person(mission, battalion, name="Alpha Revoked", days_in=70, email="revoked@example.org")
    certificate_services.revoke(certify(p["revoked"], course, days_ago=20), actor=p["revoked"], reason="test")
    for n in (1, 2):
        p[f"medic{n}"] = person(mission, medical, name=f"Medic Cleared {n}", days_in=40, category="police")
        certify(p[f"medic{n}"], course, days_ago=3)
    p["medic_due"] = person(mission, medical, name="Medic Due", days_in=5, category="police", email="medicdue@example.org")
    p["medic_overdue"] = person(mission, medical, name="Medic Overdue", days_in=31, category="police",
                                email="medicover@example.org")
    p["civilian"] = person(mission, None, name="Civil Overdue", days_in=45, category="civilian",
                           email="civil@example.org")
    a = s.absent
    a["departed"] = person(mission, battalion, name="Gone Departed", days_in=90, email="gone@example.org")
    a["departed"].deployments[0].departure_on = date.today() - timedelta(days=1)
    a["moved"] = person(mission, battalion, name="Moved Elsewhere", days_in=200, email="moved@example.org")
    db.session.add(Deployment(user=a["moved"], mission=other, unit=other_unit, arrival_on=date.today() - timedelta(days=100)))
    a["inactive"] = person(mission, battalion, name="Inactive Person", days_in=90, is_active=False,
                           email="inactive@example.org")
    a["outsider"] = person(other, other_unit, name="Bravo Outsider", days_in=90, email="bravo@example.org")
    a["outsider_due"] = person(other, other_unit, name="Bravo Due", days_in=3, email="bravodue@example.org")
    db.session.commit()
    for user in [*p.values(), *a.values()]:
        db.session.refresh(user)
    return s


def many_overdue(scenario: Scenario, n: int) -> None:
    """`n` more overdue people in the battalion ("Bulk Person 000"...), inserted in bulk."""
    ids = db.session.scalars(insert(User).returning(User.id), [
        {"service_number": f"BULK-{k:03d}", "name": f"Bulk Person {k:03d}", "category": "military", "rank": "Pte",
         "preferred_language": "en"} for k in range(n)]).all()
    db.session.execute(insert(Deployment), [{"user_id": user_id, "mission_id": scenario.mission.id,
                                             "unit_id": scenario.units["battalion"].id,
                                             "arrival_on": date.today() - timedelta(days=40 + k % 7)}
                                            for k, user_id in enumerate(ids)])
    db.session.commit()


def truth(mission: Mission, requirement: Requirement, moment: datetime | None = None) -> dict[int, str]:
    """user id -> status, from readiness.rule.readiness_of for each person whose current
    deployment (User.current_deployment) is in `mission` and whose category the requirement covers."""
    moment = moment or datetime.now(timezone.utc)
    result = {}
    for user in db.session.scalars(select(User).where(User.is_active.is_(True))):
        deployment = user.current_deployment(moment.date())
        if deployment is None or deployment.mission_id != mission.id or user.category not in requirement.category_list:
            continue
        expires_at = db.session.scalar(select(Certificate.expires_at).where(
            Certificate.user_id == user.id, Certificate.course_id == requirement.course_id, Certificate.status == "valid"))
        result[user.id] = readiness_of(deployment.arrival_on, requirement.due_days, expires_at, moment).status
    return result


def status_counts(statuses: dict[int, str], user_ids=None) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for user_id, status in statuses.items():
        if user_ids is None or user_id in user_ids:
            counts[status] += 1
    return counts


# Reading pages and downloads

@dataclass
class Table:
    caption: str
    rows: list[list[str]] = field(default_factory=list)  # header row first
    links: list[list[str]] = field(default_factory=list)  # hrefs per row

    def body(self) -> list[list[str]]:
        return self.rows[1:]

    def row(self, first: str) -> list[str]:
        found = [r for r in self.body() if r and r[0].startswith(first)]
        assert len(found) == 1, f"{first!r} in {self.caption!r}: {self.rows}"
        return found[0]


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[Table] = []
        self._stack: list[Table] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._stack.append(Table(""))
        elif not self._stack:
            return
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._stack[-1].rows.append([])
            self._stack[-1].links.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "a" and self._stack[-1].links:
            self._stack[-1].links[-1].append(dict(attrs).get("href", ""))

    def handle_endtag(self, tag):
        if tag == "table" and self._stack:
            self.tables.append(self._stack.pop())
        elif tag == "caption" and self._caption is not None:
            self._stack[-1].caption = _squash("".join(self._caption))
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self._stack[-1].rows[-1].append(_squash("".join(self._cell)))
            self._cell = None

    def handle_data(self, data):
        if self._caption is not None:
            self._caption.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def tables(html: str) -> list[Table]:
    parser = _Tables()
    parser.feed(html)
    parser.close()
    return parser.tables


def table(html: str, caption_start: str) -> Table:
    found = [t for t in tables(html) if t.caption.startswith(caption_start)]
    assert len(found) == 1, f"tables captioned {caption_start!r}: {[t.caption for t in tables(html)]}"
    return found[0]


def number(cell: str) -> int:
    """The count at the start of a cell: '12 (40%)' -> 12."""
    match = re.match(r"[\d,]+", cell)
    assert match, f"no number in {cell!r}"
    return int(match.group().replace(",", ""))


def read_csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def read_xlsx(response) -> list[list]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    sheet = workbook.worksheets[0]
    rows = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    # An empty cell at the end of a row is not stored at all: pad to the header's width.
    width = max((len(row) for row in rows), default=0)
    rows = [row + [""] * (width - len(row)) for row in rows]
    workbook.close()
    return rows
