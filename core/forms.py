from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField

from core.languages import choices as language_choices


class LanguageForm(FlaskForm):
    lang = SelectField("Language", choices=language_choices)
    next = HiddenField()
    keep = BooleanField()  # signed-in people: save it to the profile too


class EmptyForm(FlaskForm):
    """For POST-only buttons, so that CSRF is always checked."""
