"""Question banks, quiz settings and frozen quiz versions. Add and flush; the caller commits."""

from __future__ import annotations

import hashlib
import json
import re

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from audit.services import record
from extensions import db
from quizzes.models import LAYOUTS, REVIEW_MODES, REVIEW_WHENS, Question, Quiz, QuizVersion
from quizzes.registry import TYPES, get_type
from training.models import Module

KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
# The critical mark is the one truth: a "critical" tag could disagree with it, so the tag is refused.
CRITICAL_TAG = "critical"
CRITICAL_TAG_MESSAGE = ("\"critical\" is not a tag: mark the question critical, and set how many critical questions "
                        "every attempt holds in the quiz settings.")


class QuizError(ValueError):
    """A request that breaks a rule; the message is safe to show."""


# -- bank -------------------------------------------------------------------------------------

def quiz_for_module(module_id: int) -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.module_id == module_id))


def get_or_create_quiz(module: Module) -> Quiz:
    quiz = quiz_for_module(module.id)
    if quiz is None:
        quiz = Quiz(module_id=module.id)
        try:
            with db.session.begin_nested():
                db.session.add(quiz)
                db.session.flush()
        except IntegrityError:  # created by a parallel request
            quiz = quiz_for_module(module.id)
    return quiz


def bank(module_id: int, *, include_archived: bool = False) -> list[Question]:
    query = select(Question).where(Question.module_id == module_id)
    if not include_archived:
        query = query.where(Question.is_archived.is_(False))
    return list(db.session.scalars(query.order_by(Question.position, Question.id)))


def copy_quiz(source: Module, copy: Module) -> None:
    """Training's module_copied hook (wired in app.py): a copied course's module takes the source
    module's quiz settings and live question bank along. Adds; the caller flushes and commits."""
    quiz = quiz_for_module(source.id)
    if quiz is None:
        return
    db.session.add(Quiz(module_id=copy.id, **quiz.settings()))
    for question in db.session.scalars(select(Question).where(
            Question.module_id == source.id, Question.is_archived.is_(False)).order_by(Question.position)):
        db.session.add(Question(module_id=copy.id, key=question.key, type=question.type,
                                tags=list(question.tags), is_critical=question.is_critical,
                                content=question.content, answer=question.answer,
                                image_id=question.image_id, position=question.position))


def question_by_key(module_id: int, key: str) -> Question | None:
    return db.session.scalar(select(Question).where(Question.module_id == module_id, Question.key == key))


def clean_tags(raw) -> list[str]:
    values = raw.split(",") if isinstance(raw, str) else (raw or [])
    return list(dict.fromkeys(t.strip().lower()[:40] for t in values if t and t.strip()))


def check_question(key: str, type_name: str, content: dict, answer: dict) -> list[str]:
    errors = []
    if not KEY_RE.match(key or ""):
        errors.append("The id may hold letters, digits, '.', '_' and '-' (up to 80), e.g. m3-q04.")
    if type_name not in TYPES:
        return [*errors, f"Unknown question type {type_name!r}."]
    return errors + get_type(type_name).validate(content, answer)


def save_question(module: Module, *, actor, key: str, type_name: str, content: dict, answer: dict,
                  tags=(), is_critical: bool = False, question: Question | None = None,
                  image_id: int | None = None, keep_image: bool = True, quiet: bool = False) -> Question:
    """Create a question in `module`'s bank, or change `question`. Raises QuizError when invalid."""
    key = (key or "").strip()
    errors = check_question(key, type_name, content, answer)
    if CRITICAL_TAG in clean_tags(tags):
        errors.append(CRITICAL_TAG_MESSAGE)
    if errors:
        raise QuizError(" ".join(errors))
    clash = question_by_key(module.id, key)
    if clash is not None and (question is None or clash.id != question.id):
        raise QuizError(f"Another question in this module already has the id {key}.")
    created = question is None
    if created:
        position = db.session.scalar(select(func.coalesce(func.max(Question.position), 0))
                                     .where(Question.module_id == module.id)) + 1
        question = Question(module_id=module.id, position=position)
        db.session.add(question)
    question.key, question.type, question.content, question.answer = key, type_name, content, answer
    question.tags, question.is_critical = clean_tags(tags), bool(is_critical)
    if image_id is not None or not keep_image:
        question.image_id = image_id
    db.session.flush()
    check_minimum_still_met(module.id)
    if quiet:  # a bulk import records one event for the whole file
        return question
    record("question_created" if created else "question_changed", actor=actor, target=f"question:{question.id}",
           module=module.id, key=key)
    return question


def set_archived(question: Question, archived: bool, *, actor) -> None:
    """Raises QuizError when archiving leaves too few critical questions for the quiz's minimum."""
    question.is_archived = archived
    db.session.flush()
    check_minimum_still_met(question.module_id)
    record("question_archived" if archived else "question_restored", actor=actor, target=f"question:{question.id}")
    db.session.flush()


def check_minimum_still_met(module_id: int) -> None:
    """Un-marking or archiving a critical question must not leave the quiz's minimum unmeetable."""
    quiz = quiz_for_module(module_id)
    if quiz is not None and quiz.min_critical:
        # Two columns of each question, not the questions: a bank can hold 20,000 after an import.
        marks = db.session.execute(select(Question.is_critical, Question.is_archived).where(
            Question.module_id == module_id, Question.is_archived.is_(False))).all()
        problems = min_critical_problems(quiz.settings(), marks)
        if problems:
            raise QuizError(" ".join(problems))


# -- settings ----------------------------------------------------------------------------------

def update_settings(quiz: Quiz, *, actor, **settings) -> None:
    """Change the quiz settings. The next attempt freezes them into a new version."""
    unknown = set(settings) - set(Quiz.SETTINGS)
    if unknown:
        raise QuizError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    merged = {**quiz.settings(), **settings}
    problems = settings_problems(merged, bank(quiz.module_id))
    if problems:
        raise QuizError(" ".join(problems))
    changed = {k: v for k, v in settings.items() if getattr(quiz, k) != v}
    for name, value in changed.items():
        setattr(quiz, name, value)
    if changed:
        record("quiz_settings_changed", actor=actor, target=f"quiz:{quiz.id}", changed=sorted(changed))
    db.session.flush()


def settings_problems(settings: dict, questions: list[Question]) -> list[str]:
    problems = []
    if not 0 <= int(settings["pass_mark"]) <= 100:
        problems.append("The pass mark is a percentage from 0 to 100.")
    if settings["review_mode"] not in REVIEW_MODES or settings["review_when"] not in REVIEW_WHENS \
            or settings["layout"] not in LAYOUTS:
        problems.append("Choose a review and a layout from the lists.")
    if settings["draw_count"] < 0 or (settings["attempt_limit"] is not None and settings["attempt_limit"] < 1):
        problems.append("Counts cannot be negative; an attempt limit is at least 1.")
    if settings["cooldown_minutes"] < 0 or (settings["time_limit_minutes"] is not None and settings["time_limit_minutes"] < 1):
        problems.append("A time limit is at least one minute; a cooldown cannot be negative.")
    for tag, count in (settings["draw_per_tag"] or {}).items():
        available = sum(1 for q in questions if tag in (q.tags or []))
        if count < 1 or count > available:
            problems.append(f"Tag {tag!r}: draw 1 to {available} (the questions that carry it).")
        if tag == CRITICAL_TAG:
            problems.append(CRITICAL_TAG_MESSAGE)
    problems.extend(min_critical_problems(settings, questions))
    return problems


def min_critical_problems(settings: dict, questions: list[Question]) -> list[str]:
    """A critical minimum the draw cannot meet is refused rather than quietly drawn short."""
    minimum = settings.get("min_critical") or 0
    if not minimum:
        return []
    if minimum < 0:
        return ["The number of critical questions in every attempt cannot be negative."]
    problems = []
    if settings.get("draw_per_tag"):
        problems.append("A minimum of critical questions works with a number of questions drawn, not with a draw "
                        "per tag: set one or the other.")
    critical = sum(1 for q in questions if q.is_critical and not q.is_archived)
    if critical < minimum:
        problems.append(f"Every attempt should hold {minimum} critical question(s), but the bank has only {critical}: "
                        "mark more questions critical or lower the minimum.")
    drawn = settings.get("draw_count") or 0
    if drawn and minimum > drawn:
        problems.append(f"Every attempt should hold {minimum} critical question(s), but only {drawn} are drawn.")
    return problems


# -- versions ----------------------------------------------------------------------------------

def fingerprint(settings: dict, questions: list[dict]) -> str:
    canonical = json.dumps({"settings": settings, "questions": questions}, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def latest_version(quiz: Quiz) -> QuizVersion | None:
    # Its questions stay in the database until read: starting an attempt compares fingerprints and
    # draws from QuizVersion.question_map()'s per-process copy (75-90 KB of JSON a version).
    return db.session.scalar(select(QuizVersion).where(QuizVersion.quiz_id == quiz.id)
                             .order_by(QuizVersion.number.desc()).limit(1).options(defer(QuizVersion.questions)))


def current_version(quiz: Quiz, *, actor=None) -> QuizVersion:
    """The version an attempt starting now uses: the latest, or a new one if anything changed since."""
    settings = quiz.settings()
    questions = [q.snapshot() for q in bank(quiz.module_id)]
    print_ = fingerprint(settings, questions)
    latest = latest_version(quiz)
    if latest is not None and latest.fingerprint == print_:
        return latest
    version = QuizVersion(quiz_id=quiz.id, number=(latest.number if latest else 0) + 1, fingerprint=print_,
                          settings=settings, questions=questions)
    try:
        with db.session.begin_nested():
            db.session.add(version)
            db.session.flush()
    except IntegrityError:
        # Another learner's start froze this same state a moment ago (PostgreSQL; SQLite queues writers).
        return latest_version(quiz)
    record("quiz_version_created", actor=actor, target=f"quiz:{quiz.id}", version=version.number,
           questions=len(questions), fingerprint=print_[:16])
    return version


def has_unfrozen_changes(quiz: Quiz) -> bool:
    latest = latest_version(quiz)
    if latest is None:
        return False
    return latest.fingerprint != fingerprint(quiz.settings(), [q.snapshot() for q in bank(quiz.module_id)])


def bank_size(module_id: int) -> int:
    """How many active questions the module's bank holds (counted, not loaded)."""
    return db.session.scalar(select(func.count(Question.id)).where(
        Question.module_id == module_id, Question.is_archived.is_(False))) or 0


def module_has_quiz(module_id: int) -> bool:
    """A module has a quiz when its bank holds at least one active question."""
    return bank_size(module_id) > 0
