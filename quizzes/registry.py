"""The question-type registry: the built-in types (quizzes.types.BUILT_IN) by name, and the GIFT
question a parsed type becomes. Shared code asks a type through here and never names one."""

from __future__ import annotations

from quizzes.gift import GiftQuestion
from quizzes.types import BUILT_IN
from quizzes.types.base import QuestionType, new_option_id

__all__ = ["TYPES", "QuestionType", "get_type", "new_option_id", "register", "type_for_gift", "unregister"]

TYPES: dict[str, QuestionType] = {cls.name: cls() for cls in BUILT_IN}


def register(cls: type[QuestionType]) -> type[QuestionType]:
    """Add a type that is not built in (a deployment's own, or a test's)."""
    if not cls.name or cls.name in TYPES:
        raise ValueError(f"question type name {cls.name!r} is empty or taken")
    TYPES[cls.name] = cls()
    return cls


def unregister(name: str) -> None:
    TYPES.pop(name, None)


def get_type(name: str) -> QuestionType:
    try:
        return TYPES[name]
    except KeyError:
        raise KeyError(f"unknown question type {name!r}") from None


def type_for_gift(question: GiftQuestion) -> QuestionType:
    """The type a parsed GIFT question becomes: its `// type:` line, else the first type that fits."""
    if question.meta_type:
        qtype = get_type(question.meta_type)
        problem = qtype.gift_problem(question)
        if problem:
            raise ValueError(problem)
        return qtype
    for qtype in TYPES.values():
        if qtype.matches_gift(question):
            return qtype
    raise ValueError("no question type fits these answers")
