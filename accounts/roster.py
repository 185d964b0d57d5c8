"""Roster import: people, their mission and unit, from a CSV file.

Three steps, so that a dry run and the real import can never disagree:
parse_roster() reads and checks each row (pure, no database); plan_roster() compares the good
rows with the database and says what would be created, updated and moved; apply_roster() does
exactly that (adds and flushes; the caller commits once, so the import is one transaction).
Moves go through accounts.services.deploy: the old deployment is closed, never deleted, and
each move is on the audit record.
People missing from the file are left alone: a roster is often one contingent, not everyone.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import click
from email_validator import EmailNotValidError, validate_email
from flask.cli import with_appcontext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from accounts.models import CATEGORIES, Deployment, Mission, User
from accounts.services import deploy
from audit.services import record
from core import languages
from core.text import bad_identifier, has_control, strip_bidi
from extensions import db

COLUMNS = ("service_number", "name", "email", "category", "rank", "mission", "unit", "arrival_on", "language")
REQUIRED = ("service_number", "name", "category", "mission", "unit", "arrival_on")
MAX_LENGTHS = {"service_number": 40, "name": 200, "email": 254, "rank": 60}
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
UPLOAD_MAX_AGE = 3600  # seconds between the dry run on the upload page and "Apply"
IDENTIFIER_COLUMNS = ("service_number", "email", "mission", "unit", "category", "language", "arrival_on")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CHUNK = 500  # keeps IN (...) lists well inside every database's parameter limit


class RosterFileError(ValueError):
    """The file as a whole cannot be read; the message is one line, safe to show."""


class RosterRejected(ValueError):
    """The file has bad rows and the caller did not ask to keep the good ones."""


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class PlannedUpdate:
    row: RosterRow
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class PlannedMove:
    row: RosterRow
    from_place: str | None  # "MISSION / UNIT", or None when the person has no current deployment
    to_place: str


@dataclass
class RosterPlan:
    total: int
    creates: list[RosterRow] = field(default_factory=list)
    updates: list[PlannedUpdate] = field(default_factory=list)
    moves: list[PlannedMove] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reasons), in line order
    users: dict[str, User] = field(default_factory=dict, repr=False)
    missions: dict[str, Mission] = field(default_factory=dict, repr=False)

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


def parse_roster(text: str) -> ParsedRoster:
    """Check every row on its own and against the others; raise RosterFileError for the file."""
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
            row, reasons = _check_row(line, cells, index)
            values = {name: _cell(cells, index, name) for name in ("service_number", "email")}
            if values["service_number"]:
                seen_numbers[values["service_number"].upper()].append(line)
            if values["email"]:
                seen_emails[values["email"].lower()].append(line)
            problems[line].extend(reasons)
            references[line] = (_cell(cells, index, "mission").upper(), _cell(cells, index, "unit").upper())
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


def _cell(cells: list[str], index: dict[str, int], name: str) -> str:
    position = index[name]
    return cells[position].strip() if position < len(cells) else ""


def _check_row(line: int, cells: list[str], index: dict[str, int]) -> tuple[RosterRow | None, list[str]]:
    values = {name: _cell(cells, index, name) for name in COLUMNS}
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
    if email:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            reasons.append(f"email “{values['email']}” is not a valid address")
    arrival_on = _iso_date(values["arrival_on"])
    if values["arrival_on"] and arrival_on is None:
        reasons.append(f"arrival_on “{values['arrival_on']}” is not a date written YYYY-MM-DD")
    if reasons:
        return None, reasons
    return RosterRow(
        line=line, service_number=values["service_number"].upper(), name=values["name"], email=email,
        category=category, rank=values["rank"], mission=values["mission"].upper(), unit=values["unit"].upper(),
        arrival_on=arrival_on, language=language,
    ), []


def _iso_date(text: str) -> date | None:
    if not _ISO_DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# --- planning ------------------------------------------------------------------------------

def plan_roster(parsed: ParsedRoster, today: date | None = None) -> RosterPlan:
    """Compare the good rows with the database. Reads only."""
    today = today or date.today()
    plan = RosterPlan(total=parsed.total)
    problems = {line: list(reasons) for line, reasons in parsed.problems.items()}
    plan.missions = {m.code.upper(): m for m in db.session.scalars(select(Mission).options(selectinload(Mission.units)))}
    plan.users = _users_by_number([row.service_number for row in parsed.rows])
    email_holders = _email_holders([row.email for row in parsed.rows if row.email])
    for row in parsed.rows:
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
    move = _planned_move(user, row, mission, unit, today) if user and mission and unit else None
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


def _unit(mission: Mission | None, code: str):
    return next((u for u in mission.units if u.code.upper() == code), None) if mission else None


def _place(deployment: Deployment) -> str:
    return f"{deployment.mission.code} / {deployment.unit.code if deployment.unit else '—'}"


def _planned_move(user: User, row: RosterRow, mission: Mission, unit, today: date) -> PlannedMove | str | None:
    """The move this row asks for, None if the person is already there, or why it cannot be done."""
    current = user.current_deployment(today)
    if current is not None and current.mission_id == mission.id and current.unit_id == unit.id:
        return None
    # The same rule as accounts.services.deploy, checked here so a dry run reports it.
    for deployment in user.deployments:
        still_open = deployment.departure_on is None or deployment.departure_on >= row.arrival_on
        if still_open and deployment.arrival_on >= row.arrival_on:
            return (f"arrival_on {row.arrival_on.isoformat()} must be after the arrival of the current "
                    f"deployment ({_place(deployment)}, {deployment.arrival_on.isoformat()})")
    return PlannedMove(row, _place(current) if current else None, f"{mission.code} / {unit.code}")


def _changes(user: User, row: RosterRow) -> tuple[FieldChange, ...]:
    # Name, category and rank come from the roster as they are; an empty email or language cell
    # leaves the person's own choice alone (many peacekeepers have no email on the roster).
    wanted = {"name": row.name, "category": row.category, "rank": row.rank}
    if row.email:
        wanted["email"] = row.email
    if row.language:
        wanted["preferred_language"] = row.language
    return tuple(FieldChange(name, getattr(user, name) or "", value) for name, value in wanted.items()
                 if (getattr(user, name) or "") != value)


def _users_by_number(numbers: list[str]) -> dict[str, User]:
    users: dict[str, User] = {}
    for start in range(0, len(numbers), _CHUNK):
        query = (select(User).where(User.service_number.in_(numbers[start:start + _CHUNK]))
                 .options(selectinload(User.deployments).options(joinedload(Deployment.mission),
                                                                  joinedload(Deployment.unit))))
        users.update((user.service_number, user) for user in db.session.scalars(query))
    return users


def _email_holders(emails: list[str]) -> dict[str, str]:
    holders: dict[str, str] = {}
    for start in range(0, len(emails), _CHUNK):
        query = select(func.lower(User.email), User.service_number).where(
            func.lower(User.email).in_(emails[start:start + _CHUNK]))
        holders.update((email, number) for email, number in db.session.execute(query))
    return holders


# --- applying ------------------------------------------------------------------------------

def apply_roster(plan: RosterPlan, *, actor: User | None, source: str, keep_good_rows: bool = False) -> dict[str, int]:
    """Create, update and move as planned, then record one audit event. The caller commits."""
    if plan.errors and not keep_good_rows:
        raise RosterRejected(f"{len(plan.errors)} bad row(s): nothing was changed.")
    for update in plan.updates:
        user = plan.users[update.row.service_number]
        for change in update.changes:
            setattr(user, change.field, change.new)
    db.session.flush()
    # A new person has no history to close, so their first deployment is added directly and
    # everyone is inserted in one flush; the single audit event below covers them all.
    for row in plan.creates:
        mission = plan.missions[row.mission]
        user = User(service_number=row.service_number, name=row.name, email=row.email, category=row.category,
                    rank=row.rank, preferred_language=row.language or _first_language(mission))
        db.session.add_all([user, Deployment(user=user, mission=mission, unit=_unit(mission, row.unit),
                                             arrival_on=row.arrival_on)])
    db.session.flush()
    for move in plan.moves:
        mission = plan.missions[move.row.mission]
        deploy(plan.users[move.row.service_number], mission, _unit(mission, move.row.unit), move.row.arrival_on,
               actor=actor)
    counts = {"created": len(plan.creates), "updated": len(plan.updates), "moved": len(plan.moves),
              "skipped": len(plan.errors)}
    record("roster_imported", actor=actor, target="roster", source=source[:120], rows=plan.total, **counts)
    return counts


def _first_language(mission: Mission) -> str:
    return next((code for code in mission.language_list if code in languages.codes()), "en")


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


def sign_upload(secret_key: str, text: str, filename: str) -> str:
    return _serializer(secret_key).dumps({"text": text, "name": filename})


def read_signed_upload(secret_key: str, token: str) -> tuple[str, str]:
    """The (text, filename) signed by sign_upload; RosterFileError if forged or too old."""
    try:
        payload = _serializer(secret_key).loads(token, max_age=UPLOAD_MAX_AGE)
    except SignatureExpired:
        raise RosterFileError("This check is more than an hour old. Upload the file again.") from None
    except BadSignature:
        raise RosterFileError("The file could not be verified. Upload it again.") from None
    return str(payload["text"]), str(payload["name"])


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


def created_ids(plan: RosterPlan) -> list[int]:
    """The ids of the people `plan` created (after apply_roster has flushed them)."""
    numbers = [row.service_number for row in plan.creates]
    ids: list[int] = []
    for start in range(0, len(numbers), 500):
        ids += db.session.scalars(select(User.id).where(User.service_number.in_(numbers[start:start + 500])))
    return ids


# --- command line --------------------------------------------------------------------------

@click.command("import-roster")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--apply", "apply_changes", is_flag=True, help="Make the changes (default: a dry run).")
@click.option("--keep-good-rows", is_flag=True, help="Import the good rows even if some rows are bad.")
@with_appcontext
def import_roster_command(path: str, apply_changes: bool, keep_good_rows: bool) -> None:
    """Import people from a roster CSV: dry run unless --apply; one transaction."""
    try:
        parsed = parse_roster(decode_roster(Path(path).read_bytes()))
    except OSError as error:
        raise click.ClickException(f"cannot read {path}: {error.strerror or error}") from None
    except RosterFileError as error:
        raise click.ClickException(f"{path}: {error}") from None
    plan = plan_roster(parsed)
    for line in format_report(plan):
        click.echo(line)
    if plan.errors and not keep_good_rows:
        raise click.ClickException(f"{len(plan.errors)} bad row(s), nothing was changed. Fix them, or add "
                                   f"--keep-good-rows to import the {plan.good_rows} good row(s) only.")
    if not apply_changes:
        click.echo("Dry run: nothing was changed. Add --apply to import.")
        return
    try:
        counts = apply_roster(plan, actor=None, source=Path(path).name, keep_good_rows=keep_good_rows)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        raise click.ClickException(f"import failed, nothing was saved: {error}") from error
    click.echo(f"Imported: {counts['created']} created, {counts['updated']} updated, {counts['moved']} moved, "
               f"{counts['skipped']} bad row(s) skipped.")
