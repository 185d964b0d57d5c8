"""Question types. One class per type: its authoring fields, learner snippet, checks, scoring and
GIFT mapping. Adding a type is adding a class here with `@register`; nothing else changes.

Stored shapes (see quizzes.models.Question):
  content = {lang: {"text", "format"?, "general_feedback"?, ...type fields}}
  answer  = the key, never sent to a learner before the attempt is submitted
Responses are always a list of strings (option ids, or "true"/"false").
"""

from __future__ import annotations

import secrets
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, FileField, Form, FormField, IntegerField, SelectField, TextAreaField
from wtforms.validators import NumberRange, Optional

from quizzes import scoring
from quizzes.gift import GiftAnswer, GiftQuestion

TYPES: dict[str, QuestionType] = {}


def register(cls: type[QuestionType]) -> type[QuestionType]:
    TYPES[cls.name] = cls()
    return cls


def get_type(name: str) -> QuestionType:
    try:
        return TYPES[name]
    except KeyError:
        raise KeyError(f"unknown question type {name!r}") from None


def new_option_id() -> str:
    return secrets.token_hex(4)


class QuestionType:
    name: ClassVar[str] = ""
    label: ClassVar = ""
    template: ClassVar[str] = "quizzes/types/_choice.html"
    multiple: ClassVar[bool] = False   # checkboxes rather than radio buttons
    shuffle_options: ClassVar[bool] = True
    has_case: ClassVar[bool] = False
    has_image: ClassVar[bool] = False
    form_mixin: ClassVar[type] = object

    # -- learner side ------------------------------------------------------------------------
    def option_ids(self, content: dict, answer: dict) -> list[str]:
        raise NotImplementedError

    def view(self, lang_content: dict) -> dict:
        """What the learner's page needs. Never the key, never feedback."""
        raise NotImplementedError

    def read_response(self, values: list[str], allowed: list[str]) -> list[str]:
        chosen = [v for v in dict.fromkeys(values) if v in allowed]
        return chosen if self.multiple else chosen[:1]

    def score(self, answer: dict, response: list[str]) -> float:
        raise NotImplementedError

    # -- review ------------------------------------------------------------------------------
    def right_ids(self, answer: dict) -> set[str]:
        """Options that earn credit (shown in a feedback review)."""
        raise NotImplementedError

    def feedback(self, lang_content: dict, answer: dict, response: list[str]) -> list[str]:
        raise NotImplementedError

    # -- authoring ---------------------------------------------------------------------------
    def listing(self, lang_content: dict | None) -> str:
        """What names the question in an author's list: its text. A scenario's case comes first,
        because its closing question ("What do you do?") is the same for many of them."""
        lang_content = lang_content or {}
        text = lang_content.get("text", "")
        case = " ".join(lang_content.get("case", "").split()) if self.has_case else ""
        return f"{case} — {text}" if case else text

    def validate(self, content: dict, answer: dict) -> list[str]:
        errors = []
        if not any((c or {}).get("text", "").strip() for c in content.values()):
            errors.append("The question has no text.")
        return errors

    def is_complete(self, lang_content: dict | None) -> bool:
        return bool(lang_content and lang_content.get("text", "").strip())

    def load_form(self, form, lang_content: dict, answer: dict) -> None:
        pass

    def read_form(self, form, lang_content: dict, answer: dict, content: dict) -> tuple[dict, dict, dict]:
        """Return (this language's content, the key, the other languages' content) from a posted form."""
        raise NotImplementedError

    # -- GIFT --------------------------------------------------------------------------------
    def matches_gift(self, question: GiftQuestion) -> bool:
        return False

    def from_gift(self, question: GiftQuestion, option_ids: list[str] | None) -> tuple[dict, dict]:
        raise NotImplementedError

    def to_gift(self, lang_content: dict, answer: dict) -> GiftQuestion:
        raise NotImplementedError

    def gift_needs_meta(self) -> bool:
        """True when GIFT alone cannot tell this type apart, so export writes `// type:`."""
        return False


# -- choice questions -----------------------------------------------------------------------

class OptionForm(Form):
    text = TextAreaField(_l("Option"), render_kw={"rows": 2})
    feedback = TextAreaField(_l("Feedback for this option"), render_kw={"rows": 2})
    weight = IntegerField(_l("Credit (%)"), default=0, validators=[Optional(), NumberRange(-100, 100)])
    remove = BooleanField(_l("Remove this option (in every language)"))


class ChoiceFields:
    options = FieldList(FormField(OptionForm), min_entries=0)


def _common(question: GiftQuestion) -> dict:
    content = {"text": question.text}
    if question.format and question.format not in ("moodle", "plain"):
        content["format"] = question.format
    if question.general_feedback:
        content["general_feedback"] = question.general_feedback
    return content


def _gift_head(lang_content: dict) -> GiftQuestion:
    return GiftQuestion(text=lang_content.get("text", ""), format=lang_content.get("format"),
                        general_feedback=lang_content.get("general_feedback", ""))


class ChoiceType(QuestionType):
    form_mixin = ChoiceFields

    def option_ids(self, content, answer):
        for lang_content in content.values():
            if lang_content and lang_content.get("options"):
                return [o["id"] for o in lang_content["options"]]
        return []

    def view(self, lang_content):
        return {"text": lang_content.get("text", ""), "format": lang_content.get("format", "plain"),
                "options": {o["id"]: o["text"] for o in lang_content.get("options", [])}}

    def right_ids(self, answer):
        return {k for k, w in answer.get("weights", {}).items() if w > 0}

    def feedback(self, lang_content, answer, response):
        chosen = set(response)
        return [o["feedback"] for o in lang_content.get("options", []) if o["id"] in chosen and o.get("feedback")]

    def is_complete(self, lang_content):
        return super().is_complete(lang_content) and all(o.get("text", "").strip()
                                                         for o in lang_content.get("options", []))

    def validate(self, content, answer):
        errors = super().validate(content, answer)
        ids = self.option_ids(content, answer)
        if len(ids) < 2:
            errors.append("A choice question needs at least two options.")
        if len(set(ids)) != len(ids):
            errors.append("Two options share an id.")
        for lang, lang_content in content.items():
            if [o["id"] for o in (lang_content or {}).get("options", [])] != ids:
                errors.append(f"The options in {lang} do not match the other languages.")
        weights = answer.get("weights", {})
        if set(weights) != set(ids):
            errors.append("Every option needs a credit.")
        elif any(not -1.0 <= float(w) <= 1.0 for w in weights.values()):
            errors.append("Credits go from -100% to 100%.")
        else:
            errors.extend(self.check_weights(weights))
        return errors

    def check_weights(self, weights: dict) -> list[str]:
        return []

    # authoring ---------------------------------------------------------------------------------
    def load_form(self, form, lang_content, answer):
        weights = answer.get("weights", {})
        for entry, option in zip(form.options.entries, lang_content.get("options", []), strict=False):
            entry.form.text.data = option.get("text", "")
            entry.form.feedback.data = option.get("feedback", "")
            entry.form.weight.data = round(100 * float(weights.get(option["id"], 0)))

    def read_form(self, form, lang_content, answer, content):
        existing = self.option_ids(content, answer)
        options, weights, removed = [], {}, set()
        for index, entry in enumerate(form.options.entries):
            sub = entry.form
            option_id = existing[index] if index < len(existing) else None
            if option_id and sub.remove.data:
                removed.add(option_id)
                continue
            text = (sub.text.data or "").strip()
            if not text:
                if option_id:
                    raise ValueError(_l("Option %(n)s is empty: write it in this language or tick remove.", n=index + 1))
                continue
            option_id = option_id or new_option_id()
            options.append({"id": option_id, "text": text, "feedback": (sub.feedback.data or "").strip()})
            weights[option_id] = (sub.weight.data or 0) / 100
        new_content = {**lang_content, "options": options}
        # Other languages keep their wording; added options appear there untranslated (blank).
        others = {}
        for lang, other in content.items():
            by_id = {o["id"]: o for o in (other or {}).get("options", [])}
            others[lang] = {**(other or {}), "options": [by_id.get(o["id"], {"id": o["id"], "text": "", "feedback": ""})
                                                         for o in options]}
        return new_content, {"weights": weights}, others

    # GIFT ----------------------------------------------------------------------------------------
    def from_gift(self, question, option_ids):
        ids = list(option_ids or [])
        if option_ids is not None and len(ids) != len(question.answers):
            raise ValueError("its answers do not match the question already in the bank (a different number of options)")
        ids += [new_option_id() for _ in range(len(question.answers) - len(ids))]
        content = _common(question)
        content["options"] = [{"id": i, "text": a.text, "feedback": a.feedback} for i, a in zip(ids, question.answers, strict=True)]
        return content, {"weights": {i: a.weight for i, a in zip(ids, question.answers, strict=True)}}

    def to_gift(self, lang_content, answer):
        gift = _gift_head(lang_content)
        weights = answer.get("weights", {})
        gift.answers = [self.gift_answer(o, float(weights.get(o["id"], 0))) for o in lang_content.get("options", [])]
        return gift

    def gift_answer(self, option: dict, weight: float) -> GiftAnswer:
        return GiftAnswer(option["text"], weight, option.get("feedback", ""), "~")


@register
class SingleChoice(ChoiceType):
    name = "single_choice"
    label = _l("Single choice")

    def score(self, answer, response):
        return scoring.single_choice_score(answer.get("weights", {}), response)

    def check_weights(self, weights):
        if not any(scoring.is_full_marks(float(w)) for w in weights.values()):
            return ["One option must give 100%."]
        return []

    def matches_gift(self, question):
        return question.kind == "choice" and any(a.marker == "=" for a in question.answers)

    def gift_answer(self, option, weight):
        marker = "=" if scoring.is_full_marks(weight) else "~"
        return GiftAnswer(option["text"], 1.0 if marker == "=" else weight, option.get("feedback", ""), marker)


@register
class MultipleResponse(ChoiceType):
    name = "multiple_response"
    label = _l("Multiple response")
    multiple = True

    def score(self, answer, response):
        return scoring.multiple_response_score(answer.get("weights", {}), response)

    def check_weights(self, weights):
        positive = sum(float(w) for w in weights.values() if float(w) > 0)
        if abs(positive - 1.0) > 0.011:
            return ["The credits of the right options must add up to 100%."]
        return []

    def matches_gift(self, question):
        return question.kind == "choice" and not any(a.marker == "=" for a in question.answers)


class CaseFields(ChoiceFields):
    case = TextAreaField(_l("Case"), render_kw={"rows": 6})
    image = FileField(_l("Image for the case (optional)"))
    remove_image = BooleanField(_l("Remove the image"))


@register
class Scenario(SingleChoice):
    """A case (text, optionally an image), then a single-choice question."""

    name = "scenario"
    label = _l("Scenario")
    template = "quizzes/types/_scenario.html"
    has_case = True
    has_image = True
    form_mixin = CaseFields

    def view(self, lang_content):
        return {**super().view(lang_content), "case": lang_content.get("case", "")}

    def validate(self, content, answer):
        errors = super().validate(content, answer)
        if not any((c or {}).get("case", "").strip() for c in content.values()):
            errors.append("A scenario needs a case.")
        return errors

    def is_complete(self, lang_content):
        return super().is_complete(lang_content) and bool((lang_content or {}).get("case", "").strip())

    def load_form(self, form, lang_content, answer):
        super().load_form(form, lang_content, answer)
        form.case.data = lang_content.get("case", "")

    def read_form(self, form, lang_content, answer, content):
        new_content, key, others = super().read_form(form, lang_content, answer, content)
        new_content["case"] = (form.case.data or "").strip()
        return new_content, key, others

    def matches_gift(self, question):
        return False  # only `// type: scenario` makes one

    def gift_needs_meta(self):
        return True

    def from_gift(self, question, option_ids):
        content, key = super().from_gift(question, option_ids)
        case, _sep, stem = question.text.rpartition("\n\n")
        content["case"], content["text"] = case.strip(), stem.strip()
        return content, key

    def to_gift(self, lang_content, answer):
        gift = super().to_gift(lang_content, answer)
        if lang_content.get("case"):
            gift.text = f"{lang_content['case']}\n\n{gift.text}"
        return gift


class TrueFalseFields:
    truth = SelectField(_l("The statement is"), choices=[("true", _l("True")), ("false", _l("False"))])
    feedback_right = TextAreaField(_l("Feedback for a right answer"), render_kw={"rows": 2})
    feedback_wrong = TextAreaField(_l("Feedback for a wrong answer"), render_kw={"rows": 2})


@register
class TrueFalse(QuestionType):
    name = "true_false"
    label = _l("True or false")
    template = "quizzes/types/_true_false.html"
    shuffle_options = False
    form_mixin = TrueFalseFields

    def option_ids(self, content, answer):
        return ["true", "false"]

    def view(self, lang_content):
        return {"text": lang_content.get("text", ""), "format": lang_content.get("format", "plain"), "options": {}}

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

    def from_gift(self, question, option_ids):
        content = {**_common(question), "feedback_right": question.feedback_right,
                   "feedback_wrong": question.feedback_wrong}
        return content, {"value": bool(question.truth)}

    def to_gift(self, lang_content, answer):
        gift = _gift_head(lang_content)
        gift.kind, gift.truth = "truefalse", bool(answer.get("value"))
        gift.feedback_right = lang_content.get("feedback_right", "")
        gift.feedback_wrong = lang_content.get("feedback_wrong", "")
        return gift


def type_for_gift(question: GiftQuestion) -> QuestionType:
    """The type a parsed GIFT question becomes: its `// type:` line, else the first type that fits."""
    if question.meta_type:
        qtype = get_type(question.meta_type)
        if (question.kind == "truefalse") != isinstance(qtype, TrueFalse):
            raise ValueError(f"'// type: {question.meta_type}' does not fit its answers")
        if isinstance(qtype, SingleChoice) and not any(a.marker == "=" for a in question.answers):
            raise ValueError(f"a {question.meta_type} question needs one right answer marked '='")
        return qtype
    for qtype in TYPES.values():
        if qtype.matches_gift(question):
            return qtype
    raise ValueError("no question type fits these answers")
