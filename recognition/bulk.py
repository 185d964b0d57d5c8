"""Recording many outside certificates from a CSV file, with the roster import's dry-run rules
(accounts.roster): parse_file() checks each row on its own (pure), plan_file() against the
database, and apply_plan() records exactly what the plan says, all or nothing: one bad row and
nothing is recorded. Every problem of a row is reported with its line number.

The file names people by service number and the required course by its code here; each row
recognises the outside certificate for the requirement(s) of that course that apply to the person
in the mission the import is for.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from accounts.models import Mission, User
from accounts.roster import RosterFileError, csv_cell, iso_date
from audit.services import record
from core.text import bad_identifier, has_control, strip_bidi
from extensions import db
from recognition import services
from recognition.services import Details
from training.models import Course, Requirement

COLUMNS = ("service_number", "course", "issuer", "course_name", "completed_on", "certificate_expires_on",
           "recognised_until")
REQUIRED = ("service_number", "course", "issuer", "course_name", "completed_on", "recognised_until")
DATES = ("completed_on", "certificate_expires_on", "recognised_until")
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
UPLOAD_MAX_AGE = 3600  # seconds between the check and "Record them all"
_CHUNK = 500


@dataclass(frozen=True)
class Row:
    line: int
    service_number: str
    course: str
    details: Details


@dataclass
class Planned:
    row: Row
    person: User
    requirements: list[Requirement]


@dataclass
class Plan:
    total: int
    records: list[Planned] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reasons), in line order


class Rejected(ValueError):
    """The plan has bad rows: nothing was recorded."""


def parse_file(text: str, today: date) -> tuple[list[Row], dict[int, list[str]], int]:
    """(good rows, line -> problems, data rows read). RosterFileError for the file as a whole."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise RosterFileError("The file is empty.")
        index = _column_index(header)
        rows, problems, seen, total = [], defaultdict(list), defaultdict(list), 0
        next_line = reader.line_num + 1
        for cells in reader:
            line, next_line = next_line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            total += 1
            row, reasons = _check_row(line, cells, index, today)
            problems[line] += reasons
            key = (csv_cell(cells, index, "service_number").upper(), csv_cell(cells, index, "course").lower())
            if all(key):
                seen[key].append(line)
            if row is not None:
                rows.append(row)
    except csv.Error as error:
        raise RosterFileError(f"line {reader.line_num}: not valid CSV ({error}).") from None
    for (number, course), lines in seen.items():
        for line in lines if len(lines) > 1 else []:
            others = ", ".join(str(other) for other in lines if other != line)
            problems[line].append(f"{number} and course {course} are also on line {others}")
    problems = {line: reasons for line, reasons in problems.items() if reasons}
    return [row for row in rows if row.line not in problems], problems, total


def _column_index(header: list[str]) -> dict[str, int]:
    names = [name.strip().lower() for name in header]
    missing = [name for name in COLUMNS if name not in names]
    unknown = [name for name in names if name not in COLUMNS]
    if missing or unknown or len(set(names)) != len(names):
        raise RosterFileError(f"Wrong header. The first line must name the columns: {','.join(COLUMNS)}.")
    return {name: names.index(name) for name in COLUMNS}


def _check_row(line: int, cells: list[str], index: dict[str, int], today: date) -> tuple[Row | None, list[str]]:
    values = {name: csv_cell(cells, index, name) for name in COLUMNS}
    values["issuer"], values["course_name"] = strip_bidi(values["issuer"]), strip_bidi(values["course_name"])
    reasons = [f"{name} contains a control or text-direction character" for name in COLUMNS
               if (has_control(values[name]) if name in ("issuer", "course_name") else bad_identifier(values[name]))]
    if len(cells) > len(COLUMNS):
        reasons.append(f"{len(cells)} cells but the header has {len(COLUMNS)}")
    reasons += [f"{name} is missing" for name in REQUIRED if not values[name]]
    days = {name: iso_date(values[name]) for name in DATES}
    reasons += [f"{name} “{values[name]}” is not a date written YYYY-MM-DD" for name in DATES
                if values[name] and days[name] is None]
    if reasons or days["completed_on"] is None or days["recognised_until"] is None:
        return None, reasons
    details = Details(values["issuer"], values["course_name"], days["completed_on"], days["certificate_expires_on"],
                      days["recognised_until"])
    reasons += services.problems_with(details, today)
    if reasons:
        return None, reasons
    return Row(line, values["service_number"].upper(), values["course"].lower(), details), []


def plan_file(rows: list[Row], problems: dict[int, list[str]], total: int, mission: Mission, today: date) -> Plan:
    """Check the good rows against the database: the person is deployed in `mission` now, the course
    is required of them there, and nothing is recognised for it yet. Reads only."""
    problems = {line: list(reasons) for line, reasons in problems.items()}
    people = _people([row.service_number for row in rows])
    courses = {c.code.lower(): c for c in db.session.scalars(select(Course).where(
        Course.code.in_({row.course for row in rows})))} if rows else {}
    plan = Plan(total)
    for row in rows:
        reasons = []
        person = people.get(row.service_number)
        mission_now = services.current_mission(person, today) if person is not None else None
        if person is None or not person.is_active:
            reasons.append(f"nobody with service number {row.service_number} is on the roster")
        elif mission_now is None or mission_now.id != mission.id:
            reasons.append(f"{row.service_number} is not deployed in {mission.code} now")
        course = courses.get(row.course)
        if course is None:
            reasons.append(f"no course has the code {row.course}")
        matching = [r for r in services.requirements_for_person(person, today) if r.course_id == course.id] \
            if person is not None and course is not None and not reasons else []
        if not reasons and not matching:
            reasons.append(f"course {row.course} is not required of {row.service_number} in {mission.code}")
        if any(services.in_force(person.id, requirement.id) for requirement in matching):
            reasons.append(f"an outside certificate is already recognised for {row.service_number} and course "
                           f"{row.course}: change it on its page")
        if reasons:
            problems[row.line] = reasons
        else:
            plan.records.append(Planned(row, person, matching))
    plan.errors = [(line, "; ".join(reasons)) for line, reasons in sorted(problems.items())]
    return plan


def _people(numbers: list[str]) -> dict[str, User]:
    people: dict[str, User] = {}
    for start in range(0, len(numbers), _CHUNK):
        people.update((user.service_number.upper(), user) for user in db.session.scalars(
            select(User).where(User.service_number.in_(numbers[start:start + _CHUNK]))))
    return people


def apply_plan(plan: Plan, *, actor: User, mission: Mission, source: str) -> int:
    """Record every planned row (each audited), or nothing when any row is bad. The caller commits."""
    if plan.errors:
        raise Rejected(f"{len(plan.errors)} bad row(s): nothing was recorded.")
    recorded = 0
    for planned in plan.records:
        for requirement in planned.requirements:
            services.record_outside_certificate(planned.person, requirement, planned.row.details, actor=actor,
                                                source=f"csv:{source[:100]}")
            recorded += 1
    record("outside_certificates_imported", actor=actor, target=f"mission:{mission.id}", source=source[:120],
           rows=plan.total, recorded=recorded)
    return recorded


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="recognition-upload")


def sign_upload(secret_key: str, text: str, filename: str, mission_id: int) -> str:
    return _serializer(secret_key).dumps({"text": text, "name": filename, "mission": mission_id})


def read_signed_upload(secret_key: str, token: str, mission_id: int) -> tuple[str, str]:
    """The (text, filename) signed by sign_upload for this mission; RosterFileError if forged or too old."""
    try:
        payload = _serializer(secret_key).loads(token, max_age=UPLOAD_MAX_AGE)
    except SignatureExpired:
        raise RosterFileError("This check is more than an hour old. Upload the file again.") from None
    except BadSignature:
        raise RosterFileError("The file could not be verified. Upload it again.") from None
    if payload.get("mission") != mission_id:
        raise RosterFileError("The file was checked for another mission. Upload it again.")
    return str(payload["text"]), str(payload["name"])
