"""Sign-in and password forms. The admin screens' forms are in accounts.admin_forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from accounts.passwords import password_problem

LANGUAGE_CHOICES = [("en", "English"), ("fr", "Français"), ("ar", "العربية")]  # each in its own language


class SignInForm(FlaskForm):
    identifier = StringField(_l("Email or service number"), validators=[DataRequired(), Length(max=254)],
                             render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in on this device for 14 days"))
    next = HiddenField()


def strong_password(form, field) -> None:
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200), strong_password],
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"), validators=[DataRequired(), EqualTo("new", _l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})


class ActivateForm(FlaskForm):
    """The slip's service number and code, then the person's own password and language."""

    service_number = StringField(_l("Service number"), validators=[DataRequired(), Length(max=40)],
                                 render_kw={"autocomplete": "username", "autocapitalize": "characters",
                                            "spellcheck": "false"})
    code = StringField(_l("Activation code"), validators=[DataRequired(), Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters",
                                  "spellcheck": "false", "placeholder": "XXXX-XXXX-XXXX"})
    password = PasswordField(_l("Choose a password"), validators=[DataRequired(), Length(max=200), strong_password],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("The same password again"),
                            validators=[DataRequired(), EqualTo("password", _l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})
    language = SelectField(_l("Your language"), choices=LANGUAGE_CHOICES)
