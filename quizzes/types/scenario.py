"""Scenario: a case (text, optionally an image), then a single-choice question."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FileField, TextAreaField

from quizzes.types.choice import ChoiceFields
from quizzes.types.single_choice import SingleChoice


class CaseFields(ChoiceFields):
    case = TextAreaField(_l("Case"), render_kw={"rows": 6})
    image = FileField(_l("Image for the case (optional)"))
    remove_image = BooleanField(_l("Remove the image"))


class Scenario(SingleChoice):
    name = "scenario"
    label = _l("Scenario")
    template_dir = "scenario"
    has_image = True
    form_mixin = CaseFields

    def view(self, lang_content):
        return {**super().view(lang_content), "case": lang_content.get("case", "")}

    def listing(self, lang_content):
        # The case comes first: its closing question ("What do you do?") is the same for many.
        lang_content = lang_content or {}
        case = " ".join(lang_content.get("case", "").split())
        text = super().listing(lang_content)
        return f"{case} — {text}" if case else text

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
