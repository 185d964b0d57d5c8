"""`seed-demo`'s readiness history: lessons studied, quiz attempts passed and failed (with their
answers), completions, certificates (some expired, one revoked), so that every dashboard, chart
and export shows something true on the first run. Runs once: a second seed adds nothing.

Attempts and answers are rows graded by the real scoring rules (quizzes.scoring and each
question type's score()); certificates are built and signed as certificates.services builds
them (same serial form, claims, signature and check code). Everything is collected first and
written with one multi-row INSERT per table and chunk, ids chosen here (the MONUSCO demo has
about 3,000 people: one ORM object and flush per attempt took over a minute). Deterministic
(seeded).
"""

from __future__ import annotations

import random
import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select, text, update

from accounts.models import Deployment, Mission, User
from audit.services import record
from certificates import keys, signing
from certificates import services as certificate_services
from certificates.models import Certificate
from database import utcnow
from demo.plans import ModuleStep, Plan, plan_progress
from extensions import db
from quizzes import quality, scoring
from quizzes.models import Answer, Attempt
from quizzes.registry import get_type
from quizzes.services import current_version, quiz_for_module
from training.i18n import pick
from training.models import Completion, Course, Lesson, LessonView, Module, ModuleVersion, Requirement
from training.requirements import add_requirement

COURSE = "cp-peace-ops"
POLITICAL_DUE_DAYS = 60
LEARNER, LEAD, ADMIN = "PK-0001", "LEAD-0001", "ADM-0001"
REVOKED_REASON = "Issued in error: the holder's identity could not be confirmed (demo)."


def seed_history(now: datetime | None = None) -> str:
    now = now or utcnow()
    course = db.session.scalar(select(Course).filter_by(code=COURSE))
    if course is None:
        return f"course {COURSE} not imported; no history added"
    notes = [_political_requirement(course)]
    if db.session.scalar(select(func.count(Certificate.id)).where(Certificate.course_id == course.id)):
        return "; ".join([*filter(None, notes), "history already present"])
    modules = _modules(course)
    due_days = {r.mission_kind: r.due_days for r in db.session.scalars(select(Requirement).where(
        Requirement.course_id == course.id, Requirement.is_active.is_(True), Requirement.mission_kind.is_not(None)))}
    people = db.session.execute(
        select(User, Deployment.arrival_on, Mission.kind)
        .join(Deployment, Deployment.user_id == User.id).join(Mission, Mission.id == Deployment.mission_id)
        .where(Deployment.departure_on.is_(None), (User.service_number.like("DEMO-%")) | (User.service_number == LEAD))
        .order_by(User.id)).all()
    rng = random.Random(2026)  # noqa: S311 (made-up demo history, not a secret)
    writer = _Writer(rng, modules, now, course)
    for user, arrival_on, kind in people:
        if kind not in due_days:
            continue
        plan = plan_progress(rng, arrival_on, due_days[kind], len(modules), now)
        if user.service_number == LEAD:
            plan = _finished(rng, arrival_on, len(modules), now)
        writer.write(user, plan)
    learner = _demo_learner(now)
    if learner is not None:
        writer.write(learner, _learner_plan(now))
    certificates = writer.finish()
    revoked = _revoke_one(certificates, now)
    record("demo_history_seeded", actor=None, target=f"course:{course.code}", people=writer.people,
           attempts=writer.attempts, certificates=len(certificates))
    db.session.flush()
    expired = sum(1 for c in certificates if c.status == "valid" and _aware(c.expires_at) <= now)
    notes.append(f"{writer.people} people studied: {writer.attempts} quiz attempts, {writer.completions} module "
                 f"completions, {len(certificates)} certificates ({expired} expired, {revoked} revoked)")
    return "; ".join(filter(None, notes))


def _political_requirement(course: Course) -> str:
    exists = db.session.scalar(select(Requirement.id).where(
        Requirement.course_id == course.id, Requirement.mission_kind == "political", Requirement.is_active.is_(True)))
    if exists:
        return ""
    add_requirement(course, actor=None, categories=["military", "police", "civilian"], due_days=POLITICAL_DUE_DAYS,
                    kind="political")
    return f"{COURSE} required in every political mission within {POLITICAL_DUE_DAYS} days of arrival"


def _modules(course: Course) -> list[dict]:
    """Per live module: its published version, lessons, and the frozen quiz version attempts use."""
    modules = []
    for module in db.session.scalars(select(Module).where(Module.course_id == course.id,
                                                          Module.is_archived.is_(False)).order_by(Module.position)):
        version = db.session.scalar(select(ModuleVersion).where(
            ModuleVersion.module_id == module.id, ModuleVersion.status == "published")
            .order_by(ModuleVersion.number.desc()).limit(1))
        if version is None:
            continue
        quiz = quiz_for_module(module.id)
        quiz_version = current_version(quiz) if quiz is not None else None
        modules.append({"module": module, "version": version, "quiz": quiz, "quiz_version": quiz_version,
                        "lessons": list(db.session.scalars(select(Lesson.id).where(
                            Lesson.module_version_id == version.id).order_by(Lesson.position)))})
    return modules


def _finished(rng: random.Random, arrival_on: date, modules: int, now: datetime) -> Plan:
    start = datetime.combine(arrival_on - timedelta(days=10), datetime.min.time(), now.tzinfo) + timedelta(hours=9)
    return Plan([ModuleStep(i, min(start + timedelta(days=i, minutes=rng.randint(0, 300)), now - timedelta(hours=1)))
                 for i in range(modules)])


def _learner_plan(now: datetime) -> Plan:
    """Three modules passed (one after a failed attempt), half of the fourth read."""
    day = now - timedelta(days=9)
    steps = [ModuleStep(0, day), ModuleStep(1, day + timedelta(days=2), [day + timedelta(days=2, minutes=-40)]),
             ModuleStep(2, day + timedelta(days=5)), ModuleStep(3, None, [], lessons_seen=0.5)]
    return Plan(steps)


def _demo_learner(now: datetime) -> User | None:
    """The demo learner should open the site "due", with some progress. demo.people deploys them
    40 days ago, which the 30-day requirement makes overdue, so their arrival moves to 18 days ago
    (only while they have no history, so a second seed changes nothing)."""
    learner = db.session.scalar(select(User).filter_by(service_number=LEARNER))
    if learner is None:
        return None
    deployment = learner.current_deployment(now.date())
    if deployment is not None and deployment.arrival_on < now.date() - timedelta(days=18):
        deployment.arrival_on = now.date() - timedelta(days=18)
    return learner


def _revoke_one(certificates: list[Certificate], now: datetime) -> int:
    """Exactly one revocation, of a current certificate in another mission than the demo lead's."""
    admin = db.session.scalar(select(User).filter_by(service_number=ADMIN))
    monusco = set(db.session.scalars(select(Deployment.user_id).join(Mission).where(
        Mission.code == "MONUSCO", Deployment.departure_on.is_(None))))
    candidates = [c for c in certificates
                  if c.status == "valid" and _aware(c.expires_at) > now and c.user_id not in monusco]
    if admin is None or not candidates:
        return 0
    chosen = candidates[len(candidates) // 2]
    certificate_services.revoke(chosen, actor=admin, reason=REVOKED_REASON)
    return 1


class _Writer:
    """Collects a plan's rows (lesson views, attempts with their answers, completions,
    certificates) with ids chosen here, and writes them table by table in `finish`."""

    TABLES = (Attempt, Answer, Completion, LessonView, Certificate)
    CHUNK = 2000

    def __init__(self, rng: random.Random, modules: list[dict], now: datetime, course: Course) -> None:
        self.rng, self.modules, self.now, self.course = rng, modules, now, course
        self.people = self.attempts = self.completions = 0
        self.rows: dict[type, list[dict]] = {model: [] for model in self.TABLES}
        self.next_id = {model: (db.session.scalar(select(func.max(model.id))) or 0) + 1 for model in self.TABLES}
        self.key_id, self.private_key = keys.active_key()
        self.superseded: list[tuple[int, int]] = []  # (newer id, older id)
        self.keyed: dict[int, tuple] = {}

    def _id(self, model: type) -> int:
        value = self.next_id[model]
        self.next_id[model] += 1
        return value

    def write(self, user: User, plan: Plan) -> None:
        numbers = dict.fromkeys(range(len(self.modules)), 0)
        issued = []
        if plan.old_certificate_at is not None:  # an earlier tour: the whole course, cycle 0
            for index, info in enumerate(self.modules):
                moment = plan.old_certificate_at - timedelta(minutes=20 * (len(self.modules) - index))
                self._views(user, info["lessons"], moment)
                numbers[index] += 1
                self._pass(user, info, moment, numbers[index], cycle=0)
            issued.append(plan.old_certificate_at)
        cycle = 1 if plan.old_certificate_at is not None else 0
        for step in plan.steps:
            info = self.modules[step.index]
            if plan.old_certificate_at is None:
                share = 1.0 if step.passed_at else step.lessons_seen
                first = min([*step.failed_at, step.passed_at or self.now])
                self._views(user, info["lessons"][:max(1, round(len(info["lessons"]) * share))],
                            first - timedelta(minutes=30))
            for failed_at in step.failed_at:
                numbers[step.index] += 1
                self._attempt(user, info, failed_at, numbers[step.index], passed=False)
            if step.passed_at is not None:
                numbers[step.index] += 1
                self._pass(user, info, step.passed_at, numbers[step.index], cycle=cycle)
        finished = plan.finished_at(len(self.modules))
        if finished is not None and (not issued or certificate_services.needs_new_certificate(
                _Issued(issued[-1], self.course), self.course, finished)):
            issued.append(finished)
        previous = None
        for sequence, moment in enumerate(issued, 1):
            previous = self._certificate(user, moment, sequence, previous, last=sequence == len(issued))
        if plan.steps or plan.old_certificate_at:
            self.people += 1

    def _new_serial(self, prefix: str) -> str:
        """A random serial not drawn before in this history: thousands of 6-character draws collide
        now and then, and the issuing service's retry on the unique index does not run here."""
        used = self.__dict__.setdefault("_serials", set())
        while True:
            serial = prefix + "".join(secrets.choice(certificate_services.SERIAL_ALPHABET) for _ in range(6))
            if serial not in used:
                used.add(serial)
                return serial

    def _certificate(self, user: User, moment: datetime, sequence: int, previous: int | None, *, last: bool) -> int:
        """A certificate as certificates.services._build makes it; the earlier one is superseded."""
        course = self.course
        certificate_id = self._id(Certificate)
        language = user.preferred_language if user.preferred_language in course.language_list \
            else course.default_language
        expires_at = certificate_services.add_months(moment, course.validity_months)
        serial = self._new_serial(f"{course.code.upper()[:8]}-{moment:%Y}-")
        title = pick(course.title, language, course.default_language)
        signature = signing.sign(signing.Claims(serial=serial, name=user.name, course=title, issued=moment.date(),
                                                expires=expires_at.date(), key_id=self.key_id), self.private_key)
        self.rows[Certificate].append({
            "id": certificate_id, "serial": serial, "code": secrets.token_urlsafe(24),
            "check_code": signing.check_code(signature), "issue_key": f"{user.id}:{course.id}:{sequence}",
            "user_id": user.id, "course_id": course.id, "course_version": course.version, "holder_name": user.name,
            "course_title": title, "language": language, "issued_at": moment, "expires_at": expires_at,
            "status": "valid" if last else "superseded", "key_id": self.key_id, "signature": signature,
            "supersedes_id": previous})
        if previous is not None:
            self.superseded.append((certificate_id, previous))
        return certificate_id

    def finish(self) -> list[Certificate]:
        """Write every collected row; returns the new certificates (as ORM objects)."""
        for model in self.TABLES:  # parents before children
            rows = self.rows[model]
            for start in range(0, len(rows), self.CHUNK):
                db.session.execute(insert(model.__table__), rows[start:start + self.CHUNK])
        if self.superseded:
            table = Certificate.__table__
            db.session.execute(update(table).where(table.c.id == text(":older")).values(
                superseded_by_id=text(":newer")), [{"newer": n, "older": o} for n, o in self.superseded])
        _move_sequences(self.TABLES)
        # No audit event per certificate: seed_history records one for the whole made-up history.
        ids = [row["id"] for row in self.rows[Certificate]]
        return list(db.session.scalars(select(Certificate).where(Certificate.id.in_(ids)))) if ids else []

    def _answers(self, drawn: list[dict], moment: datetime, wrong_share: float, *, keep_critical: bool):
        rows, items = [], []
        for question in drawn:
            qtype, right, wrong, _options = self._keyed(question)
            answer_right = (keep_critical and question["critical"]) or self.rng.random() >= wrong_share
            response = right if answer_right or not wrong else [self.rng.choice(wrong)]
            score = qtype.score(question["answer"], response)
            rows.append({"question_id": question["id"], "response": response, "saved_at": moment, "score": score})
            items.append(scoring.ItemScore(question["id"], score, question["critical"]))
        return rows, items

    def _keyed(self, question: dict):
        """A question's type, right and wrong option ids and all its options, worked out once."""
        keyed = self.keyed.get(question["id"])
        if keyed is None:
            qtype = get_type(question["type"])
            right = sorted(qtype.right_ids(question["answer"]))
            options = qtype.option_ids(question["content"], question["answer"])
            keyed = self.keyed[question["id"]] = (qtype, right, [o for o in options if o not in right], options)
        return keyed

    def _views(self, user: User, lesson_ids: list[int], moment: datetime) -> None:
        self.rows[LessonView] += [{"id": self._id(LessonView), "user_id": user.id, "lesson_id": lesson_id,
                                   "viewed_at": moment} for lesson_id in lesson_ids]

    def _pass(self, user: User, info: dict, moment: datetime, number: int, *, cycle: int) -> None:
        attempt_id = self._attempt(user, info, moment, number, passed=True)
        self.rows[Completion].append({
            "id": self._id(Completion), "user_id": user.id, "module_id": info["module"].id,
            "module_version_id": info["version"].id, "completed_at": moment, "attempt_id": attempt_id, "cycle": cycle})
        self.completions += 1

    def _attempt(self, user: User, info: dict, submitted_at: datetime, number: int, *, passed: bool) -> int | None:
        """An attempt answered so that the real grading gives the wanted result, with its answer rows."""
        version = info["quiz_version"]
        if version is None or not version.questions:
            return None
        settings = version.settings
        pool = info.setdefault("pool", sorted(version.questions, key=lambda q: q["id"]))
        drawn = quality.draw_sets(pool, settings, self.rng)  # the real draw's rule, critical minimum included
        # A few wrong answers when passing, many when failing; the last try is all right or all wrong.
        for wrong_share in ([0.1, 0.0] if passed else [0.4, 1.0]):
            rows, items = self._answers(drawn, submitted_at, wrong_share, keep_critical=passed)
            result = scoring.grade(items, settings["pass_mark"])
            if result.passed == passed:
                break
        attempt_id = self._id(Attempt)
        self.rows[Attempt].append({
            "id": attempt_id, "user_id": user.id, "quiz_id": info["quiz"].id, "quiz_version_id": version.id,
            "module_version_id": info["version"].id, "number": number, "language": user.preferred_language,
            "started_at": submitted_at - timedelta(minutes=self.rng.randint(6, 25)), "deadline_at": None,
            "submitted_at": submitted_at, "points": result.points, "score": result.percent,
            "is_passed": result.passed, "is_critical_failed": result.critical_failed,
            "drawn": [{"id": q["id"], "options": self._keyed(q)[3]} for q in drawn], "position": len(drawn) - 1})
        self.rows[Answer] += [{**row, "id": self._id(Answer), "attempt_id": attempt_id} for row in rows]
        self.attempts += 1
        return attempt_id


class _Issued:
    """Just enough of a certificate for certificates.services.needs_new_certificate."""

    def __init__(self, issued_at: datetime, course: Course) -> None:
        self.issued_at, self.status = issued_at, "valid"
        self.expires_at = certificate_services.add_months(issued_at, course.validity_months)


def _move_sequences(models) -> None:
    """Rows were inserted with ids chosen here: PostgreSQL's sequences must move past them."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        name = model.__tablename__
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608 (table names)
                                f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"))


def _aware(moment: datetime) -> datetime:
    from datetime import timezone

    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
