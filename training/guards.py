"""The last line of defence for published content: a `before_flush` check on every session.

Services already refuse to edit a published module version (training.versions). This guard
catches everything else - a new view, a CLI command, a migration script, a test helper - by
refusing any flush that would change, add or delete content of a version that is published or
retired in the database. The one change allowed is the status moving published -> retired
when a newer version is published.

Bulk `UPDATE`/`DELETE` statements do not pass through the unit of work and are not checked;
nothing in the project issues them against these tables.
"""

from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from training.models import Lesson, ModuleVersion, VersionStatus

FROZEN = {VersionStatus.PUBLISHED.value, VersionStatus.RETIRED.value}
# Columns of a frozen version that may still change, and to what.
ALLOWED_STATUS_MOVES = {(VersionStatus.PUBLISHED.value, VersionStatus.RETIRED.value)}


class FrozenVersionError(RuntimeError):
    """Something tried to change a published module version."""


def _stored_value(obj, name: str):
    """The value of attribute `name` as it is in the database (before this flush)."""
    history = inspect(obj).attrs[name].history
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    return getattr(obj, name)


def _stored_status(session: Session, version_id: int | None) -> str | None:
    """The committed status of a version that exists in the database, else None."""
    if version_id is None:
        return None
    version = session.get(ModuleVersion, version_id)
    if version is None or inspect(version).pending:
        return None
    return _stored_value(version, "status")


def _check_version(version: ModuleVersion, *, deleted: bool) -> None:
    state = inspect(version)
    if state.pending:
        return
    before = _stored_value(version, "status")
    if before not in FROZEN:
        return
    if deleted:
        raise FrozenVersionError(f"module version {version.id} is {before} and cannot be deleted")
    for attr in state.attrs:
        if not attr.history.has_changes():
            continue
        if attr.key == "status" and (before, version.status) in ALLOWED_STATUS_MOVES:
            continue
        raise FrozenVersionError(f"module version {version.id} is {before}: its {attr.key} cannot change")


def _check_lesson(session: Session, lesson: Lesson, *, deleted: bool) -> None:
    state = inspect(lesson)
    version_ids = {lesson.module_version_id}
    if lesson.module_version is not None:
        version_ids.add(lesson.module_version.id)
    if not state.pending:
        version_ids.add(_stored_value(lesson, "module_version_id"))
        if not deleted and not any(attr.history.has_changes() for attr in state.attrs if attr.key != "module_version"):
            return  # only loaded, nothing to write
    for version_id in version_ids - {None}:
        status = _stored_status(session, version_id)
        if status in FROZEN:
            action = "deleted from" if deleted else ("added to" if state.pending else "changed in")
            raise FrozenVersionError(f"a lesson cannot be {action} module version {version_id}: it is {status}")


def install() -> None:
    """Check every session's flushes from now on (create_app calls it; a second call adds nothing)."""
    if not event.contains(Session, "before_flush", refuse_changes_to_frozen_versions):
        event.listen(Session, "before_flush", refuse_changes_to_frozen_versions)


def refuse_changes_to_frozen_versions(session: Session, flush_context, instances) -> None:
    with session.no_autoflush:
        for obj in list(session.dirty):
            if isinstance(obj, ModuleVersion) and session.is_modified(obj):
                _check_version(obj, deleted=False)
            elif isinstance(obj, Lesson) and session.is_modified(obj):
                _check_lesson(session, obj, deleted=False)
        for obj in list(session.new):
            if isinstance(obj, Lesson):
                _check_lesson(session, obj, deleted=False)
        for obj in list(session.deleted):
            if isinstance(obj, ModuleVersion):
                _check_version(obj, deleted=True)
            elif isinstance(obj, Lesson):
                _check_lesson(session, obj, deleted=True)
