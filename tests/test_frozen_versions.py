"""A published version's outline is read once per process, and never served for another version (issue 14)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from database import utcnow
from extensions import db
from tests import factories
from tests import training_factories as tf
from tests.conftest import login_as
from training import frozen, versions


def _statements(client, url):
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    db.session.commit()
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True), seen


def test_the_lesson_outline_is_read_once_and_a_new_version_gets_its_own(app, client, learner, mission_a):
    course = tf.make_course()
    tf.make_requirement(course, mission=mission_a)
    module = tf.make_module(course, lessons=3)
    first = module.versions[0].lessons[0]
    db.session.commit()
    login_as(client, learner)
    page, cold = _statements(client, f"/training/lessons/{first.id}")
    page, warm = _statements(client, f"/training/lessons/{first.id}")
    assert len(warm) == len(cold) - 2 and "Lesson 3 (en)" in page
    assert not [s for s in warm if "JSON_EXTRACT" in s or "->>" in s]  # the outline statement
    assert [s for s in cold if "SELECT lessons.body" in s] and not [s for s in warm if "lessons.body" in s]  # the text
    assert client.post(f"/training/lessons/{first.id}/done").status_code == 302  # begun: they keep version 1

    # A new version (another learner begins it): its own outline, with its own lessons.
    draft = versions.start_draft(module, actor=None)
    draft.lessons[2].title = {"en": "Renamed in version 2"}
    newer = versions.publish(draft, actor=None)
    newcomer = factories.make_user(mission=mission_a)
    db.session.commit()
    other = app.test_client()
    login_as(other, newcomer)
    page, _ = _statements(other, f"/training/lessons/{newer.lessons[0].id}")
    assert "Renamed in version 2" in page and "Lesson 3 (en)" not in page
    # The first learner keeps the version they began, still from the kept outline.
    page, _ = _statements(client, f"/training/lessons/{first.id}")
    assert "Lesson 3 (en)" in page and "Renamed in version 2" not in page


def test_only_published_versions_are_kept_and_the_instant_is_part_of_the_key(app):
    loads = []

    def load(ids):
        loads.append(list(ids))
        return {version_id: f"outline {version_id} #{len(loads)}" for version_id in ids}

    published = utcnow()
    assert frozen.remembered("x", [(1, published), (2, None)], load) == {1: "outline 1 #1", 2: "outline 2 #1"}
    assert frozen.remembered("x", [(1, published), (2, None)], load) == {1: "outline 1 #1", 2: "outline 2 #2"}
    assert loads == [[1, 2], [2]]  # the draft (no publication instant) is read every time
    # The same id published at another instant (a database emptied or restored under the
    # process): read afresh, never the other version's outline.
    assert frozen.remembered("x", [(1, published + timedelta(microseconds=1))], load) == {1: "outline 1 #3"}
    assert frozen.remembered("y", [(1, published)], load) == {1: "outline 1 #4"}  # kinds apart


def test_kept_versions_are_forgotten_beyond_the_limit(app, monkeypatch):
    monkeypatch.setattr(frozen, "KEPT_VERSIONS", 3)
    now = utcnow()
    frozen.remembered("x", [(n, now) for n in range(3)], lambda ids: {i: i for i in ids})
    frozen.remembered("x", [(9, now)], lambda ids: {i: i for i in ids})
    assert len(app.extensions["frozen_versions"]) == 1


def test_a_lessons_text_is_read_once_per_language_and_each_language_gets_its_own(app, client, learner, mission_a):
    course = tf.make_course()
    tf.make_requirement(course, mission=mission_a)
    module = tf.make_module(course, lessons=2, langs=("en", "fr"))
    first = module.versions[0].lessons[0]
    db.session.commit()
    login_as(client, learner)
    url = f"/training/lessons/{first.id}"

    def text_reads(seen):
        return [s for s in seen if "SELECT lessons.body" in s]

    page, seen = _statements(client, url + "?lang=en")
    assert "Text of lesson 1 in en." in page and len(text_reads(seen)) == 1
    page, seen = _statements(client, url + "?lang=fr")
    assert "Text of lesson 1 in fr." in page and "in en." not in page and len(text_reads(seen)) == 1
    for lang in ("en", "fr"):  # both kept now: neither is read again
        page, seen = _statements(client, f"{url}?lang={lang}")
        assert f"Text of lesson 1 in {lang}." in page and not text_reads(seen)
