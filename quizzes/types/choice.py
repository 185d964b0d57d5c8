"""What choice questions share (single choice, multiple response, scenario): options with ids,
texts, feedback and credits. Not a type of its own."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, Form, FormField, IntegerField, TextAreaField
from wtforms.validators import NumberRange, Optional

from quizzes.gift import GiftAnswer
from quizzes.types.base import QuestionType, common_gift_content, gift_head, new_option_id

EXTRA_OPTION_SLOTS = 2  # empty options offered on the author form, to add one without JavaScript


class OptionForm(Form):
    text = TextAreaField(_l("Option"), render_kw={"rows": 2})
    feedback = TextAreaField(_l("Feedback for this option"), render_kw={"rows": 2})
    weight = IntegerField(_l("Credit (%)"), default=0, validators=[Optional(), NumberRange(-100, 100)])
    remove = BooleanField(_l("Remove this option (in every language)"))


class ChoiceFields:
    options = FieldList(FormField(OptionForm), min_entries=0)


class ChoiceType(QuestionType):
    template_dir = "choice"
    form_mixin = ChoiceFields

    def option_ids(self, content, answer):
        for lang_content in content.values():
            if lang_content and lang_content.get("options"):
                return [o["id"] for o in lang_content["options"]]
        return []

    def view(self, lang_content):
        return {**super().view(lang_content), "options": {o["id"]: o["text"] for o in lang_content.get("options", [])}}

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
    def build_form(self, base, content, answer, **kwargs):
        form = super().build_form(base, content, answer, **kwargs)
        existing = len(self.option_ids(content, answer)) if content else 2
        while len(form.options.entries) < existing + EXTRA_OPTION_SLOTS:
            form.options.append_entry()
        return form

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
    def gift_problem(self, question):
        if question.kind != "choice":
            return f"'// type: {self.name}' does not fit its answers"
        return None

    def from_gift(self, question, option_ids):
        ids = list(option_ids or [])
        if option_ids is not None and len(ids) != len(question.answers):
            raise ValueError("its answers do not match the question already in the bank (a different number of options)")
        ids += [new_option_id() for _ in range(len(question.answers) - len(ids))]
        content = common_gift_content(question)
        content["options"] = [{"id": i, "text": a.text, "feedback": a.feedback} for i, a in zip(ids, question.answers, strict=True)]
        return content, {"weights": {i: a.weight for i, a in zip(ids, question.answers, strict=True)}}

    def to_gift(self, lang_content, answer):
        gift = gift_head(lang_content)
        weights = answer.get("weights", {})
        gift.answers = [self.gift_answer(o, float(weights.get(o["id"], 0))) for o in lang_content.get("options", [])]
        return gift

    def gift_answer(self, option: dict, weight: float) -> GiftAnswer:
        return GiftAnswer(option["text"], weight, option.get("feedback", ""), "~")
