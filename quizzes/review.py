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


def _item(drawn: dict, number: int, question: dict, lang_content: dict, response: list | None) -> dict:
    qtype = get_type(question["type"])
    view = qtype.view(lang_content)  # the type's own fields (a scenario's case ...) pass through to its templates
    texts = view.get("options", {})
    return {
        **view, "id": drawn["id"], "number": number, "type": qtype,
        # The attempt's own option order; only ids and texts, nothing about which is right.
        "options": [(option_id, texts.get(option_id, "")) for option_id in drawn["options"]],
        "image_url": _image_url(question.get("image_id")),
        "chosen": list(response) if response else [],
    }


def open_questions(drawn: list[dict], questions: dict, responses: dict[int, list], lang: str,
                   indexes: list[int]) -> list[dict]:
    """The questions at `indexes` of an open attempt, as its page shows them: texts, the attempt's
    option order and the saved choices, never the key. `drawn` is the attempt's, `questions` its
    version's question map, `responses` its saved answers by question id."""
    items = []
    for index in indexes:
        question = questions[drawn[index]["id"]]
        items.append(_item(drawn[index], index + 1, question, localized(question, lang),
                           responses.get(drawn[index]["id"])))
    return items


def attempt_questions(attempt: Attempt, lang: str, indexes: list[int]) -> list[dict]:
    return open_questions(attempt.drawn, attempt.quiz_version.question_map(),
                          {a.question_id: a.response for a in attempt.answers}, lang, indexes)


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
    for index, drawn in enumerate(attempt.drawn):
        question = questions[drawn["id"]]
        lang_content, answer = localized(question, lang), answers.get(drawn["id"])
        item = _item(drawn, index + 1, question, lang_content, answer.response if answer else None)
        qtype = item["type"]
        score = answer.score if answer and answer.score is not None else 0.0
        item.update(score=score, is_right=score >= 1.0 - 1e-9, is_critical=question["critical"])
        if mode == ReviewMode.FEEDBACK.value:
            item["right_ids"] = qtype.right_ids(question["answer"])
            item["feedback"] = qtype.feedback(lang_content, question["answer"], item["chosen"])
            item["general_feedback"] = lang_content.get("general_feedback", "")
        review["questions"].append(item)
    return review
