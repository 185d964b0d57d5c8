"""Multiple response: tick every option that applies; the sum of their credits, clamped to 0-100%."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from quizzes import scoring
from quizzes.types.base import GUESS_MULTIPLE
from quizzes.types.choice import ChoiceType


class MultipleResponse(ChoiceType):
    name = "multiple_response"
    label = _l("Multiple response")
    multiple = True
    guess_kind = GUESS_MULTIPLE

    def score(self, answer, response):
        return scoring.multiple_response_score(answer.get("weights", {}), response)

    def check_weights(self, weights):
        positive = sum(float(w) for w in weights.values() if float(w) > 0)
        if abs(positive - 1.0) > 0.011:
            return ["The credits of the right options must add up to 100%."]
        return []

    def matches_gift(self, question):
        return question.kind == "choice" and not any(a.marker == "=" for a in question.answers)
