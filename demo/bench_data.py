"""Benchmark data: 15 missions, N people with deployments and rotations, the shipped course (8
modules) and realistic progress, quiz attempts and certificates, inserted in bulk.

    flask --app app bench-data --people 100000                 # into the configured database
    INSTANCE_PATH=/tmp/bench flask --app app bench-data ...    # a SQLite file elsewhere
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench flask --app app bench-data ...

The database must hold no people yet (tables are created when missing). Rows are written with
multi-row INSERTs in chunks, with ids chosen here so nothing is read back; PostgreSQL's sequences
are moved past them at the end. Quiz answers are not generated (the dashboards never read them;
attempts carry their scores). Certificates are really signed, so verification works on them too.
"""

from __future__ import annotations

import json
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, inspect, select, text

from accounts.models import Deployment, Mission, RoleGrant, Unit, User
from accounts.passwords import hash_password
from certificates import keys, signing
from certificates.models import Certificate
from certificates.services import SERIAL_ALPHABET, add_months
from coursepack.cli import SHIPPED_COURSE
from coursepack.importer import import_content
from demo.people import FIRST, LAST, MISSIONS, RANKS
from demo.plans import plan_progress
from extensions import db
from quizzes.models import Attempt
from quizzes.services import current_version, quiz_for_module
from recognition.models import OutsideCertificate
from training.models import Completion, Course, Lesson, LessonView, Module, ModuleVersion, Requirement

# Share of everyone per mission (sums to 100): MONUSCO, the largest, holds a fifth.
MISSION_WEIGHTS = {"MONUSCO": 20, "UNMISS": 18, "MINUSCA": 15, "UNIFIL": 12, "UNISFA": 5, "MINURSO": 3, "UNFICYP": 3,
                   "UNDOF": 3, "UNMIK": 2, "UNAMA": 5, "UNAMI": 4, "UNSMIL": 3, "UNSOM": 4, "BINUH": 2, "UNIOGBIS": 1}
DUE_DAYS = {"peacekeeping": 30, "political": 60, "peacebuilding": 90}
PEOPLE_PER_UNIT = 850
CHUNK = 5000
CATEGORIES = ["military", "police", "civilian"]
PASSING, FAILING = (80.0, 85.0, 90.0, 95.0, 100.0), (40.0, 50.0, 60.0, 70.0, 75.0)
BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 (the benchmark's own accounts, in its own database)
BENCH_ACCOUNTS = [("BENCH-ADMIN", "Bench Admin", "admin"), ("BENCH-HQ", "Bench HQ", "hq"),
                  ("BENCH-LEAD", "Bench Lead", "mission_lead")]


COLUMNS = {
    "users": ("id", "service_number", "name", "category", "rank", "preferred_language", "is_active", "email",
              "must_change_password", "created_at"),
    "deployments": ("id", "user_id", "mission_id", "unit_id", "arrival_on", "departure_on", "created_at"),
    "attempts": ("id", "user_id", "quiz_id", "quiz_version_id", "module_version_id", "number", "language", "started_at",
                 "submitted_at", "points", "score", "is_passed", "is_critical_failed", "drawn", "position"),
    "completions": ("id", "user_id", "module_id", "module_version_id", "completed_at", "attempt_id", "cycle",
                    "delivery_mode"),
    "lesson_views": ("id", "user_id", "lesson_id", "viewed_at"),
    "certificates": ("id", "serial", "code", "check_code", "issue_key", "user_id", "course_id", "course_version",
                     "holder_name", "course_title", "language", "issued_at", "expires_at", "status", "key_id",
                     "signature", "revoked_at", "revoked_reason", "supersedes_id", "delivery_mode"),
    "outside_certificates": ("id", "user_id", "requirement_id", "issuer", "course_name", "completed_on",
                             "certificate_expires_on", "expires_at", "evidence_name", "recorded_by_id", "created_at"),
}


class Rows:
    """Rows waiting to be inserted, flushed in chunks, parents before children (foreign keys).

    Rows are tuples in COLUMNS order and go to the driver directly (sqlite3 executemany,
    PostgreSQL COPY): SQLAlchemy's per-row parameter processing would take most of the run.
    `ts` and `day` turn datetimes and dates into what the driver stores for the column types.
    """

    def __init__(self, tables) -> None:
        self.order = list(tables)
        self.pending: dict[str, list[tuple]] = {t.name: [] for t in self.order}
        self.counts: dict[str, int] = {}
        self.superseded: list[tuple[int, int]] = []  # (newer id, older id)
        self.begin()
        if self.postgresql:
            self.ts = self.day = lambda value: value
        else:  # SQLAlchemy keeps UTC datetimes as naive text on SQLite, dates as ISO text
            self.ts = lambda value: value and value.replace(tzinfo=None).isoformat(" ", "microseconds")
            self.day = lambda value: value and value.isoformat()

    def begin(self) -> None:
        """Take the session's connection for the next transaction."""
        connection = db.session.connection()
        self.postgresql = connection.dialect.name == "postgresql"
        self.raw = connection.connection.driver_connection
        if not self.postgresql:  # indexes on low-cardinality columns touch pages all over the file
            self.raw.execute("PRAGMA cache_size = -262144")

    def add(self, table: str, row: tuple) -> None:
        rows = self.pending[table]
        rows.append(row)
        if len(rows) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        for table in self.order:
            rows, columns = self.pending[table.name], COLUMNS[table.name]
            if not rows:
                continue
            names = ", ".join(columns)
            if self.postgresql:
                with self.raw.cursor().copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(columns))
                self.raw.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)
            self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
            rows.clear()


class Ids:
    """Next free id per table, so inserted rows never need reading back."""

    def __init__(self, *tables) -> None:
        self.next = {t.name: (db.session.scalar(select(func.max(t.c.id))) or 0) + 1 for t in tables}

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] += 1
        return value


def create_schema() -> None:
    """The tables, when missing, with every table's indexes created in name order.

    create_all creates a table's indexes in the order of a set of objects, which changes from run
    to run; SQLite without ANALYZE statistics breaks a tie between two equally good covering
    indexes by that order. Two worlds built the same way then differed by one tie-break: HQ read
    100,000 people in mission order rather than user order, 25% slower (2026-12-05). Re-creating
    the indexes in name order while the tables are still empty gives every world the same plans.
    """
    fresh = not inspect(db.engine).has_table(User.__tablename__)
    db.create_all()
    if not fresh:
        return
    with db.engine.begin() as connection:
        for table in db.metadata.sorted_tables:
            for index in sorted(table.indexes, key=lambda index: index.name):
                index.drop(connection)
                index.create(connection)


def generate(people: int, *, seed: int = 2026, in_person: float = 0.0, recognised: float = 0.0,
             log=print) -> dict[str, int]:
    """Build the data set; returns row counts per table. Commits.

    `in_person`: the share of people whose completions (and so certificates) were made in person;
    `recognised`: the share holding an outside certificate recognised for their mission's
    requirement (issue #18). Both are drawn from a random stream of their own, so a world built
    with them holds the same people with the same history as one built without: only how that
    training was given differs, which is what the benchmark compares.
    """
    started = time.perf_counter()
    if db.session.scalar(select(func.count(User.id)).where(~User.service_number.like("BENCH-%"))):
        raise ValueError("this database already holds people: point bench-data at an empty one "
                         "(INSTANCE_PATH=... for SQLite, or another DATABASE_URL)")
    rng = random.Random(seed)
    modes_rng = random.Random(seed + 1)
    now = datetime.now(timezone.utc)
    today = now.date()
    missions = _missions(people)
    course, modules = _course()
    for kind, due_days in DUE_DAYS.items():
        if not db.session.scalar(select(Requirement.id).where(Requirement.course_id == course.id,
                                                               Requirement.mission_kind == kind)):
            db.session.add(Requirement(course_id=course.id, mission_kind=kind, due_days=due_days))
    _accounts(missions)
    db.session.commit()
    requirement_of = {kind: db.session.scalar(select(Requirement.id).where(
        Requirement.course_id == course.id, Requirement.mission_kind == kind)) for kind in DUE_DAYS}
    log(f"missions, units and the course ready ({time.perf_counter() - started:.1f} s)")

    tables = [User.__table__, Deployment.__table__, Attempt.__table__, Completion.__table__,
              LessonView.__table__, Certificate.__table__, OutsideCertificate.__table__]
    ids, rows = Ids(*tables), Rows(tables)
    key_id, private_key = keys.active_key()
    db.session.commit()
    weights = [MISSION_WEIGHTS[m.code] for m in missions]
    title = course.title.get("en", course.code)
    created = rows.ts(now)
    for n in range(1, people + 1):
        mission = rng.choices(missions, weights=weights)[0]
        category = rng.choices(CATEGORIES, weights=[70, 18, 12])[0]
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        user_id = ids.take("users")
        language = rng.choice(mission.language_list)
        rows.add("users", (user_id, f"BN-{n:06d}", name, category, rng.choice(RANKS[category]), language,
                           rng.random() > 0.01, f"bn{n}@bench.example" if rng.random() < 0.6 else None, False, created))
        arrival = today - timedelta(days=rng.randint(-15, 420))
        if rng.random() < 0.2:  # rotated in from another mission; that stay is history
            earlier = rng.choices(missions, weights=weights)[0]
            rows.add("deployments", (ids.take("deployments"), user_id, earlier.id, rng.choice(earlier.units).id,
                                     rows.day(arrival - timedelta(days=rng.randint(180, 400))),
                                     rows.day(arrival - timedelta(days=1)), created))
        departed = today - timedelta(days=rng.randint(1, 60)) if rng.random() < 0.03 else None
        rows.add("deployments", (ids.take("deployments"), user_id, mission.id, rng.choice(mission.units).id,
                                 rows.day(min(arrival, departed) if departed else arrival), rows.day(departed), created))
        plan = plan_progress(rng, arrival, DUE_DAYS[mission.kind], len(modules), now)
        mode = "in_person" if modes_rng.random() < in_person else "online"
        _history(rows, ids, rng, user_id, language, plan, modules, now, mode)
        if modes_rng.random() < recognised:
            completed = today - timedelta(days=modes_rng.randint(30, 700))
            rows.add("outside_certificates", (
                ids.take("outside_certificates"), user_id, requirement_of[mission.kind], "UNITAR",
                "Child protection in peace operations", rows.day(completed), rows.day(completed + timedelta(days=730)),
                rows.ts(datetime.combine(completed + timedelta(days=730), datetime.min.time(), timezone.utc)), "", None,
                created))
        issued = ([plan.old_certificate_at] if plan.old_certificate_at else []) + \
            ([plan.finished_at(len(modules))] if plan.finished_at(len(modules)) else [])
        previous = None
        for sequence, issued_at in enumerate(issued, 1):
            certificate_id = ids.take("certificates")
            revoked = sequence == len(issued) and rng.random() < 0.002
            status = "revoked" if revoked else ("valid" if sequence == len(issued) else "superseded")
            expires_at = add_months(issued_at, course.validity_months)
            serial = f"CP-PEACE-{issued_at:%Y}-{_serial_part(certificate_id)}"
            signature = signing.sign(signing.Claims(serial=serial, name=name, course=title, issued=issued_at.date(),
                                                    expires=expires_at.date(), key_id=key_id), private_key)
            rows.add("certificates", (
                certificate_id, serial, secrets.token_urlsafe(24), signing.check_code(signature),
                f"{user_id}:{course.id}:{sequence}", user_id, course.id, course.version, name, title, "en",
                rows.ts(issued_at), rows.ts(expires_at), status, key_id, signature, rows.ts(now) if revoked else None,
                "Issued in error (benchmark data)" if revoked else None, previous, mode))
            if previous is not None:
                rows.superseded.append((certificate_id, previous))
            previous = certificate_id
        if n % 10000 == 0:  # committing now and then keeps SQLite's write-ahead log small
            rows.flush()
            db.session.commit()
            rows.begin()
            log(f"  {n} people ({time.perf_counter() - started:.0f} s)")
    rows.flush()
    # The newer certificate is inserted after the one it supersedes, so the link back is set last.
    db.session.execute(text("UPDATE certificates SET superseded_by_id = :newer WHERE id = :older"),
                       [{"newer": newer, "older": older} for newer, older in rows.superseded])
    _move_sequences(tables)
    db.session.commit()
    _analyze()
    log(f"done in {time.perf_counter() - started:.0f} s")
    return rows.counts


def _serial_part(number: int) -> str:
    """Six serial characters from the row id: random ones would collide among 100,000 certificates."""
    chars = []
    for _ in range(6):
        number, index = divmod(number, len(SERIAL_ALPHABET))
        chars.append(SERIAL_ALPHABET[index])
    return "".join(reversed(chars))


def _missions(people: int) -> list[Mission]:
    missions = []
    for code, name, kind, country, languages in MISSIONS:
        mission = db.session.scalar(select(Mission).filter_by(code=code))
        if mission is None:
            mission = Mission(code=code, name=name, kind=kind, country=country, languages=languages)
            db.session.add(mission)
            db.session.flush()
        wanted = max(3, round(people * MISSION_WEIGHTS[code] / 100 / PEOPLE_PER_UNIT))
        existing = {u.code for u in mission.units}
        for n in range(1, wanted + 1):
            unit_code = f"{code[:4]}-{'BATT' if kind == 'peacekeeping' else 'TEAM'}-{n:02d}"
            if unit_code not in existing:
                db.session.add(Unit(mission=mission, code=unit_code, name=f"{unit_code} ({code})"))
        db.session.flush()
        db.session.refresh(mission)
        missions.append(mission)
    return missions


@dataclass
class ModuleInfo:
    module_id: int
    version_id: int
    lesson_ids: list[int]
    quiz_id: int | None
    quiz_version_id: int | None
    question_ids: list[int]
    drawn_json: str = field(init=False)  # what every generated attempt "drew", serialised once

    def __post_init__(self) -> None:
        self.drawn_json = json.dumps([{"id": q, "options": []} for q in self.question_ids])


def _course() -> tuple[Course, list[ModuleInfo]]:
    course = db.session.scalar(select(Course).filter_by(code="cp-peace-ops"))
    if course is None:
        import_content(SHIPPED_COURSE, publish=True)
        course = db.session.scalar(select(Course).filter_by(code="cp-peace-ops"))
    modules = []
    for module in db.session.scalars(select(Module).where(Module.course_id == course.id).order_by(Module.position)):
        version = db.session.scalar(select(ModuleVersion).where(
            ModuleVersion.module_id == module.id, ModuleVersion.status == "published").order_by(ModuleVersion.number.desc()))
        lessons = list(db.session.scalars(select(Lesson.id).where(Lesson.module_version_id == version.id)
                                          .order_by(Lesson.position)))
        quiz = quiz_for_module(module.id)
        quiz_version = current_version(quiz) if quiz is not None else None
        questions = [q["id"] for q in quiz_version.questions] if quiz_version else []
        if quiz_version is not None and quiz_version.settings.get("draw_count"):
            questions = questions[:quiz_version.settings["draw_count"]]
        modules.append(ModuleInfo(module.id, version.id, lessons, quiz.id if quiz else None,
                                  quiz_version.id if quiz_version else None, questions))
    return course, modules


def _accounts(missions: list[Mission]) -> None:
    """One admin, one HQ person and the lead of the largest mission, to sign in as in the benchmark."""
    largest = max(missions, key=lambda m: MISSION_WEIGHTS[m.code])
    for number, name, role in BENCH_ACCOUNTS:
        if db.session.scalar(select(User.id).filter_by(service_number=number)):
            continue
        user = User(service_number=number, name=name, category="civilian", password_hash=hash_password(BENCH_PASSWORD))
        db.session.add(user)
        db.session.flush()
        db.session.add(RoleGrant(user_id=user.id, role=role, mission_id=largest.id if role == "mission_lead" else None))


def _history(rows: Rows, ids: Ids, rng: random.Random, user_id: int, language: str, plan, modules: list[ModuleInfo],
             now: datetime, mode: str = "online") -> None:
    """Lesson views, attempts (failed ones first) and completions, as the learner pages would record them."""
    number = dict.fromkeys(range(len(modules)), 0)  # attempts so far, per module
    if plan.old_certificate_at is not None:  # the earlier tour's course, done in one go (cycle 0)
        for index, info in enumerate(modules):
            moment = plan.old_certificate_at - timedelta(minutes=20 * (len(modules) - index))
            _lessons(rows, ids, user_id, info.lesson_ids, moment)
            number[index] += 1
            _completion(rows, ids, rng, user_id, info, moment, cycle=0, number=number[index], language=language,
                        mode=mode)
    cycle = 1 if plan.old_certificate_at is not None else 0
    for step in plan.steps:
        info = modules[step.index]
        if plan.old_certificate_at is None:  # on a renewal the lessons are already marked seen
            share = 1.0 if step.passed_at else step.lessons_seen
            seen = info.lesson_ids[:max(1, round(len(info.lesson_ids) * share))]
            first = min([*step.failed_at, step.passed_at or now])
            _lessons(rows, ids, user_id, seen, first - timedelta(minutes=30))
        for failed_at in step.failed_at:
            number[step.index] += 1
            _attempt(rows, ids, rng, user_id, info, failed_at, number[step.index], passed=False, language=language)
        if step.passed_at is not None:
            number[step.index] += 1
            _completion(rows, ids, rng, user_id, info, step.passed_at, cycle=cycle, number=number[step.index],
                        language=language, mode=mode)


def _lessons(rows: Rows, ids: Ids, user_id: int, lesson_ids: list[int], moment: datetime) -> None:
    viewed_at = rows.ts(moment)
    for lesson_id in lesson_ids:
        rows.add("lesson_views", (ids.take("lesson_views"), user_id, lesson_id, viewed_at))


def _completion(rows: Rows, ids: Ids, rng: random.Random, user_id: int, info: ModuleInfo, moment: datetime, *,
                cycle: int, number: int, language: str, mode: str = "online") -> None:
    attempt_id = _attempt(rows, ids, rng, user_id, info, moment, number, passed=True, language=language)
    # An in-person completion keeps its generated attempt row (the same history in both worlds)
    # but, like one recorded from a session's paper quiz, points to no online attempt.
    rows.add("completions", (ids.take("completions"), user_id, info.module_id, info.version_id, rows.ts(moment),
                             None if mode == "in_person" else attempt_id, cycle, mode))


def _attempt(rows: Rows, ids: Ids, rng: random.Random, user_id: int, info: ModuleInfo, submitted_at: datetime,
             number: int, *, passed: bool, language: str) -> int | None:
    if info.quiz_id is None:
        return None
    attempt_id = ids.take("attempts")
    score = rng.choice(PASSING if passed else FAILING)
    rows.add("attempts", (
        attempt_id, user_id, info.quiz_id, info.quiz_version_id, info.version_id, number, language,
        rows.ts(submitted_at - timedelta(minutes=rng.randint(6, 25))), rows.ts(submitted_at),
        round(len(info.question_ids) * score / 100, 2), score, passed, False, info.drawn_json, 0))
    return attempt_id


def _analyze() -> None:
    """Planner statistics for the freshly loaded tables, as autovacuum would gather later: a
    benchmark run straight after the load would otherwise be planned on empty-table guesses.
    (SQLite is left without them: the report queries pin their indexes, see readiness.report_sql.)"""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def _move_sequences(tables) -> None:
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"))
