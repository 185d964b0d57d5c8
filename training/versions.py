"""Drafting and publishing module versions. Adds and flushes; the caller commits.

A module has at most one draft. Publishing freezes it for good (the previous published version
becomes "retired": still frozen, and progress made on it still counts) and bumps the course's
version number, which certificates record.
"""

from __future__ import annotations

from sqlalchemy import func, select

from audit.services import record
from database import utcnow
from extensions import db
from training.models import Lesson, Module, ModuleVersion, VersionStatus

CONTENT_FIELDS = ("title", "summary", "objectives", "minutes", "sources")


class VersionError(ValueError):
    """A request that breaks a versioning rule; the message is safe to show."""


def latest_published(module: Module) -> ModuleVersion | None:
    return db.session.scalar(select(ModuleVersion).where(
        ModuleVersion.module_id == module.id, ModuleVersion.status == VersionStatus.PUBLISHED.value))


def draft_of(module: Module) -> ModuleVersion | None:
    return db.session.scalar(select(ModuleVersion).where(
        ModuleVersion.module_id == module.id, ModuleVersion.status == VersionStatus.DRAFT.value))


def content_of(version: ModuleVersion) -> dict:
    """The version's content as plain data, for comparing and copying."""
    data = {name: getattr(version, name) for name in CONTENT_FIELDS}
    data["lessons"] = [{"key": lesson.key, "title": lesson.title, "body": lesson.body} for lesson in version.lessons]
    return data


def start_draft(module: Module, *, actor) -> ModuleVersion:
    """The module's draft, created from the latest published version if there is none."""
    draft = draft_of(module)
    if draft is not None:
        return draft
    number = (db.session.scalar(select(func.max(ModuleVersion.number)).where(ModuleVersion.module_id == module.id)) or 0) + 1
    source = latest_published(module)
    draft = ModuleVersion(module_id=module.id, number=number, status=VersionStatus.DRAFT.value)
    db.session.add(draft)
    db.session.flush()
    if source is not None:
        write_content(draft, content_of(source))
    record("module_draft_started", actor=actor, target=f"module:{module.id}", version=number)
    return draft


def write_content(draft: ModuleVersion, data: dict) -> None:
    """Replace a draft's content (fields and ordered lessons) with `data`."""
    if draft.is_frozen:
        raise VersionError("A published version cannot change; edit the draft instead.")
    for name in CONTENT_FIELDS:
        if name in data:
            setattr(draft, name, data[name])
    if "lessons" in data:
        draft.lessons.clear()
        db.session.flush()
        for position, lesson in enumerate(data["lessons"]):
            draft.lessons.append(Lesson(key=lesson["key"], position=position, title=dict(lesson["title"]),
                                        body=dict(lesson["body"])))
    db.session.flush()


def publish(draft: ModuleVersion, *, actor) -> ModuleVersion:
    if draft.status != VersionStatus.DRAFT.value:
        raise VersionError("Only a draft can be published.")
    if not draft.lessons:
        raise VersionError("Add at least one lesson before publishing.")
    if not any(draft.title.values()):
        raise VersionError("Give the module a title before publishing.")
    previous = latest_published(draft.module)
    if previous is not None:
        previous.status = VersionStatus.RETIRED.value
        db.session.flush()
    draft.status = VersionStatus.PUBLISHED.value
    draft.published_at = utcnow()
    draft.published_by_id = getattr(actor, "id", None)
    draft.module.course.version += 1
    db.session.flush()
    record("module_published", actor=actor, target=f"module:{draft.module_id}", version=draft.number,
           course_version=draft.module.course.version)
    return draft
