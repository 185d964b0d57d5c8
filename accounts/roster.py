"""Roster import: people, their mission and unit, from a CSV file.

Three steps, so that a dry run and the real import can never disagree:
parse_roster() reads and checks each row (pure, no database); plan_roster() compares the good
rows with the database and says what would be created, updated and moved (reads only, plain
values, no ORM objects: 50,000 rows fit in a few seconds and tens of megabytes);
accounts.roster_apply.apply_roster() does exactly that in one short transaction, after checking
that the people it touches are still as planned. A move closes the old deployment (never
deleted) as accounts.services.deploy does, and each move is on the audit record.
People missing from the file are left alone: a roster is often one contingent, not everyone.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from accounts.models import CATEGORIES, Deployment, Mission, Unit, User
from core import languages
from core.text import bad_identifier, has_control, strip_bidi
from extensions import db

COLUMNS = ("service_number", "name", "email", "category", "rank", "mission", "unit", "arrival_on", "language")
REQUIRED = ("service_number", "name", "category", "mission", "unit", "arrival_on")
MAX_LENGTHS = {"service_number": 40, "name": 200, "email": 254, "rank": 60}
MAX_UPLOAD_BYTES = 6 * 1024 * 1024  # some 60,000 rows; MAX_CONTENT_LENGTH (8 MB) bounds the whole post
UPLOAD_MAX_AGE = 3600  # seconds between the dry run on the upload page and "Apply"
IDENTIFIER_COLUMNS = ("service_number", "email", "mission", "unit", "category", "language", "arrival_on")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CHUNK = 500  # keeps IN (...) lists well inside every database's parameter limit


class RosterFileError(ValueError):
    """The file as a whole cannot be read; the message is one line, safe to show."""


class RosterRejected(ValueError):
    """The file has bad rows and the caller did not ask to keep the good ones."""


@dataclass(frozen=True, slots=True)
class RosterRow:
    line: int
    service_number: str
    name: str
    email: str | None
    category: str
    rank: str
    mission: str
    unit: str
    arrival_on: date
    language: str | None


@dataclass
class ParsedRoster:
    rows: list[RosterRow]
    problems: dict[int, list[str]]  # line -> reasons
    total: int  # data rows read (blank lines are not rows)
    # line -> (mission, unit) of the rows with problems: the plan still looks them up in the
    # database, so a row with a format problem and an unknown unit reports both in one upload.
    references: dict[int, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class KnownDeployment:
    id: int
    mission_id: int
    unit_id: int | None
    arrival_on: date
    departure_on: date | None
    place: str  # "MISSION / UNIT"

    def is_current(self, on: date) -> bool:
        return self.departure_on is None or self.departure_on >= on


@dataclass(slots=True)
class KnownPerson:
    """A person already in the database, as the plan read them (plain values, not an ORM object)."""

    id: int
    service_number: str
    name: str
    email: str | None
    category: str
    rank: str
    preferred_language: str
    deployments: list[KnownDeployment] = field(default_factory=list)  # newest arrival first

    def current_deployment(self, on: date) -> KnownDeployment | None:
        return next((d for d in self.deployments if d.is_current(on)), None)

    def state(self) -> tuple:
        """What the plan relied on: compared again inside the write transaction."""
        return (self.name, self.email, self.category, self.rank, self.preferred_language,
                tuple((d.id, d.mission_id, d.unit_id, d.arrival_on, d.departure_on) for d in self.deployments))


@dataclass(frozen=True)
class Place:
    mission_id: int
    code: str
    first_language: str
    units: dict[str, int]  # unit code (upper case) -> id


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class PlannedUpdate:
    row: RosterRow
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True, slots=True)
class PlannedMove:
    row: RosterRow
    from_place: str | None  # "MISSION / UNIT", or None when the person has no current deployment
    to_place: str
    mission_id: int = 0
    unit_id: int = 0
    closes: tuple[int, ...] = ()  # deployments that end the day before the arrival


@dataclass
class RosterPlan:
    total: int
    creates: list[RosterRow] = field(default_factory=list)
    updates: list[PlannedUpdate] = field(default_factory=list)
    moves: list[PlannedMove] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reasons), in line order
    users: dict[str, KnownPerson] = field(default_factory=dict, repr=False)
    missions: dict[str, Place] = field(default_factory=dict, repr=False)
    created_ids: list[int] = field(default_factory=list, repr=False)  # set by roster_apply.apply_roster

    @property
    def good_rows(self) -> int:
        return self.total - len(self.errors)

    @property
    def unchanged(self) -> int:
        touched = {u.row.line for u in self.updates} | {m.row.line for m in self.moves}
        return self.good_rows - len(self.creates) - len(touched)


# --- reading -------------------------------------------------------------------------------

def decode_roster(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterFileError("The file is not UTF-8 text. In a spreadsheet, save it as “CSV UTF-8”.") from None
    if "\x00" in text:
        raise RosterFileError("The file is not a CSV text file.")
    return text


def parse_roster(text: str, progress: Callable[[int], None] | None = None) -> ParsedRoster:
    """Check every row on its own and against the others; raise RosterFileError for the file.

    `progress(rows read)` is called every 500 rows (a job's progress bar)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise RosterFileError("The file is empty.")
        index = _column_index(header)
        problems: dict[int, list[str]] = defaultdict(list)
        candidates: list[RosterRow] = []
        seen_numbers: dict[str, list[int]] = defaultdict(list)
        seen_emails: dict[str, list[int]] = defaultdict(list)
        references: dict[int, tuple[str, str]] = {}
        total = 0
        next_line = reader.line_num + 1
        for cells in reader:
            line, next_line = next_line, reader.line_num + 1  # a quoted cell may span lines
            if not any(cell.strip() for cell in cells):
                continue
            total += 1
            if progress is not None and total % 500 == 0:
                progress(total)
            row, reasons, values = _check_row(line, cells, index)
            if values["service_number"]:
                seen_numbers[values["service_number"].upper()].append(line)
            if values["email"]:
                seen_emails[values["email"].lower()].append(line)
            problems[line].extend(reasons)
            references[line] = (csv_cell(cells, index, "mission").upper(), csv_cell(cells, index, "unit").upper())
            if row is not None:
                candidates.append(row)
    except csv.Error as error:
        raise RosterFileError(f"line {reader.line_num}: not valid CSV ({error}).") from None
    for label, seen in (("service number", seen_numbers), ("email", seen_emails)):
        for value, lines in seen.items():
            if len(lines) > 1:
                for line in lines:
                    others = ", ".join(str(other) for other in lines if other != line)
                    problems[line].append(f"{label} {value} is also on line {others}")
    problems = {line: reasons for line, reasons in problems.items() if reasons}
    return ParsedRoster([row for row in candidates if row.line not in problems], problems, total,
                        {line: references[line] for line in problems})


def _column_index(header: list[str]) -> dict[str, int]:
    names = [name.strip().lower() for name in header]
    missing = [name for name in COLUMNS if name not in names]
    unknown = [name for name in names if name not in COLUMNS]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if missing or unknown or repeated:
        parts = [f"missing {', '.join(missing)}" if missing else "",
                 f"unknown {', '.join(unknown)}" if unknown else "",
                 f"repeated {', '.join(repeated)}" if repeated else ""]
        raise RosterFileError(f"Wrong header ({'; '.join(p for p in parts if p)}). "
                              f"The first line must name the columns: {','.join(COLUMNS)}.")
    return {name: names.index(name) for name in COLUMNS}


def csv_cell(cells: list[str], index: dict[str, int], name: str) -> str:
    position = index[name]
    return cells[position].strip() if position < len(cells) else ""


def _check_row(line: int, cells: list[str], index: dict[str, int]) -> tuple[RosterRow | None, list[str], dict]:
    values = {name: csv_cell(cells, index, name) for name in COLUMNS}
    values["name"], values["rank"] = strip_bidi(values["name"]), strip_bidi(values["rank"])
    reasons = [f"{name} contains a control or text-direction character" for name in COLUMNS
               if (bad_identifier(values[name]) if name in IDENTIFIER_COLUMNS else has_control(values[name]))]
    if len(cells) > len(COLUMNS):
        reasons.append(f"{len(cells)} cells but the header has {len(COLUMNS)}")
    reasons += [f"{name} is missing" for name in REQUIRED if not values[name]]
    reasons += [f"{name} is longer than {limit} characters" for name, limit in MAX_LENGTHS.items()
                if len(values[name]) > limit]
    category, language = values["category"].lower(), values["language"].lower() or None
    if values["category"] and category not in CATEGORIES:
        reasons.append(f"category must be one of {', '.join(CATEGORIES)}, not “{values['category']}”")
    if language and language not in languages.codes():
        reasons.append(f"language must be one of {', '.join(languages.codes())}, not “{values['language']}”")
    email = values["email"].lower() or None
    if email and not _valid_email(email):
        reasons.append(f"email “{values['email']}” is not a valid address")
    arrival_on = iso_date(values["arrival_on"])
    if values["arrival_on"] and arrival_on is None:
        reasons.append(f"arrival_on “{values['arrival_on']}” is not a date written YYYY-MM-DD")
    if reasons:
        return None, reasons, values
    return RosterRow(
        line=line, service_number=values["service_number"].upper(), name=values["name"], email=email,
        category=category, rank=values["rank"], mission=values["mission"].upper(), unit=values["unit"].upper(),
        arrival_on=arrival_on, language=language,
    ), [], values


# A plain ASCII local part (dots between characters, no quoting): valid whatever the domain.
_PLAIN_LOCAL = re.compile(r"^[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*$")


def _valid_email(email: str) -> bool:
    """email_validator's verdict. A roster's addresses share a few domains, so a plain local part
    skips the full check and its domain is checked once (that check was half of parsing 50,000 rows)."""
    local, at, domain = email.rpartition("@")
    if at and len(local) <= 64 and _PLAIN_LOCAL.match(local):
        return _valid_domain(domain)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@functools.lru_cache(maxsize=1024)
def _valid_domain(domain: str) -> bool:
    try:
        validate_email(f"a@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def iso_date(text: str) -> date | None:
    """A date written YYYY-MM-DD (the form roster and recognition files use), or None."""
    if not _ISO_DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# --- planning ------------------------------------------------------------------------------

def plan_roster(parsed: ParsedRoster, today: date | None = None,
                progress: Callable[[int], None] | None = None) -> RosterPlan:
    """Compare the good rows with the database. Reads only. `progress(rows compared)` every 500 rows."""
    today = today or date.today()
    plan = RosterPlan(total=parsed.total)
    problems = {line: list(reasons) for line, reasons in parsed.problems.items()}
    plan.missions = places()
    plan.users = known_people([row.service_number for row in parsed.rows])
    email_holders = _email_holders([row.email for row in parsed.rows if row.email])
    for number, row in enumerate(parsed.rows, 1):
        if progress is not None and number % 500 == 0:
            progress(number)
        reasons = _plan_row(plan, row, email_holders, today)
        if reasons:
            problems[row.line] = reasons
    for line, (mission_code, unit_code) in parsed.references.items():
        if mission_code and unit_code:
            problems[line] += [reason for reason in _place_problems(plan, mission_code, unit_code)
                               if reason not in problems[line]]
    plan.errors = [(line, "; ".join(reasons)) for line, reasons in sorted(problems.items())]
    return plan


def _place_problems(plan: RosterPlan, mission_code: str, unit_code: str) -> list[str]:
    mission = plan.missions.get(mission_code)
    if mission is None:
        return [f"mission {mission_code} does not exist"]
    if _unit(mission, unit_code) is None:
        return [f"unit {unit_code} is not a unit of mission {mission_code}"]
    return []


def _plan_row(plan: RosterPlan, row: RosterRow, email_holders: dict[str, str], today: date) -> list[str]:
    mission = plan.missions.get(row.mission)
    unit = _unit(mission, row.unit)
    reasons = _place_problems(plan, row.mission, row.unit)
    holder = email_holders.get(row.email or "")
    if holder is not None and holder != row.service_number:
        reasons.append(f"email {row.email} is already used by another person")
    user = plan.users.get(row.service_number)
    move = _planned_move(user, row, mission, unit, today) if user and mission and unit is not None else None
    if isinstance(move, str):
        reasons.append(move)
    if reasons:
        return reasons
    if user is None:
        plan.creates.append(row)
        return []
    changes = _changes(user, row)
    if changes:
        plan.updates.append(PlannedUpdate(row, changes))
    if move is not None:
        plan.moves.append(move)
    return []


def _unit(mission: Place | None, code: str) -> int | None:
    return mission.units.get(code) if mission else None


def _planned_move(user: KnownPerson, row: RosterRow, mission: Place, unit_id: int, today: date) -> PlannedMove | str | None:
    """The move this row asks for, None if the person is already there, or why it cannot be done."""
    current = user.current_deployment(today)
    if current is not None and current.mission_id == mission.mission_id and current.unit_id == unit_id:
        return None
    # The same rule as accounts.services.deploy, checked here so a dry run reports it.
    closes = []
    for deployment in user.deployments:
        still_open = deployment.departure_on is None or deployment.departure_on >= row.arrival_on
        if still_open and deployment.arrival_on >= row.arrival_on:
            return (f"arrival_on {row.arrival_on.isoformat()} must be after the arrival of the current "
                    f"deployment ({deployment.place}, {deployment.arrival_on.isoformat()})")
        if still_open:
            closes.append(deployment.id)
    return PlannedMove(row, current.place if current else None, f"{mission.code} / {row.unit}", mission.mission_id,
                       unit_id, tuple(closes))


def _changes(user: KnownPerson, row: RosterRow) -> tuple[FieldChange, ...]:
    # Name, category and rank come from the roster as they are; an empty email or language cell
    # leaves the person's own choice alone (many peacekeepers have no email on the roster).
    wanted = {"name": row.name, "category": row.category, "rank": row.rank}
    if row.email:
        wanted["email"] = row.email
    if row.language:
        wanted["preferred_language"] = row.language
    return tuple(FieldChange(name, getattr(user, name) or "", value) for name, value in wanted.items()
                 if (getattr(user, name) or "") != value)


def places() -> dict[str, Place]:
    """Every mission by code, with its units: a few hundred rows at most."""
    missions = {code.upper(): Place(mission_id, code, _first_language(languages), {})
                for mission_id, code, languages in db.session.execute(select(Mission.id, Mission.code, Mission.languages))}
    by_id = {place.mission_id: place for place in missions.values()}
    for mission_id, unit_id, code in db.session.execute(select(Unit.mission_id, Unit.id, Unit.code)):
        by_id[mission_id].units[code.upper()] = unit_id
    return missions


def known_people(numbers: list[str]) -> dict[str, KnownPerson]:
    """The people with these service numbers and their deployments, as plain values (reads only)."""
    people: dict[str, KnownPerson] = {}
    for start in range(0, len(numbers), _CHUNK):
        query = select(User.id, User.service_number, User.name, User.email, User.category, User.rank,
                       User.preferred_language).where(User.service_number.in_(numbers[start:start + _CHUNK]))
        people.update((row[1], KnownPerson(*row)) for row in db.session.execute(query))
    by_id = {person.id: person for person in people.values()}
    ids = list(by_id)
    for start in range(0, len(ids), _CHUNK):
        query = (select(Deployment.user_id, Deployment.id, Deployment.mission_id, Deployment.unit_id,
                        Deployment.arrival_on, Deployment.departure_on, Mission.code, Unit.code)
                 .join(Mission, Mission.id == Deployment.mission_id).outerjoin(Unit, Unit.id == Deployment.unit_id)
                 .where(Deployment.user_id.in_(ids[start:start + _CHUNK]))
                 .order_by(Deployment.user_id, Deployment.arrival_on.desc(), Deployment.id.desc()))
        for user_id, *values, mission_code, unit_code in db.session.execute(query):
            by_id[user_id].deployments.append(KnownDeployment(*values, f"{mission_code} / {unit_code or '—'}"))
    return people


def _email_holders(emails: list[str]) -> dict[str, str]:
    holders: dict[str, str] = {}
    if len(emails) > 4 * _CHUNK:
        # Many addresses: one statement reading everyone's e-mail, rather than a search of the
        # lower(email) index (ix_users_email_lower) per address in a statement per chunk.
        wanted = set(emails)
        query = select(func.lower(User.email), User.service_number).where(User.email.is_not(None))
        return {email: number for email, number in db.session.execute(query) if email in wanted}
    for start in range(0, len(emails), _CHUNK):
        query = select(func.lower(User.email), User.service_number).where(
            func.lower(User.email).in_(emails[start:start + _CHUNK]))
        holders.update((email, number) for email, number in db.session.execute(query))
    return holders


def _first_language(mission_languages: str) -> str:
    return next((code for code in mission_languages.split(",") if code in languages.codes()), "en")


def format_report(plan: RosterPlan) -> list[str]:
    lines = [f"{plan.total} rows: {len(plan.creates)} to create, {len(plan.updates)} to update, "
             f"{len(plan.moves)} to move, {plan.unchanged} unchanged, {len(plan.errors)} with errors."]
    lines += [f"  create {r.service_number} {r.name}: {r.mission} / {r.unit} from {r.arrival_on.isoformat()}"
              for r in plan.creates]
    lines += [f"  update {u.row.service_number} {u.row.name}: "
              + ", ".join(f"{c.field} “{c.old}” -> “{c.new}”" for c in u.changes) for u in plan.updates]
    lines += [f"  move {m.row.service_number} {m.row.name}: {m.from_place or 'no current deployment'} -> "
              f"{m.to_place} on {m.row.arrival_on.isoformat()}" for m in plan.moves]
    lines += [f"  line {line}: {reason}" for line, reason in plan.errors]
    return lines


# --- the upload page carries the checked file back through the browser, signed --------------

def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="roster-upload")


@dataclass(frozen=True)
class CheckedUpload:
    text: str
    name: str
    digest: str = ""    # plan_digest of the dry run the admin saw ("" : not known)
    bad_rows: int = 0


def sign_upload(secret_key: str, text: str, filename: str, *, plan: RosterPlan | None = None) -> str:
    return _serializer(secret_key).dumps({"text": text, "name": filename, "digest": plan_digest(plan) if plan else "",
                                          "bad": len(plan.errors) if plan else 0})


def read_signed_upload(secret_key: str, token: str) -> CheckedUpload:
    """What sign_upload signed; RosterFileError if forged or too old."""
    try:
        payload = _serializer(secret_key).loads(token, max_age=UPLOAD_MAX_AGE)
    except SignatureExpired:
        raise RosterFileError("This check is more than an hour old. Upload the file again.") from None
    except BadSignature:
        raise RosterFileError("The file could not be verified. Upload it again.") from None
    return CheckedUpload(str(payload["text"]), str(payload["name"]), str(payload.get("digest", "")),
                         int(payload.get("bad", 0)))


def plan_digest(plan: RosterPlan) -> str:
    """A fingerprint of what the plan would do: the job applies only what the admin saw."""
    parts = [("create", r.line, r.service_number, r.mission, r.unit) for r in plan.creates]
    parts += [("update", u.row.line, u.row.service_number, tuple((c.field, c.old, c.new) for c in u.changes))
              for u in plan.updates]
    parts += [("move", m.row.line, m.row.service_number, m.from_place, m.to_place, m.closes) for m in plan.moves]
    parts += [("error", line) for line, _reason in plan.errors]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


# --- "print slips for the people this import created": the ids travel signed, as ranges -----

CREATED_MAX_AGE = 7 * 24 * 3600  # seconds the import page's "print slips" button stays usable


def _created_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="roster-created")


def sign_created(secret_key: str, user_ids: list[int], source: str) -> str:
    """A short token naming the people one import created. Ids inserted in one flush are mostly
    consecutive, so ranges keep it small enough for a URL even for thousands of people."""
    ranges: list[list[int]] = []
    for user_id in sorted(user_ids):
        if ranges and ranges[-1][1] == user_id - 1:
            ranges[-1][1] = user_id
        else:
            ranges.append([user_id, user_id])
    return _created_serializer(secret_key).dumps({"r": ranges, "s": source[:120]})


def read_created(secret_key: str, token: str) -> tuple[list[int], str]:
    """The (user ids, file name) signed by sign_created; RosterFileError if forged or too old."""
    try:
        payload = _created_serializer(secret_key).loads(token, max_age=CREATED_MAX_AGE)
    except BadSignature:  # SignatureExpired is a BadSignature
        raise RosterFileError("This link is out of date or damaged. Print from the mission dashboard.") from None
    ids = [user_id for first, last in payload["r"] for user_id in range(int(first), int(last) + 1)]
    return ids, str(payload["s"])
