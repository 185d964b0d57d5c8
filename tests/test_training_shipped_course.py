"""The shipped course and trainers (issue 19): every trainer reads it in the authoring area (its
modules, question bank and item analysis) and may copy it into a draft course of their own;
editing stays with its owners. Other trainers' courses stay closed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from extensions import db
from quizzes.models import Question, Quiz
from tests import factories
from tests import quiz_factories as qf
from training.models import Course, Module, ModuleVersion


@pytest.fixture
def shipped(app):
    """The shipped course as `seed-demo` imports it: code cp-peace-ops, no owner, a published
    module with two lessons, a quiz with a scenario and a choice question."""
    module = qf.make_module(lessons=2)
    module.course.code = "cp-peace-ops"
    qf.scenario_question(module, "case-1")
    qf.choice_question(module, "q-1")
    qf.make_quiz(module, pass_mark=75, attempt_limit=3)
    db.session.commit()
    return module


def test_any_trainer_reads_the_shipped_course_but_cannot_edit_it(client, login, shipped, trainer):
    login(client, trainer)
    course = shipped.course
    index = client.get("/training/author").get_data(as_text=True)
    assert "Shipped with the platform" in index and f"/training/author/courses/{course.id}\"" in index

    overview = client.get(f"/training/author/courses/{course.id}").get_data(as_text=True)
    assert "Read only" in overview and "Copy this course" in overview
    assert f"/training/author/courses/{course.id}/edit" not in overview and "Add a module" not in overview
    page = client.get(f"/training/author/modules/{shipped.id}").get_data(as_text=True)
    assert "Read only" in page and "Lesson 1" in page
    assert "/draft\"" not in page and "/archive\"" not in page  # no start-a-draft, no archive button
    assert client.get(f"/training/author/modules/{shipped.id}/preview").status_code == 200
    bank = client.get(f"/quiz/author/module/{shipped.id}")
    assert bank.status_code == 200
    html = bank.get_data(as_text=True)
    assert "case-1: the case text. — case-1: what do you do?" in html  # a scenario named by its case
    assert "/questions/new" not in html and "/settings" not in html and "Archive" not in html
    assert client.get(f"/quiz/author/module/{shipped.id}/analysis").status_code == 200

    # Editing, through every door, stays with its authors (admins here: it has no owner).
    question = db.session.scalar(select(Question).where(Question.module_id == shipped.id, Question.key == "q-1"))
    for method, url in [("GET", f"/training/author/courses/{course.id}/edit"),
                        ("POST", f"/training/author/modules/{shipped.id}/draft"),
                        ("POST", f"/training/author/modules/{shipped.id}/archive"),
                        ("POST", f"/training/author/courses/{course.id}/modules"),
                        ("GET", f"/quiz/author/questions/{question.id}"),
                        ("GET", f"/quiz/author/module/{shipped.id}/settings"),
                        ("GET", f"/quiz/author/module/{shipped.id}/import")]:
        assert client.open(url, method=method).status_code == 403, url
    assert db.session.scalar(select(func.count(ModuleVersion.id)).where(ModuleVersion.module_id == shipped.id)) == 1


def test_another_trainers_course_stays_closed(client, login, trainer):
    owner = factories.make_user(roles=["trainer"], name="Other Trainer")
    module = qf.make_module(owner=owner)
    qf.make_quiz(module)
    db.session.commit()
    login(client, trainer)
    assert client.get(f"/training/author/courses/{module.course_id}").status_code == 403
    assert client.get(f"/quiz/author/module/{module.id}").status_code == 403
    assert client.get(f"/quiz/author/module/{module.id}/analysis").status_code == 403
    assert module.course.code not in client.get("/training/author").get_data(as_text=True)


def test_learners_and_leads_do_not_read_it(client, login, shipped, lead):
    login(client, lead)
    assert client.get(f"/training/author/courses/{shipped.course_id}").status_code == 403
    assert client.get(f"/quiz/author/module/{shipped.id}/analysis").status_code == 403


def test_a_trainer_copies_the_shipped_course_into_a_draft_course_they_own(client, login, shipped, trainer):
    login(client, trainer)
    response = client.post(f"/training/author/courses/{shipped.course_id}/copy", data={"code": "cp-my-unit"})
    assert response.status_code == 302
    copy = db.session.scalar(select(Course).filter_by(code="cp-my-unit"))
    assert copy is not None and copy.owner_id == trainer.id and copy.title == shipped.course.title
    assert response.headers["Location"].endswith(f"/training/author/courses/{copy.id}")
    (module,) = db.session.scalars(select(Module).where(Module.course_id == copy.id)).all()
    (version,) = module.versions
    assert version.status == "draft" and [lesson.title["en"] for lesson in version.lessons] == ["Lesson 1", "Lesson 2"]
    quiz = db.session.scalar(select(Quiz).where(Quiz.module_id == module.id))
    assert quiz.pass_mark == 75 and quiz.attempt_limit == 3
    assert sorted(db.session.scalars(select(Question.key).where(Question.module_id == module.id))) == ["case-1", "q-1"]
    # The copy is theirs to edit; the shipped course is as it was.
    overview = client.get(f"/training/author/courses/{copy.id}").get_data(as_text=True)
    assert "Read only" not in overview and f"/training/author/courses/{copy.id}/edit" in overview
    assert shipped.course.owner_id is None and len(shipped.versions) == 1
    assert db.session.scalar(select(func.count(Question.id)).where(Question.module_id == shipped.id)) == 2


@pytest.mark.parametrize(("code", "message"), [("", "This field is required."),
                                               ("Bad Code!", "Use lowercase letters, digits and dashes"),
                                               ("cp-peace-ops", "Another course already uses this code.")])
def test_a_bad_copy_code_says_why_and_creates_nothing(client, login, shipped, trainer, code, message):
    login(client, trainer)
    before = db.session.scalar(select(func.count(Course.id)))
    response = client.post(f"/training/author/courses/{shipped.course_id}/copy", data={"code": code},
                           follow_redirects=True)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Course.id))) == before
