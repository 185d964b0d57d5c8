"""GIFT import into a module's bank and export out of it. The caller commits.

An import is planned with reads only (plan_gift: parse, compare with the bank read once, check),
then written in one short transaction (write_gift: bulk statements after checking the bank did
not change meanwhile), so a 5 MB file of 20,000 questions runs as a background job
(quizzes.gift_job) without holding SQLite's write lock for more than a moment.

One file holds one language. Questions are matched by the id made from their `::name::`
(gift.question_key), so importing questions.fr.gift after questions.en.gift adds the French text
to the same questions (and the same option ids). A name that is not an id itself (Moodle's
"Grant's Tomb") is kept on the question and written back on export. A question without a name
gets an id made from its text, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from audit.services import record
from core import bulk
from database import utcnow
from extensions import db
from quizzes import gift, quality
from quizzes.models import Question
from quizzes.registry import get_type, type_for_gift
from quizzes.services import (
    CRITICAL_TAG,
    CRITICAL_TAG_MESSAGE,
    QuizError,
    bank,
    check_minimum_still_met,
    check_question,
    clean_tags,
)
from training.models import Module


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[gift.GiftError] = field(default_factory=list)
    imported: bool = False
    good: int = 0
    # (question id, warning) for the good questions: worth a second look, never a refusal
    warnings: list[tuple[str, quality.QualityWarning]] = field(default_factory=list)

    def summary(self) -> str:
        if not self.imported:
            return f"nothing imported: {len(self.errors)} bad question(s), {self.good} good"
        return (f"{len(self.created)} new, {len(self.updated)} updated, {len(self.unchanged)} unchanged"
                + (f", {len(self.errors)} bad question(s) skipped" if self.errors else ""))


def _key_for(question: gift.GiftQuestion) -> str:
    return gift.question_key(question.title.strip() if question.title else None, question.text)


def _name_for(question: gift.GiftQuestion, key: str) -> str | None:
    """The Moodle name to keep, when it says more than the id."""
    name = question.title.strip() if question.title else None
    return name if name and name != key else None


@dataclass
class _Planned:
    key: str
    type_name: str
    content: dict
    answer: dict
    tags: list[str]
    critical: bool
    status: str  # created | updated | unchanged
    name: str | None = None
    question_id: int | None = None  # the bank's question, when there is one
    row: tuple = ()  # its _WRITTEN columns as the driver takes them, made before the write transaction


def _plan(existing: Question | None, parsed: gift.GiftQuestion, lang: str) -> _Planned:
    qtype = type_for_gift(parsed)
    key = _key_for(parsed)
    tags = clean_tags(([parsed.category] if parsed.category else []) + parsed.tags)
    if existing is None:
        lang_content, answer = qtype.from_gift(parsed, None)
        content = {lang: lang_content}
        return _Planned(key, qtype.name, content, answer, tags, parsed.critical, "created", _name_for(parsed, key))
    if existing.type != qtype.name:
        raise ValueError(f"it is a {existing.type} in the bank but a {qtype.name} in this file")
    others = {code: c for code, c in (existing.content or {}).items() if code != lang and c}
    old_ids = qtype.option_ids(existing.content, existing.answer)
    if others:
        lang_content, answer = qtype.from_gift(parsed, old_ids if old_ids else None)
        if answer != existing.answer:
            raise ValueError(f"its right answers or credits differ from the {', '.join(sorted(others))} text in the bank")
    else:
        same_shape = old_ids and len(old_ids) == len(parsed.answers)
        lang_content, answer = qtype.from_gift(parsed, old_ids if same_shape else None)
    content = {**copy.deepcopy(existing.content), lang: lang_content}
    name = _name_for(parsed, key)
    same = (content == existing.content and answer == existing.answer and tags == list(existing.tags or [])
            and parsed.critical == existing.is_critical and name == existing.name)
    planned = _Planned(key, qtype.name, content, answer, tags, parsed.critical, "unchanged" if same else "updated", name)
    planned.question_id = existing.id
    return planned


class BankChanged(QuizError):
    """The bank changed between the plan and the write; nothing was written."""


@dataclass
class GiftPlan:
    module_id: int
    lang: str
    report: ImportReport
    plans: list[_Planned]
    bank_state: dict[str, tuple]  # key -> (id, updated_at) of the bank the plan read


def plan_gift(module: Module, text: str, *, lang: str, progress: Callable[[int, int], None] | None = None) -> GiftPlan:
    """Parse and check `text` against `module`'s bank, read once. Reads only."""
    parsed, errors = gift.parse(text)
    report = ImportReport(errors=list(errors))
    bank_rows = {q.key: q for q in db.session.scalars(select(Question).where(Question.module_id == module.id))}
    plan = GiftPlan(module.id, lang, report, [], {key: (q.id, q.updated_at) for key, q in bank_rows.items()})
    seen: dict[str, int] = {}
    for number, question in enumerate(parsed, 1):
        if progress is not None and number % 1000 == 0:
            progress(number, len(parsed))
        try:
            key = _key_for(question)
            if key in seen:
                raise ValueError(f"the id {key} is used twice in this file (first on line {seen[key]})")
            seen[key] = question.line
            planned = _plan(bank_rows.get(key), question, lang)
            problems = check_question(planned.key, planned.type_name, planned.content, planned.answer)
            if CRITICAL_TAG in planned.tags:
                problems.append(CRITICAL_TAG_MESSAGE)
            if problems:
                raise ValueError(" ".join(problems))
        except (ValueError, KeyError) as error:
            message = error.args[0] if error.args else str(error)
            report.errors.append(gift.GiftError(question.line, str(message), question.title))
            continue
        planned.row = _values(planned)
        plan.plans.append(planned)
        report.warnings.extend((planned.key, warning) for warning in quality.question_warnings(
            {"type": planned.type_name, "critical": planned.critical, "content": planned.content,
             "answer": planned.answer}))
    report.errors.sort(key=lambda e: e.line)
    report.good = len(plan.plans)
    for planned in plan.plans:
        getattr(report, planned.status).append(planned.key)
    return plan


def write_gift(plan: GiftPlan, *, actor, keep_good: bool = False, source: str = "") -> ImportReport:
    """Write a plan in the caller's write transaction: new questions and changed ones in bulk, one
    audit event. With errors, nothing unless keep_good. Raises BankChanged or QuizError."""
    report = plan.report
    if report.errors and not keep_good:
        return report
    if not plan.plans and not report.errors:
        raise QuizError("The file holds no questions.")
    now = {key: (question_id, updated_at) for question_id, key, updated_at in db.session.execute(
        select(Question.id, Question.key, Question.updated_at).where(Question.module_id == plan.module_id))}
    if now != plan.bank_state:
        raise BankChanged("The question bank changed while the file was being checked. Nothing was imported: "
                          "import the file again.")
    connection = db.session.connection()
    sqlite = bulk.is_sqlite(connection)
    moment = bulk.driver_value(utcnow(), sqlite)
    changed = [p for p in plan.plans if p.status == "updated"]
    bulk.update_rows(connection, Question.__table__, (*_WRITTEN, "updated_at"), [
        (*p.row, moment, p.question_id) for p in changed])
    created = [p for p in plan.plans if p.status == "created"]
    if created:
        position = db.session.scalar(select(func.coalesce(func.max(Question.position), 0))
                                     .where(Question.module_id == plan.module_id))
        columns = ["module_id", "position", *_WRITTEN]
        names, defaults = bulk.with_defaults(Question.__table__, columns)
        defaults = [bulk.driver_value(value, sqlite) for value in defaults]
        bulk.insert_rows(connection, Question.__table__, columns + names, [
            (plan.module_id, position + n, *p.row, *defaults) for n, p in enumerate(created, 1)])
    check_minimum_still_met(plan.module_id)
    report.imported = True
    record("gift_imported", actor=actor, target=f"module:{plan.module_id}", lang=plan.lang, source=source[:200],
           created=len(report.created), updated=len(report.updated), unchanged=len(report.unchanged),
           skipped=len(report.errors))
    return report


_WRITTEN = ("key", "name", "type", "tags", "is_critical", "content", "answer")


def _values(planned: _Planned) -> tuple:
    return (planned.key, planned.name, planned.type_name, bulk.json_text(planned.tags), bool(planned.critical),
            bulk.json_text(planned.content), bulk.json_text(planned.answer))


def import_gift(module: Module, text: str, *, lang: str, actor, keep_good: bool = False,
                source: str = "") -> ImportReport:
    """Import GIFT text in `lang` into `module`'s bank, in the caller's transaction (a course package
    import, the CLI). With errors, nothing unless keep_good."""
    report = write_gift(plan_gift(module, text, lang=lang), actor=actor, keep_good=keep_good, source=source)
    db.session.expire_all()  # the bank was written around the ORM
    return report


def export_gift(module: Module, lang: str) -> str:
    """The module's active bank as GIFT in `lang`.

    Questions with no complete text in `lang` are left out (and counted in a comment), so that
    importing the file back gives the same bank rather than copying another language's text; so
    are questions of a type GIFT cannot hold.
    """
    out, missing, no_gift = [], [], []
    for question in bank(module.id):
        qtype = get_type(question.type)
        lang_content = (question.content or {}).get(lang)
        if not qtype.is_complete(lang_content):
            missing.append(question.key)
            continue
        parsed = qtype.to_gift(lang_content, question.answer)
        if parsed is None:  # a type GIFT cannot hold
            no_gift.append(question.key)
            continue
        # The Moodle name goes back out only while it still leads to this id (an author may
        # have changed the id since): importing the file must find the same question.
        named = question.name and gift.question_key(question.name, "") == question.key
        parsed.title = question.name if named else question.key
        tags = list(question.tags or [])
        parsed.category, parsed.tags = (tags[0] if tags else None), tags[1:]
        parsed.critical = question.is_critical
        try:
            inferred = type_for_gift(parsed)
        except ValueError:
            inferred = None
        if inferred is not qtype:
            parsed.meta_type = qtype.name
        out.append(parsed)
    if not out:
        return ""
    header = f"// {len(missing)} question(s) have no text in {lang} yet: {', '.join(missing)}\n\n" if missing else ""
    if no_gift:
        header += f"// {len(no_gift)} question(s) are of a type GIFT cannot hold: {', '.join(no_gift)}\n\n"
    return header + gift.dump(out)
