from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField


class LanguageForm(FlaskForm):
    lang = SelectField("Language", choices=[("en", "English"), ("fr", "Français"), ("ar", "العربية")])
    next = HiddenField()


class EmptyForm(FlaskForm):
    """For POST-only buttons, so that CSRF is always checked."""
