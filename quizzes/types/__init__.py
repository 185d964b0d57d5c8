"""The question types, one module each; BUILT_IN is the one place that lists them (in the order
the bank offers them and GIFT import tries them). README "Adding a question type"."""

from quizzes.types.base import QuestionType
from quizzes.types.multiple_response import MultipleResponse
from quizzes.types.scenario import Scenario
from quizzes.types.single_choice import SingleChoice
from quizzes.types.true_false import TrueFalse

BUILT_IN: tuple[type[QuestionType], ...] = (SingleChoice, MultipleResponse, Scenario, TrueFalse)
