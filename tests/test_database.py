"""How requests begin their transactions (database.py).

A download or an export is a GET that records an audit event. On SQLite its transaction begins
deferred and reads first; once another request has committed, that read snapshot can never take
the write lock ("database is locked" at once, whatever the busy timeout), so the download would
answer 503 under load. start_writing() ends the read transaction so the write begins IMMEDIATE
and waits its turn. On PostgreSQL the same steps simply work.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from accounts.models import User
from database import start_writing
from extensions import db
from tests import factories


def _read_while_another_request_commits(user_id: int, name: str) -> None:
    db.session.scalar(select(func.count(User.id)))  # this request's read transaction begins
    with db.engine.begin() as other:  # another request writes and commits meanwhile
        other.execute(update(User).where(User.id == user_id).values(rank=name))


def _write(user_id: int, name: str) -> None:
    db.session.execute(update(User).where(User.id == user_id).values(name=name))
    db.session.commit()


def test_a_get_that_records_something_writes_after_another_request_committed(app, engine_name):
    user_id = factories.make_user(name="Before").id
    db.session.commit()
    with app.test_request_context("/missions/1/dashboard/export", method="GET"):
        if engine_name == "sqlite":  # why start_writing exists: the stale read snapshot cannot write
            _read_while_another_request_commits(user_id, "Cpl")
            with pytest.raises(OperationalError, match="locked"):
                _write(user_id, "Without start_writing")
            db.session.rollback()

        _read_while_another_request_commits(user_id, "Sgt")
        start_writing()
        _write(user_id, "After start_writing")

    db.session.expire_all()
    user = db.session.get(User, user_id)
    assert (user.name, user.rank) == ("After start_writing", "Sgt")


def test_recording_an_event_in_a_get_takes_the_write_lock_by_itself(app, engine_name):
    """Downloads and exports call audit.services.record and nothing else: record() does the rest."""
    from audit.models import AuditEvent
    from audit.services import record

    user_id = factories.make_user(name="Reader").id
    db.session.commit()
    with app.test_request_context("/certificates/1/pdf", method="GET"):
        _read_while_another_request_commits(user_id, "Lt")
        record("certificate_downloaded", actor=user_id, target="certificate:TEST")
        record("certificate_downloaded", actor=user_id, target="certificate:TEST", format="badge")
        db.session.commit()

    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.target == "certificate:TEST")) == 2


def test_start_writing_keeps_changes_not_yet_committed(app):
    user_id = factories.make_user(name="Before").id
    db.session.commit()
    with app.test_request_context("/somewhere", method="GET"):
        db.session.get(User, user_id).name = "Changed in this request"
        start_writing()  # ending the transaction here would lose the change: it does not
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, user_id).name == "Changed in this request"


def test_start_writing_keeps_changes_already_flushed(app):
    user_id = factories.make_user(name="Before").id
    db.session.commit()
    with app.test_request_context("/quiz/module/1", method="GET"):  # e.g. closing an expired attempt
        db.session.get(User, user_id).name = "Flushed in this request"
        db.session.flush()
        start_writing()
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, user_id).name == "Flushed in this request"


def test_start_writing_keeps_changes_flushed_before_a_savepoint(app):
    """Releasing a savepoint (begin_nested) ends only the savepoint: what the request wrote before
    it is still uncommitted, and start_writing() must keep it."""
    user_id = factories.make_user(name="Before").id
    db.session.commit()
    with app.test_request_context("/quiz/attempts/1/q/1", method="GET"):  # grading an expired attempt
        db.session.get(User, user_id).name = "Flushed before the savepoint"
        db.session.flush()
        with db.session.begin_nested():  # e.g. the completion a pass records
            db.session.get(User, user_id).rank = "Written in the savepoint"
            db.session.flush()
        start_writing()
        db.session.commit()
    db.session.expire_all()
    user = db.session.get(User, user_id)
    assert (user.name, user.rank) == ("Flushed before the savepoint", "Written in the savepoint")


def test_json_texts_are_parsed_once_and_each_reader_gets_its_own_copy():
    from database import kept_json_loads

    title = '{"en": "Child rights", "fr": "Droits de l\'enfant", "ar": "حقوق الطفل"}'
    first, second = kept_json_loads(title), kept_json_loads(title)
    assert first == second == {"en": "Child rights", "fr": "Droits de l'enfant", "ar": "حقوق الطفل"}
    first["en"] = "changed by one reader"
    assert kept_json_loads(title)["en"] == "Child rights"  # nobody else sees it
    assert kept_json_loads(title.encode()) == second  # PostgreSQL's driver hands over bytes
    nested = '{"options": [{"id": "a"}], "shuffle": true}'
    one, other = kept_json_loads(nested), kept_json_loads(nested)
    assert one == other and one["options"] is not other["options"]  # nested: parsed afresh each time
    assert kept_json_loads('["a", "b"]') == ["a", "b"] and kept_json_loads("null") is None


def test_json_columns_read_through_the_kept_parser_on_both_engines(app, engine_name):
    from database import kept_json_loads
    from training.models import Course

    assert db.engine.dialect._json_deserializer is kept_json_loads
    course = Course(code="json-kept", title={"en": "Kept", "fr": "Gardé"}, default_language="en")
    db.session.add(course)
    db.session.commit()
    course_id = course.id
    db.session.expunge_all()
    loaded = db.session.get(Course, course_id)
    loaded.title["en"] = "changed in place, never saved"
    db.session.expunge_all()
    assert db.session.get(Course, course_id).title == {"en": "Kept", "fr": "Gardé"}
    db.session.execute(update(Course).where(Course.id == course_id).values(title={"en": "Renamed"}))
    db.session.commit()
    db.session.expunge_all()
    assert db.session.get(Course, course_id).title == {"en": "Renamed"}  # a new text is parsed anew
