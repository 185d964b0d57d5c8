"""Authoring through the screens: courses, modules, lessons, preview, publish; only owners, co-authors and admins."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from audit.models import AuditEvent
from extensions import db
from tests import factories
from tests import training_factories as tf
from training import authoring, versions
from training.models import Course, CourseAuthor, Lesson, Module, ModuleVersion


def _rows() -> dict[str, int]:
    db.session.commit()
    return {table.name: db.session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables}


@pytest.fixture
def owner(app):
    user = factories.make_user(roles=["trainer"], name="Olga Owner", category="civilian")
    db.session.commit()
    return user


@pytest.fixture
def owned(owner):
    """A course of `owner` with a module that has a published version and a draft, and a draft lesson."""
    course = tf.make_course(owner=owner)
    module = tf.make_module(course, lessons=2)
    draft = versions.start_draft(module, actor=owner)
    requirement_free_module = tf.make_module(course, lessons=1)
    db.session.commit()
    return {"course": course, "module": module, "lesson": draft.lessons[0], "other_module": requirement_free_module}


# Every authoring route of a course: (method, url template, form data).
EDIT_ROUTES = [
    ("GET", "/training/author/courses/{course}", None),
    ("GET", "/training/author/courses/{course}/edit", None),
    ("POST", "/training/author/courses/{course}/edit", {"title_en": "Taken over", "validity_months": "12",
                                                          "renewal_window_days": "10", "languages": "en",
                                                          "default_language": "en"}),
    ("POST", "/training/author/courses/{course}/authors", {"identifier": "{me}"}),
    ("POST", "/training/author/courses/{course}/authors/{owner}/remove", {}),
    ("POST", "/training/author/courses/{course}/modules", {"title": "Injected module"}),
    ("GET", "/training/author/modules/{module}", None),
    ("POST", "/training/author/modules/{module}/move", {"direction": "down"}),
    ("POST", "/training/author/modules/{other_module}/draft", {}),
    ("POST", "/training/author/modules/{module}/draft/discard", {}),
    ("POST", "/training/author/modules/{module}/publish", {}),
    ("POST", "/training/author/modules/{module}/archive", {}),
    ("POST", "/training/author/modules/{module}/delete", {}),
    ("GET", "/training/author/modules/{module}/details", None),
    ("POST", "/training/author/modules/{module}/details", {"title": "Hijacked", "minutes": "5"}),
    ("GET", "/training/author/modules/{module}/preview", None),
    ("POST", "/training/author/modules/{module}/lessons", {"title": "Injected lesson"}),
    ("GET", "/training/author/lessons/{lesson}", None),
    ("POST", "/training/author/lessons/{lesson}", {"title": "Hijacked", "body": "<script>", "save": "y"}),
    ("POST", "/training/author/lessons/{lesson}/move", {"direction": "down"}),
    ("POST", "/training/author/lessons/{lesson}/delete", {}),
    ("POST", "/training/author/lessons/{lesson}/image", {"alt": "x"}),
]


def _url(template: str, owned: dict, owner) -> str:
    return template.format(course=owned["course"].id, module=owned["module"].id, lesson=owned["lesson"].id,
                           other_module=owned["other_module"].id, owner=owner.id)


@pytest.mark.parametrize(("method", "template", "data"), EDIT_ROUTES, ids=[f"{m} {t}" for m, t, _ in EDIT_ROUTES])
def test_a_trainer_who_does_not_write_the_course_gets_403_and_changes_nothing(
        client, login, trainer, owner, owned, method, template, data):
    login(client, trainer)
    before = _rows()
    form = {k: v.replace("{me}", trainer.service_number) for k, v in (data or {}).items()}

    response = client.open(_url(template, owned, owner), method=method, data=form)

    assert response.status_code == 403
    after = _rows()
    assert after == before, {name: (before[name], after[name]) for name in before if before[name] != after[name]}


@pytest.mark.parametrize(("method", "template", "data"), EDIT_ROUTES[:2] + EDIT_ROUTES[6:7] + EDIT_ROUTES[17:18])
def test_co_authors_and_admins_may_open_every_screen(client, login, trainer, admin, owner, owned, method, template,
                                                     data):
    db.session.add(CourseAuthor(course_id=owned["course"].id, user_id=trainer.id))
    db.session.commit()
    for who in (trainer, admin, owner):
        browser = client.application.test_client()
        login(browser, who)
        assert browser.get(_url(template, owned, owner)).status_code == 200


def test_learners_cannot_author(client, login, learner, owner, owned):
    login(client, learner)
    assert client.get("/training/author").status_code == 403
    assert client.post("/training/author/courses/new", data={"code": "x"}).status_code == 403
    assert client.get(f"/training/author/modules/{owned['module'].id}").status_code == 403


def test_a_trainer_lists_only_the_courses_they_write(client, login, trainer, owner, owned):
    mine = tf.make_course(owner=trainer, title={"en": "My own course"})
    db.session.commit()
    login(client, trainer)

    page = client.get("/training/author").get_data(as_text=True)

    assert "My own course" in page and owned["course"].title["en"] not in page
    assert f"/training/author/courses/{mine.id}" in page


def test_a_trainer_writes_and_publishes_a_module_through_the_screens(client, login, trainer, learner):
    login(client, trainer)

    response = client.post("/training/author/courses/new", data={
        "code": "cp-basics", "title_en": "Child protection basics", "title_fr": "Protection de l'enfance",
        "description_en": "Short course.", "validity_months": "24", "renewal_window_days": "30",
        "languages": ["en", "fr"], "default_language": "en"})
    course = db.session.scalar(select(Course).filter_by(code="cp-basics"))
    assert response.status_code == 302 and course.owner_id == trainer.id and course.language_list == ["en", "fr"]

    client.post(f"/training/author/courses/{course.id}/modules", data={"title": "Why it matters"})
    module = db.session.scalar(select(Module).filter_by(course_id=course.id))
    assert module.slug == "why-it-matters"
    response = client.post(f"/training/author/modules/{module.id}/details?lang=en", data={
        "title": "Why it matters", "summary": "The reasons.", "objectives": "Know why\n\nKnow who",
        "minutes": "12", "sources": "S/RES/1261 (1999)"})
    assert response.status_code == 302
    draft = versions.draft_of(module)
    assert draft.objectives == {"en": ["Know why", "Know who"]} and draft.sources == ["S/RES/1261 (1999)"]

    client.post(f"/training/author/modules/{module.id}/lessons?lang=en", data={"title": "Everyone's job"})
    lesson = db.session.scalar(select(Lesson))
    preview = client.post(f"/training/author/lessons/{lesson.id}?lang=en", data={
        "title": "Everyone's job", "body": "> **What you do**\n> - Tell the CPA.\n\n<script>alert(1)</script>",
        "preview": "y"})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'class="do-box"' in page and "<script>alert" not in page
    db.session.refresh(lesson)
    assert lesson.body == {}  # a preview saves nothing

    client.post(f"/training/author/lessons/{lesson.id}?lang=en", data={
        "title": "Everyone's job", "body": "> **What you do**\n> - Tell the CPA.", "save": "y"})
    client.post(f"/training/author/lessons/{lesson.id}?lang=fr", data={
        "title": "L'affaire de tous", "body": "Texte en français.", "save": "y"})
    db.session.refresh(lesson)
    assert lesson.title == {"en": "Everyone's job", "fr": "L'affaire de tous"} and lesson.key == "everyone-s-job"

    full_preview = client.get(f"/training/author/modules/{module.id}/preview?lesson=1&lang=en")
    assert full_preview.status_code == 200 and "Preview: this is exactly what learners will see" in full_preview.get_data(
        as_text=True)
    assert client.get(f"/training/modules/{module.id}").status_code == 404  # nothing published yet

    assert client.post(f"/training/author/modules/{module.id}/publish").status_code == 302
    db.session.refresh(draft)
    assert draft.status == "published" and course.version == 1

    reader = client.application.test_client()
    login(reader, learner)
    page = reader.get(f"/training/lessons/{lesson.id}").get_data(as_text=True)
    assert "Tell the CPA." in page and 'class="do-box"' in page


def test_lessons_can_be_reordered_and_removed_in_a_draft(client, login, trainer):
    course = tf.make_course(owner=trainer)
    module = authoring.add_module(course, actor=trainer, title="M")
    draft = versions.draft_of(module)
    first = authoring.add_lesson(draft, "en", actor=trainer, title="First")
    second = authoring.add_lesson(draft, "en", actor=trainer, title="Second")
    db.session.commit()
    login(client, trainer)

    client.post(f"/training/author/lessons/{second.id}/move", data={"direction": "up"})
    db.session.expire_all()
    assert [lesson.key for lesson in versions.draft_of(module).lessons] == ["second", "first"]
    client.post(f"/training/author/lessons/{first.id}/delete")
    db.session.expire_all()
    assert [lesson.key for lesson in versions.draft_of(module).lessons] == ["second"]


def test_modules_can_be_reordered(client, login, trainer):
    course = tf.make_course(owner=trainer)
    first, second = tf.make_module(course, slug="first"), tf.make_module(course, slug="second")
    db.session.commit()
    login(client, trainer)

    client.post(f"/training/author/modules/{second.id}/move", data={"direction": "up"})

    db.session.expire_all()
    assert [m.slug for m in db.session.get(Course, course.id).modules] == ["second", "first"]
    assert first.id != second.id


def test_editing_a_published_lesson_sends_the_author_to_start_a_draft(client, login, trainer):
    course = tf.make_course(owner=trainer)
    module = tf.make_module(course)
    db.session.commit()
    lesson = module.versions[0].lessons[0]
    login(client, trainer)

    response = client.post(f"/training/author/lessons/{lesson.id}", data={"title": "X", "body": "Y", "save": "y"})

    assert response.status_code == 302 and response.headers["Location"].startswith(f"/training/author/modules/{module.id}")
    db.session.refresh(lesson)
    assert lesson.body == {"en": "Text of lesson 1 in en."}
    client.post(f"/training/author/modules/{module.id}/draft")
    assert db.session.scalar(select(func.count(ModuleVersion.id)).where(ModuleVersion.status == "draft")) == 1


def test_the_owner_adds_and_removes_a_co_author(client, login, trainer, owner, owned):
    login(client, owner)
    course = owned["course"]

    client.post(f"/training/author/courses/{course.id}/authors", data={"identifier": trainer.email.upper()})
    assert [a.user_id for a in db.session.scalars(select(CourseAuthor))] == [trainer.id]
    client.post(f"/training/author/courses/{course.id}/authors/{trainer.id}/remove")
    assert db.session.scalar(select(func.count(CourseAuthor.id))) == 0
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"course_author_added", "course_author_removed"} <= actions


def test_a_co_author_may_write_but_not_choose_co_authors(client, login, trainer, owner, owned, hq):
    db.session.add(CourseAuthor(course_id=owned["course"].id, user_id=trainer.id))
    db.session.commit()
    login(client, trainer)

    assert client.post(f"/training/author/courses/{owned['course'].id}/authors",
                       data={"identifier": owner.service_number}).status_code == 403
    assert client.post(f"/training/author/lessons/{owned['lesson'].id}?lang=en",
                       data={"title": "Co-written", "body": "Fine.", "save": "y"}).status_code == 302
    db.session.refresh(owned["lesson"])
    assert owned["lesson"].title["en"] == "Co-written"


def test_a_course_code_must_be_unique_and_well_formed(client, login, trainer):
    tf.make_course(code="taken")
    db.session.commit()
    login(client, trainer)
    base = {"title_en": "T", "validity_months": "12", "renewal_window_days": "10", "languages": "en",
            "default_language": "en"}

    taken = client.post("/training/author/courses/new", data={**base, "code": "taken"})
    bad = client.post("/training/author/courses/new", data={**base, "code": "Not OK!"})
    wrong_default = client.post("/training/author/courses/new", data={**base, "code": "fine", "default_language": "fr"})

    assert taken.status_code == bad.status_code == wrong_default.status_code == 200
    assert "Another course already uses this code." in taken.get_data(as_text=True)
    assert "Use lowercase letters" in bad.get_data(as_text=True)
    assert "default language must be one of" in wrong_default.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Course.id))) == 1
