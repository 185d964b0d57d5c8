"""A course package uploaded as a ZIP: its dry run, and its import as a background job.

The dry run reads only: it reads the archive in memory (coursepack.archive), checks the package,
re-encodes its pictures and compares every module and question bank with the database. The job
does the same again outside any write transaction; if the result is not the dry run the trainer
saw, it stops and writes nothing. Otherwise it writes in one short transaction (jobs.runner.apply)
committed with the job's "done": killed half-way, it has written nothing and can be run again.
Imported modules are drafts, whoever imports (publishing stays a deliberate step in the browser);
a new course belongs to the person who imported it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import SimpleNamespace

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from accounts.models import User
from coursepack.archive import ArchiveError, ArchivePath, private_folder, read_archive, write_archive
from coursepack.files import IMAGES_FOLDER, ContentError, CoursePackage, read_package
from coursepack.importer import export_content, import_package, relinked_content
from extensions import db
from jobs import registry, runner, services
from jobs.models import Job
from quizzes.services import QuizError
from quizzes.transfer import plan_gift
from training import versions
from training.images import CleanImage, ImageError, clean_packaged
from training.models import Course, Module
from training.permissions import can_author

KIND = "content_import"
INPUT = "package.zip"
PROBLEM = re.compile(r"^(?P<file>[^:\s][^:]*?)(?::(?P<line>\d+))?: (?P<message>.*)$", re.DOTALL)
CHANGED_SINCE_CHECK = ("The course changed since the package was checked, so what it would do is not what you "
                       "saw. Nothing was imported: upload the package again.")


@dataclass
class ModulePlan:
    slug: str
    status: str              # new | changed | unchanged
    questions_new: int = 0
    questions_changed: int = 0
    pictures: int = 0
    based_on: str = ""       # the version and question bank it was compared with: the job checks they are the same


@dataclass
class UploadPlan:
    code: str = ""
    course_id: int | None = None
    modules: list[ModulePlan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    package: CoursePackage | None = None
    cleaned: dict[tuple[str, str], CleanImage] = field(default_factory=dict)

    @property
    def creates_course(self) -> bool:
        return self.course_id is None

    def digest(self) -> str:
        """What the trainer saw: the job imports only a package whose dry run gives the same."""
        seen = {"code": self.code, "course": self.course_id, "modules": [asdict(m) for m in self.modules],
                "problems": self.problems}
        return hashlib.sha256(json.dumps(seen, sort_keys=True).encode()).hexdigest()


def split_problem(text: str) -> dict:
    """'01-why/module.yaml:3: message' -> {"file", "line", "message"}, for a table by file and line."""
    match = PROBLEM.match(text)
    if not match:
        return {"file": None, "line": None, "message": text}
    line = match.group("line")
    return {"file": match.group("file"), "line": int(line) if line else None, "message": match.group("message")}


def plan_upload(files: dict[str, bytes], *, actor: User) -> UploadPlan:
    """The dry run of an archive read by read_archive. Reads only."""
    try:
        package = read_package(ArchivePath(files))
    except ContentError as error:
        return UploadPlan(problems=list(error.problems))
    plan = UploadPlan(code=package.code, package=package, warnings=list(package.warnings))
    course = db.session.scalar(select(Course).filter_by(code=package.code))
    if course is not None:
        plan.course_id = course.id
        if not can_author(actor, course):
            plan.problems.append(f"course.yaml: a course with the code '{package.code}' exists and you may not "
                                 f"change it; give the package another code to import it as a course of your own")
            return plan
    for module_package in package.modules:
        module = db.session.scalar(select(Module).filter_by(course_id=course.id, slug=module_package.slug)) \
            if course is not None else None
        paths = {}
        for name, raw in module_package.images.items():
            try:
                clean = plan.cleaned[(module_package.folder, name)] = clean_packaged(raw)
            except ImageError as error:
                plan.problems.append(f"{module_package.folder}/{IMAGES_FOLDER}/{name}: {error}")
                continue
            paths[name] = f"/media/{clean.sha256}.webp"
        current = (versions.draft_of(module) or versions.latest_published(module)) if module is not None else None
        if module is None:
            status = "new"
        elif current is not None and versions.content_of(current) == relinked_content(module_package, paths):
            status = "unchanged"
        else:
            status = "changed"
        module_plan = ModulePlan(module_package.slug, status, pictures=len(paths))
        seen = [current.id if current else None, versions.content_of(current) if current else None]
        created, updated = set(), set()
        # A new module has no bank yet: each file is checked against an empty one (id 0 is never a module's).
        bank = module if module is not None else SimpleNamespace(id=0)
        for lang, (path, text) in module_package.gift.items():
            gift_plan = plan_gift(bank, text, lang=lang)
            report = gift_plan.report
            seen.append(sorted((key, row_id, str(stamp)) for key, (row_id, stamp) in gift_plan.bank_state.items()))
            plan.problems.extend(f"{path}:{error.line}: {error.message}" for error in report.errors)
            created.update(report.created)
            updated.update(report.updated)
        module_plan.questions_new, module_plan.questions_changed = len(created), len(updated - created)
        module_plan.based_on = hashlib.sha256(json.dumps(seen, sort_keys=True, default=str).encode()).hexdigest()
        plan.modules.append(module_plan)
    return plan


def start(data: bytes, filename: str, *, digest: str, actor: User) -> Job:
    """Record the job and keep the archive beside it (JOB_FILES_DIR). The caller commits, then enqueues."""
    job = services.create(KIND, actor=actor, params={"source": filename[:200], "digest": digest})
    folder = services.files_dir() / str(job.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / INPUT).write_bytes(data)
    return job


def run(job: Job, report: registry.Report) -> dict:
    params = job.params
    actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
    if actor is None or not actor.is_active:
        raise registry.JobFailed([{"line": None, "message": "The person who started the import can no longer sign in."}])
    report(0, 3, "")
    try:
        files = read_archive((services.files_dir() / str(job.id) / INPUT).read_bytes())
    except ArchiveError as error:
        raise registry.JobFailed([{"line": None, "message": str(error)}]) from None
    plan = plan_upload(files, actor=actor)
    report(1, 3, "")
    if plan.problems:
        raise registry.JobFailed([split_problem(problem) for problem in plan.problems])
    if plan.digest() != params.get("digest"):
        raise registry.JobFailed([{"line": None, "message": CHANGED_SINCE_CHECK}])
    report(2, 3, "")
    try:
        with runner.apply():
            actor = db.session.get(User, job.created_by_id)  # the read above ended with its transaction
            summary = import_package(plan.package, actor=actor, cleaned=plan.cleaned, source=params.get("source", ""))
            course_id = db.session.scalar(select(Course.id).filter_by(code=plan.code))
    except (ContentError, QuizError) as error:
        problems = error.problems if isinstance(error, ContentError) else [str(error)]
        raise registry.JobFailed([split_problem(problem) for problem in problems]) from None
    return {"course": plan.code, "course_id": course_id, "modules_drafted": len(summary.drafted),
            "modules_unchanged": len(summary.unchanged), "questions": summary.questions, "pictures": summary.images,
            "warnings": len(summary.warnings)}


def next_step(job: Job) -> tuple[str, str] | None:
    course_id = job.result.get("course_id")
    if not course_id:
        return None
    return str(_l("Open the course")), url_for("training_author.course_overview", course_id=course_id)


def export_zip(course: Course) -> bytes:
    """The course as the files `flask export-content` writes, zipped in one folder named by its code."""
    with private_folder() as folder:
        root = Path(folder) / course.code
        export_content(course.code, root)
        return write_archive(root)


def register() -> None:
    registry.register(KIND, _l("Course package import"), run, next_step=next_step,
                      result_labels={"course": _l("Course"), "modules_drafted": _l("Modules drafted"),
                                     "modules_unchanged": _l("Modules unchanged"),
                                     "questions": _l("Questions created or updated"), "pictures": _l("Pictures"),
                                     "warnings": _l("Warnings")})
