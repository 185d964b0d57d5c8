"""Single choice: one option; the credit of the option chosen (100% for the right one)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from quizzes import scoring
from quizzes.gift import GiftAnswer
from quizzes.types.base import GUESS_SINGLE
from quizzes.types.choice import ChoiceType


class SingleChoice(ChoiceType):
    name = "single_choice"
    label = _l("Single choice")
    guess_kind = GUESS_SINGLE

    def score(self, answer, response):
        return scoring.single_choice_score(answer.get("weights", {}), response)

    def check_weights(self, weights):
        if not any(scoring.is_full_marks(float(w)) for w in weights.values()):
            return ["One option must give 100%."]
        return []

    def matches_gift(self, question):
        return question.kind == "choice" and any(a.marker == "=" for a in question.answers)

    def gift_problem(self, question):
        problem = super().gift_problem(question)
        if problem is None and not any(a.marker == "=" for a in question.answers):
            return f"a {self.name} question needs one right answer marked '='"
        return problem

    def gift_answer(self, option, weight):
        marker = "=" if scoring.is_full_marks(weight) else "~"
        return GiftAnswer(option["text"], 1.0 if marker == "=" else weight, option.get("feedback", ""), marker)
