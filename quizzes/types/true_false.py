"""True or false: a statement; all or nothing, with feedback for a right and a wrong answer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, TextAreaField

from quizzes import scoring
from quizzes.types.base import GUESS_TWO_WAY, QuestionType, common_gift_content, gift_head


class TrueFalseFields:
    truth = SelectField(_l("The statement is"), choices=[("true", _l("True")), ("false", _l("False"))])
    feedback_right = TextAreaField(_l("Feedback for a right answer"), render_kw={"rows": 2})
    feedback_wrong = TextAreaField(_l("Feedback for a wrong answer"), render_kw={"rows": 2})


class TrueFalse(QuestionType):
    name = "true_false"
    label = _l("True or false")
    shuffle_options = False
    guess_kind = GUESS_TWO_WAY
    form_mixin = TrueFalseFields

    def option_ids(self, content, answer):
        return ["true", "false"]

    def score(self, answer, response):
        return scoring.true_false_score(bool(answer.get("value")), response)

    def right_ids(self, answer):
        return {"true" if answer.get("value") else "false"}

    def feedback(self, lang_content, answer, response):
        if not response:
            return []
        right = self.score(answer, response) == 1.0
        text = lang_content.get("feedback_right" if right else "feedback_wrong", "")
        return [text] if text else []

    def validate(self, content, answer):
        errors = super().validate(content, answer)
        if not isinstance(answer.get("value"), bool):
            errors.append("Say whether the statement is true or false.")
        return errors

    def load_form(self, form, lang_content, answer):
        form.truth.data = "true" if answer.get("value") else "false"
        form.feedback_right.data = lang_content.get("feedback_right", "")
        form.feedback_wrong.data = lang_content.get("feedback_wrong", "")

    def read_form(self, form, lang_content, answer, content):
        new_content = {**lang_content, "feedback_right": (form.feedback_right.data or "").strip(),
                       "feedback_wrong": (form.feedback_wrong.data or "").strip()}
        return new_content, {"value": form.truth.data == "true"}, dict(content)

    def matches_gift(self, question):
        return question.kind == "truefalse"

    def gift_problem(self, question):
        return None if question.kind == "truefalse" else f"'// type: {self.name}' does not fit its answers"

    def from_gift(self, question, option_ids):
        content = {**common_gift_content(question), "feedback_right": question.feedback_right,
                   "feedback_wrong": question.feedback_wrong}
        return content, {"value": bool(question.truth)}

    def to_gift(self, lang_content, answer):
        gift = gift_head(lang_content)
        gift.kind, gift.truth = "truefalse", bool(answer.get("value"))
        gift.feedback_right = lang_content.get("feedback_right", "")
        gift.feedback_wrong = lang_content.get("feedback_wrong", "")
        return gift
