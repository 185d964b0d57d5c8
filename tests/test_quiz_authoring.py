"""Trainers' screens: who may open them, questions per language, settings, GIFT upload and download."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from extensions import db
from quizzes import services
from quizzes.models import Question
from tests import factories
from tests import quiz_factories as qf
from training.models import CourseAuthor

# Module 3 of the shipped course (found by its number, so renaming the folder breaks nothing).
BANK = next((Path(__file__).resolve().parent.parent / "content").glob("*/03-*/"))


@pytest.fixture
def owned(app, trainer):
    module = qf.make_module(owner=trainer)
    question = qf.choice_question(module, "q1")
    qf.make_quiz(module)
    db.session.commit()
    return module, question


def _routes(module, question) -> list[tuple[str, str]]:
    return [("GET", f"/quiz/author/module/{module.id}"),
            ("GET", f"/quiz/author/module/{module.id}/questions/new?type=scenario"),
            ("POST", f"/quiz/author/module/{module.id}/questions/new?type=true_false"),
            ("GET", f"/quiz/author/questions/{question.id}"),
            ("POST", f"/quiz/author/questions/{question.id}"),
            ("POST", f"/quiz/author/questions/{question.id}/archive"),
            ("GET", f"/quiz/author/module/{module.id}/settings"),
            ("POST", f"/quiz/author/module/{module.id}/settings"),
            ("GET", f"/quiz/author/module/{module.id}/import"),
            ("POST", f"/quiz/author/module/{module.id}/import"),
            ("GET", f"/quiz/author/module/{module.id}/export.gift"),
            ("GET", f"/quiz/author/module/{module.id}/analysis")]


@pytest.mark.parametrize("who", ["other_trainer", "learner", "lead", "hq"])
def test_only_owners_co_authors_and_admins_may_author(client, login, owned, who, learner, lead, hq):
    module, question = owned
    people = {"other_trainer": factories.make_user(roles=["trainer"], category="civilian"), "learner": learner,
              "lead": lead, "hq": hq}
    db.session.commit()
    login(client, people[who])
    for method, url in _routes(module, question):
        assert client.open(url, method=method, data={"key": "x"}).status_code == 403, url
    db.session.refresh(question)
    assert question.key == "q1" and not question.is_archived
    assert db.session.scalar(select(func.count(Question.id))) == 1


def test_anonymous_is_sent_to_sign_in(client, owned):
    module, _question = owned
    assert client.get(f"/quiz/author/module/{module.id}").status_code == 302


def test_co_author_and_admin_may_author(client, login, owned, admin):
    module, _question = owned
    co_author = factories.make_user(roles=["trainer"], category="civilian")
    db.session.add(CourseAuthor(course_id=module.course_id, user_id=co_author.id))
    db.session.commit()
    for person in (co_author, admin):
        fresh = client.application.test_client()
        login(fresh, person)
        page = fresh.get(f"/quiz/author/module/{module.id}")
        assert page.status_code == 200 and b"q1" in page.data


def test_create_a_single_choice_question_and_translate_it(client, login, owned, trainer):
    module, _question = owned
    login(client, trainer)
    response = client.post(f"/quiz/author/module/{module.id}/questions/new?type=single_choice", data={
        "key": "m9-q01", "tags": "Conduct, SEA", "is_critical": "y", "text": "What is prohibited?", "format": "plain",
        "options-0-text": "Sex with anyone under 18", "options-0-feedback": "Right.", "options-0-weight": "100",
        "options-1-text": "Nothing", "options-1-feedback": "No.", "options-1-weight": "0",
        "options-2-text": "", "options-3-text": ""})
    assert response.status_code == 302
    question = db.session.scalar(select(Question).where(Question.key == "m9-q01"))
    assert question.is_critical and question.tags == ["conduct", "sea"]
    ids = [o["id"] for o in question.content["en"]["options"]]
    assert question.answer == {"weights": {ids[0]: 1.0, ids[1]: 0.0}}

    page = client.get(f"/quiz/author/questions/{question.id}?lang=fr")
    assert page.status_code == 200
    response = client.post(f"/quiz/author/questions/{question.id}?lang=fr", data={
        "key": "m9-q01", "tags": "conduct, sea", "is_critical": "y", "text": "Qu'est-ce qui est interdit ?",
        "format": "plain", "options-0-text": "Les relations sexuelles avec un mineur", "options-0-weight": "100",
        "options-1-text": "Rien", "options-1-weight": "0"})
    assert response.status_code == 302
    db.session.refresh(question)
    assert [o["id"] for o in question.content["fr"]["options"]] == ids  # the same options, in French
    assert question.content["en"]["text"] == "What is prohibited?"


def test_invalid_question_changes_nothing(client, login, owned, trainer):
    module, question = owned
    login(client, trainer)
    before = (dict(question.content), dict(question.answer))
    response = client.post(f"/quiz/author/questions/{question.id}", data={
        "key": "q1", "text": "Changed?", "format": "plain",
        "options-0-text": "a", "options-0-weight": "0", "options-1-text": "b", "options-1-weight": "0",
        "options-2-text": "c", "options-2-weight": "0"})
    assert response.status_code == 200 and b"One option must give 100%." in response.data
    db.session.refresh(question)
    assert (question.content, question.answer) == before

    response = client.post(f"/quiz/author/module/{module.id}/questions/new?type=single_choice", data={
        "key": "q1", "text": "Same id?", "format": "plain", "options-0-text": "a", "options-0-weight": "100",
        "options-1-text": "b", "options-1-weight": "0"})
    assert b"already has the id q1" in response.data
    assert db.session.scalar(select(func.count(Question.id))) == 1


def test_true_false_and_multiple_response_forms(client, login, owned, trainer):
    module, _question = owned
    login(client, trainer)
    client.post(f"/quiz/author/module/{module.id}/questions/new?type=true_false", data={
        "key": "tf", "text": "Children under 18 may be recruited.", "format": "plain", "truth": "false",
        "feedback_right": "Yes: never.", "feedback_wrong": "No: 18 is the minimum."})
    client.post(f"/quiz/author/module/{module.id}/questions/new?type=multiple_response", data={
        "key": "mr", "text": "Which apply?", "format": "plain",
        "options-0-text": "A", "options-0-weight": "50", "options-1-text": "B", "options-1-weight": "50",
        "options-2-text": "C", "options-2-weight": "-100"})
    tf = db.session.scalar(select(Question).where(Question.key == "tf"))
    mr = db.session.scalar(select(Question).where(Question.key == "mr"))
    assert tf.answer == {"value": False} and tf.content["en"]["feedback_wrong"] == "No: 18 is the minimum."
    assert sorted(mr.answer["weights"].values()) == [-1.0, 0.5, 0.5]


def test_remove_an_option_and_archive_a_question(client, login, owned, trainer):
    module, question = owned
    login(client, trainer)
    client.post(f"/quiz/author/questions/{question.id}", data={
        "key": "q1", "text": "q1?", "format": "plain",
        "options-0-text": "right", "options-0-weight": "100", "options-1-text": "wrong", "options-1-weight": "0",
        "options-2-text": "gone", "options-2-remove": "y"})
    db.session.refresh(question)
    assert [o["text"] for o in question.content["en"]["options"]] == ["right", "wrong"]
    assert len(question.answer["weights"]) == 2
    client.post(f"/quiz/author/questions/{question.id}/archive")
    db.session.refresh(question)
    assert question.is_archived and services.bank(module.id) == []


def test_settings_form(client, login, owned, trainer):
    module, _question = owned
    login(client, trainer)
    data = {"draw_count": "0", "draw_per_tag": "general: 1", "shuffle_questions": "y", "pass_mark": "75",
            "attempt_limit": "3", "cooldown_minutes": "10", "time_limit_minutes": "", "review_mode": "wrong",
            "review_when": "after_pass", "layout": "all_on_one"}
    assert client.post(f"/quiz/author/module/{module.id}/settings", data=data).status_code == 302
    quiz = services.quiz_for_module(module.id)
    db.session.refresh(quiz)
    assert (quiz.pass_mark, quiz.attempt_limit, quiz.time_limit_minutes, quiz.draw_per_tag, quiz.layout) == (
        75, 3, None, {"general": 1}, "all_on_one")
    assert quiz.shuffle_questions and not quiz.shuffle_options

    bad = client.post(f"/quiz/author/module/{module.id}/settings", data={**data, "draw_per_tag": "general: 5"})
    assert bad.status_code == 200 and b"draw 1 to 1" in bad.data
    db.session.refresh(quiz)
    assert quiz.draw_per_tag == {"general": 1}


def test_gift_upload_and_download(client, login, owned, trainer):
    module, _question = owned
    login(client, trainer)
    english = (BANK / "questions.en.gift").read_bytes()
    response = client.post(f"/quiz/author/module/{module.id}/import", data={
        "file": (io.BytesIO(english), "questions.en.gift"), "lang": "en"}, content_type="multipart/form-data",
        follow_redirects=True)  # to the background job's page
    assert response.status_code == 200 and b"Done." in response.data and b"0 updated, 0 unchanged" in response.data
    db.session.rollback()  # the job wrote on its own connection
    count = db.session.scalar(select(func.count(Question.id)))
    assert count > 10

    download = client.get(f"/quiz/author/module/{module.id}/export.gift?lang=en")
    assert download.status_code == 200 and download.mimetype == "text/plain"
    assert "attachment" in download.headers["Content-Disposition"] and b"::m3-q01::" in download.data

    bad = b"::ok::Fine?{=a ~b}\n\n::broken::Essay?{}\n"
    response = client.post(f"/quiz/author/module/{module.id}/import", data={
        "file": (io.BytesIO(bad), "bad.gift"), "lang": "en"}, content_type="multipart/form-data", follow_redirects=True)
    assert b"Nothing was saved" in response.data and b"line 3 (broken)" in response.data
    db.session.rollback()
    assert db.session.scalar(select(func.count(Question.id))) == count

    response = client.post(f"/quiz/author/module/{module.id}/import", data={
        "file": (io.BytesIO(bad), "bad.gift"), "lang": "en", "keep_good": "y"}, content_type="multipart/form-data",
        follow_redirects=True)
    assert b"1 new, 0 updated, 0 unchanged, 1 bad question(s) skipped" in response.data
    assert b"line 3 (broken)" in response.data
    db.session.rollback()
    assert db.session.scalar(select(func.count(Question.id))) == count + 1

    response = client.post(f"/quiz/author/module/{module.id}/import", data={
        "file": (io.BytesIO(b"\xff\xfe\x00bad"), "bad.gift"), "lang": "en"}, content_type="multipart/form-data")
    assert b"not UTF-8" in response.data


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def test_scenario_with_an_image(client, login, owned, trainer, learner):
    module, _question = owned
    login(client, trainer)
    fields = {"key": "case-1", "case": "A boy of about 14 at a checkpoint.", "text": "What do you do?",
              "format": "plain", "options-0-text": "Hand him to child protection actors", "options-0-weight": "100",
              "options-1-text": "Detain him with adults", "options-1-weight": "0"}
    refused = client.post(f"/quiz/author/module/{module.id}/questions/new?type=scenario",
                          data={**fields, "image": (io.BytesIO(b"<svg onload=alert(1)>"), "x.png")},
                          content_type="multipart/form-data")
    assert refused.status_code == 200 and b"web page code" in refused.data
    assert db.session.scalar(select(Question).where(Question.key == "case-1")) is None

    response = client.post(f"/quiz/author/module/{module.id}/questions/new?type=scenario",
                           data={**fields, "image": (io.BytesIO(_png()), "photo.png")}, content_type="multipart/form-data")
    assert response.status_code == 302
    question = db.session.scalar(select(Question).where(Question.key == "case-1"))
    assert question.image_id is not None and question.content["en"]["case"].startswith("A boy")
    # The bank names a scenario by its case, not by its closing question (the same for many).
    bank = client.get(f"/quiz/author/module/{module.id}").get_data(as_text=True)
    assert "A boy of about 14 at a checkpoint. — What do you do?" in bank
    services.update_settings(services.quiz_for_module(module.id), actor=trainer, layout="all_on_one")
    db.session.commit()

    learner_client = client.application.test_client()
    login(learner_client, learner)
    started = learner_client.post(f"/quiz/module/{module.id}/start")
    page = learner_client.get(started.headers["Location"]).get_data(as_text=True)
    assert "A boy of about 14 at a checkpoint." in page and '<img src="/media/' in page
