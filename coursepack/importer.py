"""Load a course package into the database, or write the database back as a package.

Everything happens in the caller's transaction: any problem raises ContentError and the caller
rolls back, so nothing half-imports. A module whose content changed gets a new draft (or, with
publish=True, a new published version); what learners already did stays attached to the older
versions and still counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from audit.services import record
from coursepack.files import (
    IMAGE_LINK,
    IMAGES_FOLDER,
    ContentError,
    CoursePackage,
    LessonFile,
    ModulePackage,
    read_package,
)
from extensions import db
from quizzes.services import QuizError, get_or_create_quiz, quiz_for_module, update_settings
from quizzes.transfer import export_gift, import_gift
from training import versions
from training.images import CleanImage, ImageError, clean_packaged, media_path, store_clean
from training.models import Course, LessonImage, Module

MEDIA_LINK = re.compile(r"/media/([0-9a-f]{64})\.webp")


@dataclass
class ImportSummary:
    course: str
    created: bool = False
    drafted: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    questions: int = 0
    images: int = 0
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        head = f"course {self.course}: {'created' if self.created else 'updated'}"
        return [head,
                f"  modules published: {', '.join(self.published) or 'none'}",
                f"  modules drafted (not yet published): {', '.join(self.drafted) or 'none'}",
                f"  modules unchanged: {', '.join(self.unchanged) or 'none'}",
                f"  questions created or updated: {self.questions}",
                f"  pictures: {self.images}",
                f"  warnings: {len(self.warnings)}"]


def import_content(root: Path, *, actor=None, publish: bool = False) -> ImportSummary:
    return import_package(read_package(root), actor=actor, publish=publish)


def import_package(package: CoursePackage, *, actor=None, publish: bool = False,
                   cleaned: dict[tuple[str, str], CleanImage] | None = None, source: str = "") -> ImportSummary:
    """Write a package already read, in the caller's transaction. The person importing owns a course
    the import creates (from the terminal, with no actor, no one: admins write it). `cleaned`: the
    pictures a dry run already checked and re-encoded, by (module folder, file name)."""
    course = db.session.scalar(select(Course).filter_by(code=package.code))
    summary = ImportSummary(course=package.code, created=course is None, warnings=list(package.warnings))
    if course is None:
        course = Course(code=package.code, owner_id=getattr(actor, "id", None))
        db.session.add(course)
    course.title, course.description = package.title, package.description
    course.validity_months, course.renewal_window_days = package.validity_months, package.renewal_window_days
    course.default_language, course.languages = package.default_language, ",".join(package.languages)
    db.session.flush()
    problems: list[str] = []
    for position, module_package in enumerate(package.modules):
        _import_module(course, module_package, position, actor, publish, summary, problems, cleaned or {})
    if problems:
        raise ContentError(problems)
    record("content_imported", actor=actor, target=f"course:{course.code}", published=summary.published,
           drafted=summary.drafted, created=summary.created, **({"source": source[:200]} if source else {}))
    return summary


def _import_module(course: Course, package: ModulePackage, position: int, actor, publish: bool,
                   summary: ImportSummary, problems: list[str], cleaned: dict) -> None:
    module = db.session.scalar(select(Module).filter_by(course_id=course.id, slug=package.slug))
    if module is None:
        module = Module(course=course, slug=package.slug)
        db.session.add(module)
    module.position, module.default_language, module.is_archived = position, course.default_language, False
    db.session.flush()
    wanted = _with_stored_images(package, actor, summary, problems, cleaned)
    # A module still being translated (or without lessons) comes in as a draft even with --publish.
    publish = publish and not package.untranslated and bool(package.lessons)
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
    if package.quiz.get("min_critical", 0) < quiz.min_critical:
        # Lowered first, so a bank that now marks fewer questions critical is not refused by the old minimum.
        try:
            update_settings(quiz, actor=actor, min_critical=package.quiz["min_critical"])
        except QuizError as error:
            problems.append(f"{package.folder}/module.yaml: quiz: {error}")
    for lang, (path, text) in package.gift.items():
        try:
            report = import_gift(module, text, lang=lang, actor=actor, source=path)
        except QuizError as error:  # e.g. the file un-marks critical questions the quiz's minimum needs
            problems.append(f"{path}: {error}")
            continue
        problems.extend(f"{path}:{error.line}: {error.message}" for error in report.errors)
        summary.questions += len(report.created) + len(report.updated)
    # After the questions: a critical minimum is checked against the bank it draws from.
    if any(getattr(quiz, name) != value for name, value in package.quiz.items()):
        try:
            update_settings(quiz, actor=actor, **package.quiz)
        except QuizError as error:
            problems.append(f"{package.folder}/module.yaml: quiz: {error}")


def _with_stored_images(package: ModulePackage, actor, summary: ImportSummary, problems: list[str],
                        cleaned: dict) -> dict:
    """The module's content with each images/<name> link turned into the stored picture's /media/ path."""
    paths = {}
    for name, raw in package.images.items():
        try:
            clean = cleaned.get((package.folder, name)) or clean_packaged(raw)
            paths[name] = media_path(store_clean(clean, actor=actor, original_name=name))
        except ImageError as error:
            problems.append(f"{package.folder}/{IMAGES_FOLDER}/{name}: {error}")
    summary.images += len(paths)
    return relinked_content(package, paths)


def relinked_content(package: ModulePackage, paths: dict[str, str]) -> dict:
    """The module's version content, its images/<name> links pointing at `paths` (name -> /media/ path)."""
    content = package.version_content()
    for lesson in content["lessons"]:
        lesson["body"] = {lang: _relink(text, paths) for lang, text in lesson["body"].items()}
    return content


def _relink(text: str, paths: dict[str, str]) -> str:
    def swap(match: re.Match) -> str:
        new = paths.get(match.group(1))
        return f"]({new}" if new else match.group(0)
    return IMAGE_LINK.sub(swap, text)


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
        quiz_settings = {name: getattr(quiz, name) for name in ("draw_count", "pass_mark", "review_mode", "review_when",
                                                                "min_critical")} \
            if quiz else {"draw_count": 0, "pass_mark": 80, "review_mode": "feedback", "review_when": "after_pass"}
        gift = {lang: (f"questions.{lang}.gift", export_gift(module, lang)) for lang in languages} if quiz else {}
        images: dict[str, bytes] = {}
        lessons = [LessonFile(stem=lesson.key, title=lesson.title,
                              body={lang: _packaged_links(text, images) for lang, text in lesson.body.items()})
                   for lesson in version.lessons]
        modules.append(ModulePackage(
            folder=f"{index + 1:02d}-{module.slug}", slug=module.slug, title=version.title,
            summary=version.summary, objectives=version.objectives, minutes=version.minutes, sources=version.sources,
            lessons=lessons, images=images,
            quiz=quiz_settings, gift={lang: value for lang, value in gift.items() if value[1].strip()}))
    package = CoursePackage(root=root, code=course.code, title=course.title, description=course.description,
                            validity_months=course.validity_months, renewal_window_days=course.renewal_window_days,
                            default_language=course.default_language, languages=languages, modules=modules)
    write_package(package, root)
    return package


def _packaged_links(text: str, images: dict[str, bytes]) -> str:
    """`text` with each stored picture's /media/<sha256>.webp link pointing at images/ beside the
    lesson, and the picture's bytes added to `images`."""
    def swap(match: re.Match) -> str:
        sha256 = match.group(1)
        name = f"{sha256}.webp"
        if name not in images:
            image = db.session.scalar(select(LessonImage).filter_by(sha256=sha256))
            if image is None:
                return match.group(0)  # a broken link stays as the author left it
            images[name] = image.data
        return f"{IMAGES_FOLDER}/{name}"
    return MEDIA_LINK.sub(swap, text)
