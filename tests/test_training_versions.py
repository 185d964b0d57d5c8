"""Module versions: published ones never change (services and the flush guard), drafts, publishing,
archive instead of delete, and a learner part-way through keeping their version."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from audit.models import AuditEvent
from extensions import db
from tests import training_factories as tf
from training import authoring, learning, progress, versions
from training.authoring import AuthoringError
from training.guards import FrozenVersionError
from training.models import Lesson, LessonView, Module, ModuleVersion
from training.versions import VersionError


@pytest.fixture
def course(app, trainer):
    course = tf.make_course(owner=trainer)
    db.session.commit()
    return course


@pytest.fixture
def module(course):
    module = tf.make_module(course, lessons=2)
    db.session.commit()
    return module


def _published(module) -> ModuleVersion:
    return versions.latest_published(module)


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


# ---- the guard ---------------------------------------------------------------------------------

@pytest.mark.parametrize("change", [
    lambda v: setattr(v, "title", {"en": "Changed"}),
    lambda v: setattr(v, "minutes", 99),
    lambda v: setattr(v, "sources", ["A new source"]),
    lambda v: setattr(v, "number", 7),
    lambda v: setattr(v, "status", "draft"),
    lambda v: setattr(v.lessons[0], "body", {"en": "Rewritten after publishing"}),
    lambda v: setattr(v.lessons[0], "title", {"en": "Renamed"}),
    lambda v: setattr(v.lessons[1], "position", 0),
    lambda v: v.lessons.append(Lesson(key="extra", position=5, title={"en": "Extra"}, body={"en": "x"})),
    lambda v: v.lessons.remove(v.lessons[0]),
    lambda v: db.session.delete(v.lessons[0]),
    lambda v: db.session.delete(v),
    lambda v: db.session.add(Lesson(module_version_id=v.id, key="sneaky", title={"en": "S"}, body={"en": "s"})),
], ids=["title", "minutes", "sources", "number", "back to draft", "lesson body", "lesson title", "lesson order",
        "lesson added", "lesson removed", "lesson deleted", "version deleted", "lesson added by id"])
def test_the_guard_refuses_any_change_to_a_published_version(module, change):
    version = _published(module)
    before = versions.content_of(version)

    change(version)
    with pytest.raises(FrozenVersionError):
        db.session.flush()

    db.session.rollback()
    assert versions.content_of(_published(module)) == before


def test_a_lesson_cannot_be_moved_out_of_a_published_version(module, trainer):
    draft = versions.start_draft(module, actor=trainer)
    db.session.commit()
    lesson = _published(module).lessons[0]

    lesson.module_version_id = draft.id
    with pytest.raises(FrozenVersionError):
        db.session.flush()
    db.session.rollback()


def test_retiring_is_the_one_change_allowed_and_retired_versions_stay_frozen(module, trainer):
    first = _published(module)
    tf.publish_new_version(module, actor=trainer)
    db.session.commit()
    db.session.refresh(first)
    assert first.status == "retired"

    first.lessons[0].body = {"en": "Edited in retirement"}
    with pytest.raises(FrozenVersionError):
        db.session.flush()
    db.session.rollback()
    first.status = "published"
    with pytest.raises(FrozenVersionError):
        db.session.flush()
    db.session.rollback()


def test_drafts_can_change_freely(module, trainer):
    draft = versions.start_draft(module, actor=trainer)
    draft.lessons[0].body = {"en": "New text"}
    draft.lessons.append(Lesson(key="new", position=2, title={"en": "New"}, body={"en": "n"}))
    db.session.commit()

    assert [lesson.key for lesson in draft.lessons] == ["lesson-1", "lesson-2", "new"]


def test_services_refuse_published_lessons_with_a_message(module, trainer):
    lesson = _published(module).lessons[0]

    with pytest.raises(AuthoringError, match="A published version cannot change"):
        authoring.update_lesson(lesson, "en", actor=trainer, title="X", body="Y")
    with pytest.raises(AuthoringError):
        authoring.delete_lesson(lesson, actor=trainer)
    with pytest.raises(AuthoringError):
        authoring.add_lesson(_published(module), "en", actor=trainer, title="More")


# ---- draft and publish -------------------------------------------------------------------------

def test_editing_a_published_module_starts_a_draft_that_copies_it(module, trainer):
    published = _published(module)

    draft = versions.start_draft(module, actor=trainer)
    db.session.commit()

    assert draft.number == 2 and draft.status == "draft"
    assert [(lesson.key, lesson.body) for lesson in draft.lessons] == [
        (lesson.key, lesson.body) for lesson in published.lessons]
    assert {lesson.id for lesson in draft.lessons}.isdisjoint({lesson.id for lesson in published.lessons})
    assert versions.start_draft(module, actor=trainer).id == draft.id  # one draft at a time


def test_publishing_freezes_the_draft_bumps_the_course_and_is_audited(module, course, trainer):
    version_before = course.version
    draft = versions.start_draft(module, actor=trainer)
    authoring.update_lesson(draft.lessons[0], "en", actor=trainer, title="Lesson 1", body="Better text")

    authoring.publish_module(module, actor=trainer)
    db.session.commit()

    assert draft.status == "published" and draft.published_by_id == trainer.id and draft.published_at
    assert [v.status for v in module.versions] == ["retired", "published"]
    assert course.version == version_before + 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "module_published"))
    assert event.actor_id == trainer.id and event.target == f"module:{module.id}" and event.details["version"] == 2


def test_publishing_needs_a_title_lessons_and_text_in_the_default_language(course, trainer):
    module = authoring.add_module(course, actor=trainer, title="Empty")
    with pytest.raises(VersionError, match="at least one lesson"):
        authoring.publish_module(module, actor=trainer)
    lesson = authoring.add_lesson(versions.draft_of(module), "en", actor=trainer, title="Only a title")
    with pytest.raises(AuthoringError, match="title and a text"):
        authoring.publish_module(module, actor=trainer)
    authoring.update_lesson(lesson, "en", actor=trainer, title="Only a title", body="Now with text.")
    assert authoring.publish_module(module, actor=trainer).status == "published"


def test_learners_keep_seeing_the_published_version_while_a_draft_exists(module, learner, trainer):
    published = _published(module)
    draft = versions.start_draft(module, actor=trainer)
    draft.lessons[0].body = {"en": "Work in progress"}
    db.session.commit()

    assert learning.learner_version(learner, module).id == published.id


def test_discarding_a_draft_leaves_the_published_version(module, trainer):
    versions.start_draft(module, actor=trainer)
    authoring.discard_draft(module, actor=trainer)
    db.session.commit()

    assert [v.status for v in db.session.scalars(select(ModuleVersion))] == ["published"]
    assert _count(Lesson) == 2


# ---- archive instead of delete -------------------------------------------------------------------

def test_a_never_published_module_can_be_deleted(course, trainer):
    module = authoring.add_module(course, actor=trainer, title="A mistake")
    authoring.add_lesson(versions.draft_of(module), "en", actor=trainer, title="Lesson")
    db.session.commit()

    authoring.delete_module(module, actor=trainer)
    db.session.commit()

    assert _count(Module) == 0 and _count(ModuleVersion) == 0 and _count(Lesson) == 0
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "module_deleted")) == 1


def test_a_published_or_studied_module_is_archived_not_deleted(module, learner, trainer):
    progress.record_lesson_view(learner, _published(module).lessons[0])
    db.session.commit()
    assert authoring.has_been_studied(module)

    with pytest.raises(AuthoringError, match="archive it instead"):
        authoring.delete_module(module, actor=trainer)
    db.session.rollback()
    authoring.set_archived(module, True, actor=trainer)
    db.session.commit()

    assert _count(Module) == 1 and _count(LessonView) == 1
    assert learning.learner_version(learner, module) is None
    assert learning.live_modules(module.course) == []


def test_a_published_but_unstudied_module_still_cannot_be_deleted(module, trainer):
    assert not authoring.has_been_studied(module)
    with pytest.raises(AuthoringError, match="has been published"):
        authoring.delete_module(module, actor=trainer)


# ---- a learner part-way through keeps their version ------------------------------------------------

def test_a_learner_mid_module_keeps_their_version_until_they_complete_it(module, learner, lead, trainer):
    first = _published(module)
    progress.record_lesson_view(learner, first.lessons[0])
    db.session.commit()

    second = tf.publish_new_version(module, actor=trainer)
    db.session.commit()

    assert learning.learner_version(learner, module).id == first.id  # started, not finished
    assert learning.learner_version(lead, module).id == second.id  # never started: the new one
    progress.record_lesson_view(learner, first.lessons[1])
    completion = progress.complete_module_if_done(learner, first)
    db.session.commit()
    assert completion is not None and completion.module_version_id == first.id
    assert learning.learner_version(learner, module).id == second.id  # done: from now on, the new one
    assert learning.module_progress(learner, module).completed  # the old version's completion counts


def test_an_old_lesson_link_leads_to_the_learners_own_version(client, login, module, learner, trainer):
    first = _published(module)
    progress.record_lesson_view(learner, first.lessons[0])
    db.session.commit()
    second = tf.publish_new_version(module, actor=trainer)
    db.session.commit()
    login(client, learner)

    response = client.get(f"/training/lessons/{second.lessons[1].id}")

    assert response.status_code == 302 and response.headers["Location"] == f"/training/lessons/{first.lessons[1].id}"
    page = client.get(f"/training/lessons/{first.lessons[1].id}").get_data(as_text=True)
    assert "Text of lesson 2 in en." in page and "(v2)" not in page
    assert "A newer version of this module" in client.get(f"/training/modules/{module.id}").get_data(as_text=True)
