"""Load a course package into the database, or write the database back as a package.

Everything happens in the caller's transaction: any problem raises ContentError and the caller
rolls back, so nothing half-imports. A module whose content changed gets a new draft (or, with
publish=True, a new published version); what learners already did stays attached to the older
versions and still counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from audit.services import record
from coursepack.files import ContentError, CoursePackage, LessonFile, ModulePackage, read_package
from extensions import db
from quizzes.services import get_or_create_quiz, quiz_for_module, update_settings
from quizzes.transfer import export_gift, import_gift
from training import versions
from training.models import Course, Module


@dataclass
class ImportSummary:
    course: str
    created: bool = False
    drafted: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    questions: int = 0

    def lines(self) -> list[str]:
        head = f"course {self.course}: {'created' if self.created else 'updated'}"
        return [head,
                f"  modules published: {', '.join(self.published) or 'none'}",
                f"  modules drafted (not yet published): {', '.join(self.drafted) or 'none'}",
                f"  modules unchanged: {', '.join(self.unchanged) or 'none'}",
                f"  questions created or updated: {self.questions}"]


def import_content(root: Path, *, actor=None, publish: bool = False) -> ImportSummary:
    package = read_package(root)
    course = db.session.scalar(select(Course).filter_by(code=package.code))
    summary = ImportSummary(course=package.code, created=course is None)
    if course is None:
        course = Course(code=package.code, owner_id=getattr(actor, "id", None))
        db.session.add(course)
    course.title, course.description = package.title, package.description
    course.validity_months, course.renewal_window_days = package.validity_months, package.renewal_window_days
    course.default_language, course.languages = package.default_language, ",".join(package.languages)
    db.session.flush()
    problems: list[str] = []
    for position, module_package in enumerate(package.modules):
        _import_module(course, module_package, position, actor, publish, summary, problems)
    if problems:
        raise ContentError(problems)
    record("content_imported", actor=actor, target=f"course:{course.code}", published=summary.published,
           drafted=summary.drafted)
    return summary


def _import_module(course: Course, package: ModulePackage, position: int, actor, publish: bool,
                   summary: ImportSummary, problems: list[str]) -> None:
    module = db.session.scalar(select(Module).filter_by(course_id=course.id, slug=package.slug))
    if module is None:
        module = Module(course=course, slug=package.slug)
        db.session.add(module)
    module.position, module.default_language, module.is_archived = position, course.default_language, False
    db.session.flush()
    wanted = package.version_content()
    current = versions.draft_of(module) or versions.latest_published(module)
    if current is not None and versions.content_of(current) == wanted:
        if current.status == "draft" and publish:
            versions.publish(current, actor=actor)
            summary.published.append(package.slug)
        else:
            summary.unchanged.append(package.slug)
    else:
        draft = versions.start_draft(module, actor=actor)
        versions.write_content(draft, wanted)
        if publish:
            versions.publish(draft, actor=actor)
            summary.published.append(package.slug)
        else:
            summary.drafted.append(package.slug)
    quiz = get_or_create_quiz(module)
    settings = {**quiz.settings(), **package.quiz}
    if settings != quiz.settings():
        update_settings(quiz, actor=actor, **package.quiz)
    for lang, (path, text) in package.gift.items():
        report = import_gift(module, text, lang=lang, actor=actor, source=path)
        problems.extend(f"{path}:{error.line}: {error.message}" for error in report.errors)
        summary.questions += len(report.created) + len(report.updated)


def export_content(code: str, root: Path) -> CoursePackage:
    """Write the course's latest version of every module (published, else draft) to `root`."""
    from coursepack.files import write_package

    course = db.session.scalar(select(Course).filter_by(code=code))
    if course is None:
        raise ContentError([f"no course with the code '{code}'"])
    languages = course.language_list
    modules = []
    for index, module in enumerate(m for m in course.modules if not m.is_archived):
        version = versions.draft_of(module) or versions.latest_published(module)
        if version is None:
            continue
        quiz = quiz_for_module(module.id)
        quiz_settings = {name: getattr(quiz, name) for name in ("draw_count", "pass_mark", "review_mode", "review_when")} \
            if quiz else {"draw_count": 0, "pass_mark": 80, "review_mode": "feedback", "review_when": "after_pass"}
        gift = {lang: (f"questions.{lang}.gift", export_gift(module, lang)) for lang in languages} if quiz else {}
        modules.append(ModulePackage(
            folder=f"{index + 1:02d}-{module.slug}", slug=module.slug, title=version.title,
            summary=version.summary, objectives=version.objectives, minutes=version.minutes, sources=version.sources,
            lessons=[LessonFile(stem=lesson.key, title=lesson.title, body=lesson.body) for lesson in version.lessons],
            quiz=quiz_settings, gift={lang: value for lang, value in gift.items() if value[1].strip()}))
    package = CoursePackage(root=root, code=course.code, title=course.title, description=course.description,
                            validity_months=course.validity_months, renewal_window_days=course.renewal_window_days,
                            default_language=course.default_language, languages=languages, modules=modules)
    write_package(package, root)
    return package
