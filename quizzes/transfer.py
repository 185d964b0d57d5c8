"""GIFT import into a module's bank and export out of it. Adds and flushes; the caller commits.

One file holds one language. Questions are matched by the id made from their `::name::`
(gift.question_key), so importing questions.fr.gift after questions.en.gift adds the French text
to the same questions (and the same option ids). A name that is not an id itself (Moodle's
"Grant's Tomb") is kept on the question and written back on export. A question without a name
gets an id made from its text, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from audit.services import record
from quizzes import gift, quality
from quizzes.registry import get_type, type_for_gift
from quizzes.services import (
    CRITICAL_TAG,
    CRITICAL_TAG_MESSAGE,
    QuizError,
    bank,
    check_question,
    clean_tags,
    question_by_key,
    save_question,
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


def _plan(module: Module, parsed: gift.GiftQuestion, lang: str) -> _Planned:
    qtype = type_for_gift(parsed)
    key = _key_for(parsed)
    tags = clean_tags(([parsed.category] if parsed.category else []) + parsed.tags)
    existing = question_by_key(module.id, key)
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
    return _Planned(key, qtype.name, content, answer, tags, parsed.critical, "unchanged" if same else "updated", name)


def import_gift(module: Module, text: str, *, lang: str, actor, keep_good: bool = False,
                source: str = "") -> ImportReport:
    """Import GIFT text in `lang` into `module`'s bank. With errors, nothing unless keep_good."""
    parsed, errors = gift.parse(text)
    report = ImportReport(errors=list(errors))
    plans: list[_Planned] = []
    seen: dict[str, int] = {}
    for question in parsed:
        try:
            key = _key_for(question)
            if key in seen:
                raise ValueError(f"the id {key} is used twice in this file (first on line {seen[key]})")
            seen[key] = question.line
            plan = _plan(module, question, lang)
            problems = check_question(plan.key, plan.type_name, plan.content, plan.answer)
            if CRITICAL_TAG in plan.tags:
                problems.append(CRITICAL_TAG_MESSAGE)
            if problems:
                raise ValueError(" ".join(problems))
        except (ValueError, KeyError) as error:
            message = error.args[0] if error.args else str(error)
            report.errors.append(gift.GiftError(question.line, str(message), question.title))
            continue
        plans.append(plan)
        report.warnings.extend((plan.key, warning) for warning in quality.question_warnings(
            {"type": plan.type_name, "critical": plan.critical, "content": plan.content, "answer": plan.answer}))
    report.errors.sort(key=lambda e: e.line)
    report.good = len(plans)
    if report.errors and not keep_good:
        return report
    if not plans and not report.errors:
        raise QuizError("The file holds no questions.")
    for plan in plans:
        getattr(report, plan.status).append(plan.key)
        if plan.status == "unchanged":
            continue
        saved = save_question(module, actor=actor, key=plan.key, type_name=plan.type_name, content=plan.content,
                              answer=plan.answer, tags=plan.tags, is_critical=plan.critical,
                              question=question_by_key(module.id, plan.key), quiet=True)
        saved.name = plan.name
    report.imported = True
    record("gift_imported", actor=actor, target=f"module:{module.id}", lang=lang, source=source[:200],
           created=len(report.created), updated=len(report.updated), unchanged=len(report.unchanged),
           skipped=len(report.errors))
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
