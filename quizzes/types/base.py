"""What every question type provides. A type is one module in this package with one class (its
author fields, learner view, response reader, scoring, review and GIFT mapping) and its
templates in templates/quizzes/types/<template_dir>/:

  author.html   extends quizzes/author/question.html and fills its blocks with the type's fields
  learner.html  one question of an open attempt (a <fieldset class="question">); its answer is
                form controls named q<question id>, so it posts without JavaScript and the
                offline reader (static/js/offline.js) reads it as the form would post it
  result.html   the question in the review on the result page

Stored shapes (see quizzes.models.Question):
  content = {lang: {"text", "format"?, "general_feedback"?, ...type fields}}
  answer  = the key, never sent to a learner before the attempt is submitted
Responses are always a list of short strings (option ids, "true"/"false", a number as typed).
"""

from __future__ import annotations

import secrets
from typing import ClassVar

from quizzes.gift import GiftQuestion

# How quizzes.quality models a guesser on a type, and checks its options. SINGLE and MULTIPLE
# promise the choice shape (content[lang]["options"] = [{"id", "text"}], answer["weights"]);
# TWO_WAY is a coin toss; None (an open answer): no options to check, and a guess scores 0.
GUESS_SINGLE, GUESS_MULTIPLE, GUESS_TWO_WAY = "single", "multiple", "true_false"


def new_option_id() -> str:
    return secrets.token_hex(4)


class QuestionType:
    name: ClassVar[str] = ""
    label: ClassVar = ""
    template_dir: ClassVar[str] = ""   # templates/quizzes/types/<template_dir>/; empty: the type's name
    multiple: ClassVar[bool] = False   # checkboxes rather than radio buttons
    shuffle_options: ClassVar[bool] = True
    has_image: ClassVar[bool] = False  # the author form takes an image (Question.image_id)
    guess_kind: ClassVar[str | None] = None
    form_mixin: ClassVar[type] = object

    def template(self, part: str) -> str:
        """The type's template for `part`: "author", "learner" or "result"."""
        return f"quizzes/types/{self.template_dir or self.name}/{part}.html"

    # -- learner side ------------------------------------------------------------------------
    def option_ids(self, content: dict, answer: dict) -> list[str]:
        """The ids of the options an attempt draws (and may shuffle); none for an open answer."""
        return []

    def view(self, lang_content: dict) -> dict:
        """What the learner's page needs: `text`, `format` and the type's own fields. Never the
        key, never feedback."""
        return {"text": lang_content.get("text", ""), "format": lang_content.get("format", "plain"), "options": {}}

    def read_response(self, values: list[str], allowed: list[str]) -> list[str]:
        """The response to store from posted values, filtered against the attempt's own option ids."""
        chosen = [v for v in dict.fromkeys(values) if v in allowed]
        return chosen if self.multiple else chosen[:1]

    def score(self, answer: dict, response: list[str]) -> float:
        raise NotImplementedError

    # -- review ------------------------------------------------------------------------------
    def right_ids(self, answer: dict) -> set[str]:
        """Responses that earn credit (shown in a feedback review, and by item analysis)."""
        raise NotImplementedError

    def feedback(self, lang_content: dict, answer: dict, response: list[str]) -> list[str]:
        return []

    # -- authoring ---------------------------------------------------------------------------
    def listing(self, lang_content: dict | None) -> str:
        """What names the question in an author's list: its text."""
        return (lang_content or {}).get("text", "")

    def validate(self, content: dict, answer: dict) -> list[str]:
        errors = []
        if not any((c or {}).get("text", "").strip() for c in content.values()):
            errors.append("The question has no text.")
        return errors

    def is_complete(self, lang_content: dict | None) -> bool:
        return bool(lang_content and lang_content.get("text", "").strip())

    def build_form(self, base: type, content: dict | None, answer: dict | None, **kwargs):
        """The author form: `base` (the fields every question has) plus the type's own."""
        return type(f"{self.name}Form", (base, self.form_mixin), {})(**kwargs)

    def load_form(self, form, lang_content: dict, answer: dict) -> None:
        pass

    def read_form(self, form, lang_content: dict, answer: dict, content: dict) -> tuple[dict, dict, dict]:
        """Return (this language's content, the key, the other languages' content) from a posted form."""
        raise NotImplementedError

    # -- GIFT --------------------------------------------------------------------------------
    def matches_gift(self, question: GiftQuestion) -> bool:
        """Whether a GIFT question without a `// type:` line is of this type."""
        return False

    def gift_problem(self, question: GiftQuestion) -> str | None:
        """Why a GIFT question marked `// type: <name>` cannot be of this type (None: it can)."""
        return f"a {self.name} question has no GIFT form"

    def from_gift(self, question: GiftQuestion, option_ids: list[str] | None) -> tuple[dict, dict]:
        raise NotImplementedError

    def to_gift(self, lang_content: dict, answer: dict) -> GiftQuestion | None:
        """The question as GIFT; None for a type GIFT cannot hold (the export leaves it out)."""
        return None


def common_gift_content(question: GiftQuestion) -> dict:
    content = {"text": question.text}
    if question.format and question.format not in ("moodle", "plain"):
        content["format"] = question.format
    if question.general_feedback:
        content["general_feedback"] = question.general_feedback
    return content


def gift_head(lang_content: dict) -> GiftQuestion:
    return GiftQuestion(text=lang_content.get("text", ""), format=lang_content.get("format"),
                        general_feedback=lang_content.get("general_feedback", ""))
