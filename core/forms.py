from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField


class LanguageForm(FlaskForm):
    lang = SelectField("Language", choices=[("en", "English"), ("fr", "Français"), ("ar", "العربية")])
    next = HiddenField()
    keep = BooleanField()  # signed-in people: save it to the profile too


class EmptyForm(FlaskForm):
    """For POST-only buttons, so that CSRF is always checked."""
