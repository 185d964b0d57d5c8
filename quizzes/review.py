"""What a learner's pages show: questions of an open attempt (never the key) and the review.

Everything here reads the attempt's own quiz version, so a question edited since the attempt
started is shown (and was graded) as it was then.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import load_only

from extensions import db
from quizzes.attempts import review_allowed
from quizzes.models import Attempt, ReviewMode
from quizzes.registry import get_type
from training.i18n import pick
from training.images import media_path
from training.models import LessonImage


def localized(question: dict, lang: str) -> dict:
    """The question's content in `lang` when it is complete there, else in another complete language."""
    qtype = get_type(question["type"])
    complete = {code: c for code, c in question["content"].items() if qtype.is_complete(c)}
    return pick(complete, lang, "en") or pick(question["content"], lang, "en") or {}


def _image_url(image_id: int | None) -> str | None:
    if not image_id:
        return None
    image = db.session.scalar(select(LessonImage).options(load_only(LessonImage.sha256))  # not the picture's bytes
                              .where(LessonImage.id == image_id))
    return media_path(image) if image else None


def _item(attempt: Attempt, index: int, lang: str, questions: dict, answers: dict) -> dict:
    drawn = attempt.drawn[index]
    question = questions[drawn["id"]]
    qtype = get_type(question["type"])
    lang_content = localized(question, lang)
    view = qtype.view(lang_content)  # the type's own fields (a scenario's case ...) pass through to its templates
    texts = view.get("options", {})
    answer = answers.get(drawn["id"])
    return {
        **view, "id": drawn["id"], "number": index + 1, "type": qtype,
        # The attempt's own option order; only ids and texts, nothing about which is right.
        "options": [(option_id, texts.get(option_id, "")) for option_id in drawn["options"]],
        "image_url": _image_url(question.get("image_id")),
        "chosen": list(answer.response) if answer and answer.response else [],
        "_question": question, "_lang_content": lang_content, "_answer": answer,
    }


def attempt_questions(attempt: Attempt, lang: str, indexes: list[int]) -> list[dict]:
    questions = attempt.quiz_version.question_map()
    answers = {a.question_id: a for a in attempt.answers}
    items = [_item(attempt, i, lang, questions, answers) for i in indexes]
    for item in items:  # the open-attempt page gets no handle on the key
        for private in ("_question", "_lang_content", "_answer"):
            item.pop(private)
    return items


def build_review(attempt: Attempt, lang: str, attempts: list[Attempt]) -> dict:
    """The result page's content: always the score and the reason; details as the settings allow."""
    settings = attempt.quiz_version.settings
    questions = attempt.quiz_version.question_map()
    answers = {a.question_id: a for a in attempt.answers}
    allowed = review_allowed(attempt, attempts)
    mode = settings["review_mode"] if allowed else ReviewMode.NONE.value
    # Full feedback held back (until a pass, or the last attempt): show which were wrong, never
    # the answers, so the learner knows which lessons to read again before the next try.
    held_back = not allowed and settings["review_mode"] != ReviewMode.NONE.value and attempt.submitted_at is not None
    if held_back:
        mode = ReviewMode.WRONG.value
    early = held_back and settings["review_mode"] == ReviewMode.FEEDBACK.value
    review = {"allowed": allowed, "mode": mode, "questions": [], "settings": settings, "early": early,
              "critical_failed": attempt.is_critical_failed, "when": settings["review_when"]}
    if mode == ReviewMode.NONE.value:
        return review
    for index in range(len(attempt.drawn)):
        item = _item(attempt, index, lang, questions, answers)
        question, lang_content, answer = item.pop("_question"), item.pop("_lang_content"), item.pop("_answer")
        qtype = item["type"]
        score = answer.score if answer and answer.score is not None else 0.0
        item.update(score=score, is_right=score >= 1.0 - 1e-9, is_critical=question["critical"])
        if mode == ReviewMode.FEEDBACK.value:
            item["right_ids"] = qtype.right_ids(question["answer"])
            item["feedback"] = qtype.feedback(lang_content, question["answer"], item["chosen"])
            item["general_feedback"] = lang_content.get("general_feedback", "")
        review["questions"].append(item)
    return review
