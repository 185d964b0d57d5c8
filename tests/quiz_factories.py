"""Test data for the quiz tests: a course with a published module and a small question bank."""

from __future__ import annotations

import itertools

from extensions import db
from quizzes import services
from quizzes.models import Question, Quiz
from quizzes.registry import new_option_id
from training.models import Course, Lesson, Module, ModuleVersion

_seq = itertools.count(1)


def make_module(*, owner=None, languages: str = "en,fr", published: bool = True, lessons: int = 0) -> Module:
    """A course with one module and (by default) a published version of it, with `lessons` lessons."""
    n = next(_seq)
    course = Course(code=f"quiz-course-{n}", title={"en": f"Quiz course {n}"}, languages=languages,
                    owner_id=owner.id if owner else None)
    db.session.add(course)
    db.session.flush()
    module = Module(course_id=course.id, slug=f"module-{n}", position=1)
    db.session.add(module)
    db.session.flush()
    version = ModuleVersion(module_id=module.id, number=1, title={"en": f"Module {n}", "fr": f"Module {n} (fr)"},
                            status="draft")
    db.session.add(version)
    db.session.flush()
    for position in range(1, lessons + 1):
        db.session.add(Lesson(module_version_id=version.id, key=f"lesson-{position}", position=position,
                              title={"en": f"Lesson {position}"}, body={"en": f"Text of lesson {position}."}))
    db.session.flush()
    if published:  # published versions are frozen: set straight, lessons or not
        version.status = "published"
        db.session.flush()
    return module


def choice_question(module: Module, key: str, *, right: int = 0, n_options: int = 3, critical: bool = False,
                    tags=("general",), feedback: str = "FEEDBACK", langs=("en",)) -> Question:
    ids = [new_option_id() for _ in range(n_options)]
    content = {lang: {"text": f"{key} question ({lang})?",
                      "options": [{"id": i, "text": f"{key} option {k} ({lang})", "feedback": f"{feedback}-{key}-{k}"}
                                  for k, i in enumerate(ids)]} for lang in langs}
    answer = {"weights": {i: (1.0 if k == right else 0.0) for k, i in enumerate(ids)}}
    return services.save_question(module, actor=None, key=key, type_name="single_choice", content=content,
                                  answer=answer, tags=tags, is_critical=critical, quiet=True)


def multi_question(module: Module, key: str, *, feedback: str = "FEEDBACK") -> Question:
    ids = [new_option_id() for _ in range(3)]
    content = {"en": {"text": f"{key}: choose all", "general_feedback": f"GENERAL-{feedback}-{key}",
                      "options": [{"id": i, "text": f"{key} option {k}", "feedback": f"{feedback}-{key}-{k}"}
                                  for k, i in enumerate(ids)]}}
    answer = {"weights": dict(zip(ids, [0.5, 0.5, -1.0], strict=True))}
    return services.save_question(module, actor=None, key=key, type_name="multiple_response", content=content,
                                  answer=answer, tags=["general"], quiet=True)


def true_false_question(module: Module, key: str, *, value: bool = True, feedback: str = "FEEDBACK") -> Question:
    content = {"en": {"text": f"{key}: a statement.", "feedback_right": f"{feedback}-{key}-right",
                      "feedback_wrong": f"{feedback}-{key}-wrong"}}
    return services.save_question(module, actor=None, key=key, type_name="true_false", content=content,
                                  answer={"value": value}, tags=["general"], quiet=True)


def scenario_question(module: Module, key: str, *, critical: bool = False, feedback: str = "FEEDBACK") -> Question:
    ids = [new_option_id() for _ in range(3)]
    content = {"en": {"text": f"{key}: what do you do?", "case": f"{key}: the case text.",
                      "options": [{"id": i, "text": f"{key} option {k}", "feedback": f"{feedback}-{key}-{k}"}
                                  for k, i in enumerate(ids)]}}
    answer = {"weights": {i: (1.0 if k == 0 else 0.0) for k, i in enumerate(ids)}}
    return services.save_question(module, actor=None, key=key, type_name="scenario", content=content,
                                  answer=answer, tags=["cases"], is_critical=critical, quiet=True)


def make_quiz(module: Module, **settings) -> Quiz:
    quiz = services.get_or_create_quiz(module)
    values = {"shuffle_questions": False, "shuffle_options": False, **settings}
    for name, value in values.items():
        setattr(quiz, name, value)
    db.session.flush()
    return quiz


def right_option(question: Question) -> str:
    return next(i for i, w in question.answer["weights"].items() if w == 1.0)


def wrong_option(question: Question) -> str:
    return next(i for i, w in question.answer["weights"].items() if w <= 0)
