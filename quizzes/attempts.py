"""Starting, answering, submitting and grading attempts. Add and flush; the view commits once.

Every write path takes a per-person-and-quiz lock first (SQLite: the request's BEGIN
IMMEDIATE already serialises writers; PostgreSQL: a transaction-scoped advisory lock), so
a double click, two tabs or ten parallel requests see each other's work.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import Text, bindparam, cast, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from accounts.models import User
from audit.services import record
from database import advisory_lock, utcnow
from extensions import db
from quizzes import scoring
from quizzes.models import Answer, Attempt, Quiz, QuizVersion, ReviewWhen
from quizzes.registry import get_type
from quizzes.services import QuizError, current_version, module_has_quiz, quiz_for_module
from training import learning, progress
from training.models import Completion, Module, ModuleVersion

GRACE = timedelta(seconds=30)  # a slow link still gets the last answer in
_random = secrets.SystemRandom()


class AttemptClosed(QuizError):
    """The attempt was submitted or its time is up; nothing was saved."""


def aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def lock(user_id: int, quiz_id: int) -> None:
    advisory_lock(db.session, f"attempt:{user_id}:{quiz_id}")


def open_attempt(user_id: int, quiz_id: int) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(Attempt.user_id == user_id, Attempt.quiz_id == quiz_id,
                                                   Attempt.submitted_at.is_(None))
                             .execution_options(populate_existing=True))


def attempts_of(user_id: int, quiz_id: int) -> list[Attempt]:
    return list(db.session.scalars(select(Attempt).where(Attempt.user_id == user_id, Attempt.quiz_id == quiz_id)
                                   .order_by(Attempt.number)))


def cycle_started_at(user_id: int, quiz: Quiz) -> datetime | None:
    """When the person's current certification cycle began for this module (None: in the first one).

    Renewing a certificate means passing the quiz again, so attempts from before the module's
    completion in an earlier cycle count neither toward the attempt limit nor toward the gate.
    """
    module = db.session.get(Module, quiz.module_id)
    cycle = progress.current_cycle(user_id, module.course)
    if cycle == 0:
        return None
    return aware(db.session.scalar(select(func.max(Completion.completed_at)).where(
        Completion.user_id == user_id, Completion.module_id == quiz.module_id, Completion.cycle < cycle)))


def current_attempts(user_id: int, quiz: Quiz, attempts: list[Attempt] | None = None) -> list[Attempt]:
    """The person's attempts in their current certification cycle (of `attempts`, their
    attempts_of() when the caller already has it)."""
    since = cycle_started_at(user_id, quiz)
    if attempts is None:
        attempts = attempts_of(user_id, quiz.id)
    return [a for a in attempts if since is None or aware(a.started_at) > since]


def time_is_up(attempt: Attempt, now: datetime) -> bool:
    """Past the deadline and its grace: no write is accepted any more."""
    return attempt.deadline_at is not None and now > aware(attempt.deadline_at) + GRACE


# -- may I start? ------------------------------------------------------------------------------

@dataclass(frozen=True)
class StartCheck:
    allowed: bool
    reason: str = ""              # a code: passed | limit | cooldown | empty
    available_at: datetime | None = None
    used: int = 0
    limit: int | None = None


def start_check(user: User, quiz: Quiz, now: datetime | None = None, *,
                current: list[Attempt] | None = None) -> StartCheck:
    """May `user` start an attempt now? `current`: their current_attempts(), when already known."""
    now = now or utcnow()
    if current is None:
        current = current_attempts(user.id, quiz)
    done = [a for a in current if a.submitted_at is not None]
    used, limit = len(done), quiz.attempt_limit
    if any(a.is_passed for a in done):
        return StartCheck(False, "passed", used=used, limit=limit)
    if limit is not None and used >= limit:
        return StartCheck(False, "limit", used=used, limit=limit)
    if done and quiz.cooldown_minutes:
        available = aware(done[-1].submitted_at) + timedelta(minutes=quiz.cooldown_minutes)
        if now < available:
            return StartCheck(False, "cooldown", available_at=available, used=used, limit=limit)
    return StartCheck(True, used=used, limit=limit)


def N_(message: str) -> str:
    """Marks a message for the catalogues; quizzes.views translates it when it shows it."""
    return message


START_MESSAGES = {
    "passed": N_("You have passed this quiz."),
    "limit": N_("You have used all your attempts at this quiz."),
    "cooldown": N_("You can try again later."),
    "empty": N_("This quiz has no questions yet."),
}


def draw(version: QuizVersion) -> list[dict]:
    """Choose and order the questions (and their options) an attempt shows."""
    settings, pool = version.settings, list(version.question_map().values())  # in bank order
    per_tag = settings.get("draw_per_tag") or {}
    if per_tag:
        chosen, taken = [], set()
        for tag, count in sorted(per_tag.items()):
            candidates = [q for q in pool if tag in q["tags"] and q["id"] not in taken]
            picked = _random.sample(candidates, min(count, len(candidates)))
            taken.update(q["id"] for q in picked)
            chosen.extend(picked)
    elif settings.get("draw_count") and settings["draw_count"] < len(pool):
        # The critical minimum first, then the rest from the whole remaining pool, so a set's chance
        # depends only on how many critical questions it holds (quizzes.quality computes it exactly).
        critical = [q for q in pool if q["critical"]]
        first = _random.sample(critical, min(settings.get("min_critical") or 0, len(critical), settings["draw_count"]))
        taken = {q["id"] for q in first}
        chosen = first + _random.sample([q for q in pool if q["id"] not in taken], settings["draw_count"] - len(first))
    else:
        chosen = pool
    if settings.get("shuffle_questions"):
        chosen = _random.sample(chosen, len(chosen))
    else:  # bank order
        order = {q["id"]: i for i, q in enumerate(pool)}
        chosen = sorted(chosen, key=lambda q: order[q["id"]])
    drawn = []
    for question in chosen:
        qtype = get_type(question["type"])
        options = qtype.option_ids(question["content"], question["answer"])
        if settings.get("shuffle_options") and qtype.shuffle_options:
            options = _random.sample(options, len(options))
        drawn.append({"id": question["id"], "options": options})
    return drawn


def start_attempt(user: User, quiz: Quiz, *, language: str, module_version_id: int | None = None,
                  now: datetime | None = None) -> Attempt:
    """Start an attempt, or return the one already open. Raises QuizError when not allowed."""
    now = now or utcnow()
    lock(user.id, quiz.id)
    existing = open_attempt(user.id, quiz.id)
    if existing is not None:
        if not time_is_up(existing, now):
            return existing
        submit(existing, now=now)
    past = attempts_of(user.id, quiz.id)  # read after the lock: every attempt, for the check and the number
    check = start_check(user, quiz, now, current=current_attempts(user.id, quiz, past))
    if not check.allowed:
        raise QuizError(START_MESSAGES[check.reason])
    version = current_version(quiz, actor=user)
    if not version.question_map():
        raise QuizError(START_MESSAGES["empty"])
    number = max((a.number for a in past), default=0) + 1
    limit = version.settings.get("time_limit_minutes")
    if module_version_id is None:  # the version this person studies; passing completes that one
        studied = learning.learner_version(user, db.session.get(Module, quiz.module_id))
        module_version_id = studied.id if studied else None
    attempt = Attempt(user_id=user.id, quiz_id=quiz.id, quiz_version_id=version.id, number=number,
                      module_version_id=module_version_id,
                      language=language, started_at=now, drawn=draw(version),
                      deadline_at=now + timedelta(minutes=limit) if limit else None)
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
    except IntegrityError:
        # The unique indexes are the last line of defence if the lock was not taken.
        existing = open_attempt(user.id, quiz.id)
        if existing is None:
            raise QuizError(N_("Another attempt was started at the same moment; try again.")) from None
        return existing
    record("attempt_started", actor=user, target=f"attempt:{attempt.id}", quiz=quiz.id, version=version.number,
           number=number)
    return attempt


# -- answering ---------------------------------------------------------------------------------

def save_answers(attempt: Attempt, responses: dict[int, list[str]], *, now: datetime | None = None,
                 position: int | None = None) -> None:
    """Record answers (one row per question however often saved). Raises AttemptClosed when too late."""
    now = now or utcnow()
    lock(attempt.user_id, attempt.quiz_id)
    db.session.refresh(attempt)
    if attempt.submitted_at is not None:
        raise AttemptClosed(N_("This attempt has already been submitted."))
    if time_is_up(attempt, now):
        raise AttemptClosed(N_("Time is up: your answers saved before the end were kept."))
    drawn = {d["id"]: d["options"] for d in attempt.drawn}
    existing = {a.question_id: a for a in attempt.answers}
    version_questions = attempt.quiz_version.question_map()
    for question_id, values in responses.items():
        if question_id not in drawn:
            continue  # not a question of this attempt: ignored
        qtype = get_type(version_questions[question_id]["type"])
        response = qtype.read_response(list(values), drawn[question_id])
        answer = existing.get(question_id)
        if answer is None:
            answer = Answer(attempt=attempt, question_id=question_id, response=response, saved_at=now)
            db.session.add(answer)
        elif answer.response != response:
            answer.response, answer.saved_at = response, now
    if position is not None:
        attempt.position = max(0, min(position, len(attempt.drawn) - 1))
    db.session.flush()


def save_responses(attempt, responses: dict[int, list[str]], questions: dict[int, dict], *, position: int,
                   now: datetime | None = None) -> None:
    """save_answers() for an attempt read as a plain row (quizzes.views: its id, user_id, quiz_id,
    deadline_at and drawn), with its version's `questions` by id, and the page the person goes to
    (`position`, from 0). Raises AttemptClosed as save_answers() does.

    After the lock, two statements: the position set where the attempt is still open (no row: it
    was submitted meanwhile), then one insert per answer that updates the row already there when
    the response differs (the unique index on attempt and question decides). save_answers()
    loaded the attempt again, its answers and their objects, then flushed them: 4-5 statements."""
    now = now or utcnow()
    lock(attempt.user_id, attempt.quiz_id)
    position = max(0, min(position, len(attempt.drawn) - 1))
    if db.session.execute(_position_update(), {"attempt_id": attempt.id, "position": position}).rowcount != 1:
        raise AttemptClosed(N_("This attempt has already been submitted."))
    if time_is_up(attempt, now):
        raise AttemptClosed(N_("Time is up: your answers saved before the end were kept."))
    drawn = {d["id"]: d["options"] for d in attempt.drawn}
    rows = [{"attempt_id": attempt.id, "question_id": question_id, "saved_at": now,
             "response": get_type(questions[question_id]["type"]).read_response(list(values), drawn[question_id])}
            for question_id, values in responses.items() if question_id in drawn]  # others: not this attempt's
    if rows:
        db.session.execute(_answer_upsert(db.session.get_bind().dialect.name), rows)


@cache
def _position_update():
    return (update(Attempt.__table__).where(Attempt.__table__.c.id == bindparam("attempt_id"),
                                            Attempt.__table__.c.submitted_at.is_(None))
            .values(position=bindparam("position")))


@cache
def _answer_upsert(dialect: str):
    table = Answer.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    # Compared as text: PostgreSQL's json has no equality; both hold what the same serializer wrote.
    return statement.on_conflict_do_update(
        index_elements=["attempt_id", "question_id"],
        set_={"response": statement.excluded.response, "saved_at": statement.excluded.saved_at},
        where=cast(table.c.response, Text) != cast(statement.excluded.response, Text))


# -- submitting and grading --------------------------------------------------------------------

def submit(attempt: Attempt, *, now: datetime | None = None, responses: dict[int, list[str]] | None = None) -> bool:
    """Submit and grade once. Returns True for the call that graded, False when it was already done.

    Answers sent with a late submit are ignored, and the attempt is graded on what was saved in time.
    """
    now = now or utcnow()
    lock(attempt.user_id, attempt.quiz_id)
    db.session.refresh(attempt)
    if responses and attempt.submitted_at is None and not time_is_up(attempt, now):
        save_answers(attempt, responses, now=now)
    submitted_at = now
    if attempt.deadline_at is not None:
        submitted_at = min(now, aware(attempt.deadline_at) + GRACE)
    won = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(submitted_at=submitted_at).execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(attempt)
    if won:
        _grade(attempt)
    return won


def _grade(attempt: Attempt) -> None:
    version = attempt.quiz_version
    questions = version.question_map()
    answers = {a.question_id: a for a in attempt.answers}
    items = []
    for drawn in attempt.drawn:
        question = questions[drawn["id"]]
        answer = answers.get(drawn["id"])
        if answer is None:  # unanswered: a row all the same, so item statistics count it
            answer = Answer(attempt=attempt, question_id=drawn["id"], response=[], saved_at=attempt.submitted_at)
            db.session.add(answer)
        answer.score = get_type(question["type"]).score(question["answer"], answer.response or [])
        items.append(scoring.ItemScore(drawn["id"], answer.score, question["critical"]))
    result = scoring.grade(items, version.settings["pass_mark"])
    attempt.points, attempt.score = result.points, result.percent
    attempt.is_passed, attempt.is_critical_failed = result.passed, result.critical_failed
    db.session.flush()
    user = db.session.get(User, attempt.user_id)
    record("attempt_submitted", actor=user, target=f"attempt:{attempt.id}", quiz=attempt.quiz_id,
           version=version.number, number=attempt.number, score=result.percent, passed=result.passed,
           critical_failed=result.critical_failed)
    if result.passed:
        _complete_module(user, attempt)


def _complete_module(user: User, attempt: Attempt) -> None:
    """Passing completes the module (and maybe the course and its certificate) in this transaction."""
    # With its module and course in the same statement: the cycle and the completion read both.
    module_version = db.session.get(ModuleVersion, attempt.module_version_id, options=[
        joinedload(ModuleVersion.module).joinedload(Module.course)]) if attempt.module_version_id else None
    if module_version is not None:
        # The quiz gate asks for a passed attempt in this cycle, and this one is: asked again, it
        # would read the quiz, its bank, the module, the cycle and every attempt of the person.
        progress.complete_module_if_done(user, module_version, attempt_id=attempt.id, passed=(quiz_gate,))


def close_if_expired(attempt: Attempt, now: datetime | None = None) -> bool:
    """Grade an open attempt whose time is up. True if it is (now) closed."""
    now = now or utcnow()
    if attempt.submitted_at is None and time_is_up(attempt, now):
        submit(attempt, now=now)
    return attempt.submitted_at is not None


# -- what the learner may see afterwards ---------------------------------------------------------

def review_allowed(attempt: Attempt, attempts: list[Attempt]) -> bool:
    """Whether the settings of the attempt's version allow its review to be shown now."""
    settings = attempt.quiz_version.settings
    if settings["review_mode"] == "none" or attempt.submitted_at is None:
        return False
    when = settings["review_when"]
    passed = any(a.is_passed for a in attempts)
    if when == ReviewWhen.AFTER_EACH.value:
        return True
    if when == ReviewWhen.AFTER_PASS.value:
        return passed
    limit = settings.get("attempt_limit")
    used = sum(1 for a in attempts if a.submitted_at is not None)
    return passed or (limit is not None and used >= limit)


def quiz_gate(user: User, module_version: ModuleVersion) -> bool:
    """Training's module gate (training.hooks, wired in app.py): has `user` passed this module's quiz (in this
    certification cycle), or has the module no quiz?"""
    quiz = quiz_for_module(module_version.module_id)
    if quiz is None or not module_has_quiz(module_version.module_id):
        return True
    return any(a.is_passed for a in current_attempts(user.id, quiz))
