"""core.reads: plain rows made the session's own objects for read-only pages (issue 14), and the
ORM's load with its autoflush whenever changes are pending."""

from __future__ import annotations

from sqlalchemy import bindparam, event
from sqlalchemy.orm import object_session

from core import reads
from extensions import db
from tests import training_factories as tf
from training.models import Course, Module


def _by_course(query):
    return query.where(Module.course_id == bindparam("course_id")).order_by(Module.position)


def _statements(action):
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = action()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return result, seen


def test_objects_are_the_sessions_own_and_the_same_the_orm_would_give(app):
    course = tf.make_course()
    for _ in range(3):
        tf.make_module(course)
    db.session.commit()
    course_id, expected = course.id, [(m.id, m.position, m.slug) for m in course.modules]
    db.session.expunge_all()

    modules, seen = _statements(lambda: reads.objects(Module, _by_course, {"course_id": course_id}))
    assert [(m.id, m.position, m.slug) for m in modules] == expected and len(seen) == 1
    assert all(object_session(m) is db.session() and m in db.session for m in modules)
    # Tracked like loaded objects: a change is flushed and committed as usual.
    modules[0].slug = "changed-through-a-row"
    changed_id = modules[0].id
    db.session.commit()
    db.session.expunge_all()
    assert db.session.get(Module, changed_id).slug == "changed-through-a-row"


def test_pending_changes_are_seen_through_the_orms_autoflush(app):
    course = tf.make_course()
    tf.make_module(course)
    db.session.commit()
    added = Module(course_id=course.id, slug="added-unflushed", position=9, default_language="en")
    db.session.add(added)  # not flushed: read() alone would not see it
    modules = reads.objects(Module, _by_course, {"course_id": course.id})
    assert added in modules and len(modules) == 2


def test_get_gives_the_object_in_the_session_else_one_row_and_none_when_missing(app):
    course = tf.make_course()
    db.session.commit()
    assert reads.get(Course, course.id) is course  # already in the session: no statement
    course_id = course.id
    db.session.expunge_all()
    fetched, seen = _statements(lambda: reads.get(Course, course_id))
    assert fetched.id == course_id and fetched.code == course.code and len(seen) == 1
    assert reads.get(Course, course_id) is fetched
    assert reads.get(Course, course_id + 1000) is None
