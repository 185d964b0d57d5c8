"""Adding a question type is one class and its templates (README "Adding a question type").

A "numeric answer" type, defined here and nowhere else, is registered in a test app and taken
through authoring, a learner attempt (the form, and the offline answer endpoint), grading, the
result page, the bank's quality and guessability figures, item analysis and GIFT export: no
shared code or template knows it.
"""

from __future__ import annotations

import re

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import select
from wtforms import StringField

from extensions import db
from quizzes import registry
from quizzes.models import Attempt, Question
from quizzes.types.base import QuestionType
from tests import quiz_factories as qf

ANSWER = "1989"  # the year the Convention on the Rights of the Child was adopted


class NumericFields:
    value = StringField("Right answer (a number)")
    tolerance = StringField("Accepted difference")


class NumericAnswer(QuestionType):
    """A number typed by the learner; right within the tolerance."""

    name = "numeric_answer"
    label = "Numeric answer"
    form_mixin = NumericFields

    def read_response(self, values, allowed):
        for value in values:
            try:
                return [format(float(value.replace(",", ".")), "g")]
            except ValueError:
                continue
        return []

    def score(self, answer, response):
        if not response:
            return 0.0
        return 1.0 if abs(float(response[0]) - answer["value"]) <= answer.get("tolerance", 0) else 0.0

    def right_ids(self, answer):
        return {format(answer["value"], "g")}

    def validate(self, content, answer):
        errors = super().validate(content, answer)
        if not isinstance(answer.get("value"), float):
            errors.append("Give the right answer as a number.")
        return errors

    def load_form(self, form, lang_content, answer):
        form.value.data = format(answer.get("value", 0), "g")
        form.tolerance.data = format(answer.get("tolerance", 0), "g")

    def read_form(self, form, lang_content, answer, content):
        try:
            key = {"value": float(form.value.data), "tolerance": float(form.tolerance.data or 0)}
        except ValueError:
            raise ValueError("The right answer is not a number.") from None
        return lang_content, key, dict(content)


TEMPLATES = {
    "quizzes/types/numeric_answer/author.html": """
{% extends "quizzes/author/question.html" %}
{% from "_macros/forms.html" import field %}
{% block type_fields %}{{ field(form.value) }}{{ field(form.tolerance) }}{% endblock %}""",
    "quizzes/types/numeric_answer/learner.html": """
<fieldset class="question" aria-describedby="q{{ item.id }}-text">
  <legend>{{ _('Question %(n)s of %(total)s', n=item.number, total=total) }}</legend>
  <div class="question-text" id="q{{ item.id }}-text">{{ quiz_text(item.text, item.format) }}</div>
  <input type="text" inputmode="decimal" name="q{{ item.id }}" class="numeric-answer"
    value="{{ item.chosen[0] if item.chosen else '' }}"{% if readonly %} disabled{% endif %}>
</fieldset>""",
    "quizzes/types/numeric_answer/result.html": """
<div class="question-text">{{ quiz_text(item.text, item.format) }}</div>
{% if item.chosen %}<p class="numeric-yours">Your answer: {{ item.chosen[0] }}</p>{% endif %}
{% if review.mode == 'feedback' %}<p class="numeric-right">Right answer: {{ item.right_ids|join(', ') }}</p>{% endif %}""",
}


@pytest.fixture
def numeric_type(app):
    registry.register(NumericAnswer)
    app.jinja_env.loader = ChoiceLoader([DictLoader(TEMPLATES), app.jinja_env.loader])
    yield registry.get_type(NumericAnswer.name)
    registry.unregister(NumericAnswer.name)


def test_a_type_defined_outside_the_shared_code_goes_from_authoring_to_the_result(
        client, login, trainer, learner, numeric_type):
    module = qf.make_module(owner=trainer)
    qf.choice_question(module, "warm-up")
    qf.make_quiz(module, pass_mark=50)
    db.session.commit()

    # Authoring: the bank offers the type; its form has the type's fields.
    login(client, trainer)
    bank = client.get(f"/quiz/author/module/{module.id}").get_data(as_text=True)
    assert "type=numeric_answer" in bank and "Numeric answer" in bank
    form = client.get(f"/quiz/author/module/{module.id}/questions/new?type=numeric_answer").get_data(as_text=True)
    assert 'name="value"' in form and 'name="tolerance"' in form
    saved = client.post(f"/quiz/author/module/{module.id}/questions/new?type=numeric_answer", data={
        "key": "crc-year", "text": "In which year was the Convention on the Rights of the Child adopted?",
        "format": "plain", "value": ANSWER, "tolerance": "0"})
    assert saved.status_code == 302
    question = db.session.scalar(select(Question).where(Question.key == "crc-year"))
    assert question.type == "numeric_answer" and question.answer == {"value": 1989.0, "tolerance": 0.0}
    edit = client.get(f"/quiz/author/questions/{question.id}").get_data(as_text=True)
    assert f'value="{ANSWER}"' in edit
    # The bank's quality warnings and guessability take it in: a guess never finds a number.
    assert client.get(f"/quiz/author/module/{module.id}").status_code == 200
    gift = client.get(f"/quiz/author/module/{module.id}/export.gift?lang=en").get_data(as_text=True)
    assert "type GIFT cannot hold: crc-year" in gift and "::warm-up::" in gift

    # A learner's attempt: the page holds the type's field and never the key.
    login(client, learner)
    start = client.post(f"/quiz/module/{module.id}/start")
    attempt = db.session.get(Attempt, int(re.search(r"/quiz/attempts/(\d+)", start.headers["Location"]).group(1)))
    drawn = [d["id"] for d in attempt.drawn]
    number = drawn.index(question.id) + 1
    page = client.get(f"/quiz/attempts/{attempt.id}/q/{number}").get_data(as_text=True)
    assert f'name="q{question.id}"' in page and 'class="numeric-answer"' in page and ANSWER not in page
    # A wrong answer from the form, then the right one as the offline reader sends it.
    client.post(f"/quiz/attempts/{attempt.id}/q/{number}", data={f"q{question.id}": "1990", "save": "1"})
    offline = client.post(f"/offline/attempts/{attempt.id}/answers", json={"answers": {str(question.id): ["1989,0"]}})
    assert offline.status_code == 200 and offline.get_json()["saved"] == [question.id]
    page = client.get(f"/quiz/attempts/{attempt.id}/q/{number}").get_data(as_text=True)
    assert f'value="{ANSWER}"' in page

    # Grading and the result page, with the type's own review snippet.
    assert client.post(f"/quiz/attempts/{attempt.id}/finish", data={"submit": "1"}).status_code == 302
    db.session.refresh(attempt)
    answer = next(a for a in attempt.answers if a.question_id == question.id)
    assert answer.response == [ANSWER] and answer.score == 1.0
    assert attempt.is_passed
    result = client.get(f"/quiz/attempts/{attempt.id}/result").get_data(as_text=True)
    assert f'<p class="numeric-yours">Your answer: {ANSWER}</p>' in result
    assert f'<p class="numeric-right">Right answer: {ANSWER}</p>' in result

    # Item analysis counts the answer like any other.
    login(client, trainer)
    analysis = client.get(f"/quiz/author/module/{module.id}/analysis").get_data(as_text=True)
    assert "crc-year" in analysis


def test_the_registry_refuses_a_name_already_taken():
    class Clash(NumericAnswer):
        name = "single_choice"

    with pytest.raises(ValueError, match="taken"):
        registry.register(Clash)
    assert type(registry.get_type("single_choice")).__name__ == "SingleChoice"
