"""Reconcile the database with what the clients were told: nothing lost, nothing twice, every score right.

    .venv/bin/python bench/load/reconcile.py ACK_LOG.jsonl      # DATABASE_URL names the database

The load clients (locustfile.py) append one JSON line per acknowledged write: {"kind": "lesson",
"person": service number, "lesson": id} or {"kind": "start" | "answer" | "submit", "attempt": id,
"question": id, "response": [...]}. Checked, in one read of the database (run it inside an app
context, or from the command line):

- every acknowledged lesson read is one row (person, lesson), however often it was sent;
- every acknowledged attempt start, answer and submission is there, once; the stored response of
  each question is the last one acknowledged for it; no attempt has two rows for one question;
- nobody has more submitted attempts at a quiz than the attempt limit of the version they took;
- every stored score (attempt and answer) equals a fresh re-grade on the attempt's frozen version;
- every module completion made by a quiz points at a passed attempt of that person and module;
- every person whose completions cover a course in a cycle holds a certificate for it, and nobody
  holds more certificates for a course than cycles in which they completed it;
- the audit chain is unbroken.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from extensions import db  # noqa: E402
from quizzes import scoring  # noqa: E402
from quizzes.models import Answer, Attempt, Quiz  # noqa: E402
from quizzes.registry import get_type  # noqa: E402

EPSILON = 1e-6


@dataclass
class Report:
    counts: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        self.problems.append(text)

    @property
    def clean(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        out = [f"  {name}: {value}" for name, value in sorted(self.counts.items())]
        out.append(f"  problems: {len(self.problems)}")
        out += [f"    {p}" for p in self.problems[:50]]
        if len(self.problems) > 50:
            out.append(f"    ... and {len(self.problems) - 50} more")
        return out


def regrade(attempt: Attempt) -> tuple[scoring.Grade, dict[int, float]]:
    """Grade the attempt afresh from its frozen version and stored responses (never its stored scores)."""
    questions = attempt.quiz_version.question_map()
    responses = {a.question_id: a.response or [] for a in attempt.answers}
    items, per_question = [], {}
    for drawn in attempt.drawn:
        question = questions[drawn["id"]]
        score = get_type(question["type"]).score(question["answer"], responses.get(drawn["id"], []))
        per_question[drawn["id"]] = score
        items.append(scoring.ItemScore(drawn["id"], score, question["critical"]))
    return scoring.grade(items, attempt.quiz_version.settings["pass_mark"]), per_question


def check_scores(attempt: Attempt, report: Report) -> None:
    grade, per_question = regrade(attempt)
    stored = (attempt.points, attempt.score, attempt.is_passed, attempt.is_critical_failed)
    if (attempt.score is None or abs(attempt.score - grade.percent) > EPSILON or abs(attempt.points - grade.points) > EPSILON
            or attempt.is_passed != grade.passed or attempt.is_critical_failed != grade.critical_failed):
        report.problem(f"attempt {attempt.id}: stored {stored} but a re-grade gives "
                       f"{(grade.points, grade.percent, grade.passed, grade.critical_failed)}")
    answered = {a.question_id: a for a in attempt.answers}
    for question_id, score in per_question.items():
        answer = answered.get(question_id)
        if answer is None:
            report.problem(f"attempt {attempt.id}: submitted without a row for question {question_id}")
        elif answer.score is None or abs(answer.score - score) > EPSILON:
            report.problem(f"attempt {attempt.id} question {question_id}: stored score {answer.score}, re-grade {score}")


def load_acks(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def reconcile(acks: list[dict]) -> Report:
    """Compare the database with the acknowledged writes. Needs an app context."""
    report = Report()
    _check_lessons(acks, report)
    _check_acks(acks, report)
    _check_duplicates(report)
    _check_attempts(report)
    _check_completions(report)
    _check_audit_chain(report)
    return report


def _check_lessons(acks: list[dict], report: Report) -> None:
    from accounts.models import User
    from training.models import LessonView

    read = {(ack["person"], ack["lesson"]) for ack in acks if ack["kind"] == "lesson"}
    report.counts["acknowledged lesson reads"] = sum(ack["kind"] == "lesson" for ack in acks)
    people = {number for number, _ in read}
    ids = dict(db.session.execute(select(User.service_number, User.id).where(User.service_number.in_(people))).all())
    rows = Counter({(user_id, lesson_id): count for user_id, lesson_id, count in db.session.execute(
        select(LessonView.user_id, LessonView.lesson_id, func.count()).where(LessonView.user_id.in_(ids.values()))
        .group_by(LessonView.user_id, LessonView.lesson_id))})
    wrong = [(number, lesson_id) for number, lesson_id in sorted(read) if rows[(ids.get(number), lesson_id)] != 1]
    report.counts["acknowledged lesson reads not stored exactly once"] = len(wrong)
    for number, lesson_id in wrong[:20]:
        report.problem(f"{number} lesson {lesson_id}: acknowledged as read, {rows[(ids.get(number), lesson_id)]} row(s)")


def _check_acks(acks: list[dict], report: Report) -> None:
    last_answer: dict[tuple[int, int], list[str]] = {}
    started, submitted = set(), set()
    for ack in acks:
        kind = ack["kind"]
        if kind == "lesson":
            continue  # _check_lessons
        report.counts[f"acknowledged {kind}s"] += 1
        if kind == "start":
            started.add(ack["attempt"])
        elif kind == "answer":
            last_answer[(ack["attempt"], ack["question"])] = sorted(ack["response"])
        elif kind == "submit":
            submitted.add(ack["attempt"])
    attempts = {a.id: a for a in db.session.scalars(select(Attempt).where(Attempt.id.in_(started | submitted | {
        key[0] for key in last_answer})))}
    for attempt_id in sorted(started):
        if attempt_id not in attempts:
            report.problem(f"attempt {attempt_id} was acknowledged as started but is not in the database")
    for attempt_id in sorted(submitted):
        attempt = attempts.get(attempt_id)
        if attempt is None or attempt.submitted_at is None:
            report.problem(f"attempt {attempt_id} was acknowledged as submitted but is not submitted")
    stored = {(a.attempt_id, a.question_id): sorted(a.response or []) for a in db.session.scalars(
        select(Answer).where(Answer.attempt_id.in_({key[0] for key in last_answer})))}
    lost = [key for key in last_answer if key not in stored]
    changed = [key for key in last_answer if key in stored and stored[key] != last_answer[key]]
    report.counts["acknowledged answers lost"] = len(lost)
    report.counts["acknowledged answers stored differently"] = len(changed)
    for attempt_id, question_id in (lost + changed)[:20]:
        report.problem(f"attempt {attempt_id} question {question_id}: acknowledged {last_answer[(attempt_id, question_id)]}, "
                       f"stored {stored.get((attempt_id, question_id), 'nothing')}")


def _check_duplicates(report: Report) -> None:
    twice = db.session.execute(select(Answer.attempt_id, Answer.question_id, func.count()).group_by(
        Answer.attempt_id, Answer.question_id).having(func.count() > 1)).all()
    report.counts["answers stored twice"] = len(twice)
    for attempt_id, question_id, count in twice[:20]:
        report.problem(f"attempt {attempt_id} question {question_id}: {count} rows")
    numbers = db.session.execute(select(Attempt.user_id, Attempt.quiz_id, Attempt.number, func.count()).group_by(
        Attempt.user_id, Attempt.quiz_id, Attempt.number).having(func.count() > 1)).all()
    report.counts["attempt numbers used twice"] = len(numbers)
    open_twice = db.session.execute(select(Attempt.user_id, Attempt.quiz_id, func.count()).where(
        Attempt.submitted_at.is_(None)).group_by(Attempt.user_id, Attempt.quiz_id).having(func.count() > 1)).all()
    report.counts["people with two open attempts at one quiz"] = len(open_twice)
    for row in numbers[:10] + open_twice[:10]:
        report.problem(f"duplicate attempts {tuple(row)}")


def _check_attempts(report: Report) -> None:
    per_person_quiz: dict[tuple[int, int], list[Attempt]] = defaultdict(list)
    for attempt in db.session.scalars(select(Attempt).where(Attempt.submitted_at.is_not(None))
                                      .execution_options(yield_per=500)):
        report.counts["submitted attempts re-graded"] += 1
        report.counts["submitted attempts passed"] += bool(attempt.is_passed)
        check_scores(attempt, report)
        per_person_quiz[(attempt.user_id, attempt.quiz_id)].append(attempt)
    from training.models import Completion

    cycles: dict[tuple[int, int], set[int]] = defaultdict(set)
    for user_id, quiz_id, cycle in db.session.execute(select(Completion.user_id, Quiz.id, Completion.cycle).join(
            Quiz, Quiz.module_id == Completion.module_id)):
        cycles[(user_id, quiz_id)].add(cycle)
    for (user_id, quiz_id), attempts in per_person_quiz.items():
        limit = min((a.quiz_version.settings.get("attempt_limit") or 10**9) for a in attempts)
        if len(attempts) > limit:
            report.problem(f"user {user_id} has {len(attempts)} submitted attempts at quiz {quiz_id}; the limit is {limit}")
        passes = sum(bool(a.is_passed) for a in attempts)
        if passes > 1 and passes > len(cycles.get((user_id, quiz_id), ())):  # one pass per certification cycle
            report.problem(f"user {user_id} passed quiz {quiz_id} {passes} times in {len(cycles.get((user_id, quiz_id), ()))} cycle(s)")
    report.counts["people at a quiz's attempt limit"] = sum(
        1 for attempts in per_person_quiz.values()
        if len(attempts) >= min((a.quiz_version.settings.get("attempt_limit") or 10**9) for a in attempts))


def _check_completions(report: Report) -> None:
    from certificates.models import Certificate
    from training.models import Completion, Module

    quiz_modules = set(db.session.scalars(select(Quiz.module_id)))
    completions = list(db.session.scalars(select(Completion)))
    report.counts["module completions"] = len(completions)
    for completion in completions:
        if completion.module_id not in quiz_modules or completion.attempt_id is None:
            continue
        attempt = db.session.get(Attempt, completion.attempt_id)
        quiz = db.session.get(Quiz, attempt.quiz_id) if attempt else None
        if attempt is None or not attempt.is_passed or attempt.user_id != completion.user_id or quiz.module_id != completion.module_id:
            report.problem(f"completion {completion.id} points at attempt {completion.attempt_id}, not a pass of its own")
    live = defaultdict(set)
    for module in db.session.scalars(select(Module).where(Module.is_archived.is_(False))):
        live[module.course_id].add(module.id)
    done = defaultdict(set)
    for completion in completions:
        course_id = db.session.get(Module, completion.module_id).course_id
        done[(completion.user_id, course_id, completion.cycle)].add(completion.module_id)
    certificates = Counter((c.user_id, c.course_id) for c in db.session.scalars(select(Certificate)))
    complete = [key for key, modules in done.items() if live[key[1]] and live[key[1]] <= modules]
    report.counts["course completions"] = len(complete)
    report.counts["certificates"] = sum(certificates.values())
    for user_id, course_id, cycle in complete:
        if certificates[(user_id, course_id)] < cycle + 1:
            report.problem(f"user {user_id} completed course {course_id} (cycle {cycle}) but holds "
                           f"{certificates[(user_id, course_id)]} certificate(s)")
    cycles_complete = Counter((user_id, course_id) for user_id, course_id, _ in complete)
    for (user_id, course_id), count in certificates.items():
        if count > cycles_complete[(user_id, course_id)]:  # a certificate issued twice for one completion
            report.problem(f"user {user_id} holds {count} certificate(s) for course {course_id} but completed it "
                           f"in {cycles_complete[(user_id, course_id)]} cycle(s)")


def _check_audit_chain(report: Report) -> None:
    from audit.chain import first_broken
    from audit.models import AuditEvent
    from audit.services import chain_key

    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000))
    try:
        broken = first_broken(events, chain_key())
    finally:
        events.close()  # stops the server-side cursor early when the chain breaks
    report.counts["audit events"] = db.session.scalar(select(func.count(AuditEvent.id)))
    if broken:
        report.problem(f"audit chain broken at event {broken[0]}: {broken[1]}")


def main(argv: list[str]) -> int:
    from app import create_app

    if len(argv) != 1:
        print(__doc__.split("\n\n")[1])
        return 2
    app = create_app()
    with app.app_context():
        report = reconcile(load_acks(Path(argv[0])))
    print("Reconciliation:", "clean" if report.clean else "PROBLEMS FOUND")
    print("\n".join(report.lines()))
    return 0 if report.clean else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
