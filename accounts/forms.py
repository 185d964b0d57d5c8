"""Sign-in and password forms. The admin screens' forms are in accounts.admin_forms."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from accounts.models import User
from accounts.passwords import password_problem
from core.languages import choices as language_choices
from core.text import strip_bidi
from extensions import db

ARABIC_LETTER = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u024f]")


class SignInForm(FlaskForm):
    """templates/accounts/sign_in.html writes its fields out (and their autocomplete hints): it
    reads the labels, maximum lengths and errors from here."""

    identifier = StringField(_l("Email or service number"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
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


class ForgotPasswordForm(FlaskForm):
    identifier = StringField(_l("Email or service number"), validators=[DataRequired(), Length(max=254)],
                             render_kw={"autocomplete": "username", "autocapitalize": "none"})


class ResetPasswordForm(FlaskForm):
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200), strong_password],
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"), validators=[DataRequired(), EqualTo("new", _l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})


def _name(value: str | None) -> str | None:
    # Bidi controls could make a printed name read differently from the one typed (core.text).
    return " ".join(strip_bidi(value).split()) if isinstance(value, str) else value


def _email(value: str | None) -> str | None:
    # Sign-in matches emails without regard to case, so they are stored in one case.
    return (value.strip().lower() or None) if isinstance(value, str) else value


class ProfileForm(FlaskForm):
    """The person's own details: the names printed on certificates, language, e-mail."""

    name = StringField(_l("Name on certificates (Latin letters)"), validators=[DataRequired(), Length(max=200)],
                       filters=[_name], render_kw={"autocomplete": "name", "dir": "ltr"})
    name_arabic = StringField(_l("Name on certificates in Arabic script (optional)"),
                              validators=[Optional(), Length(max=200)], filters=[_name],
                              render_kw={"dir": "rtl", "lang": "ar"})
    preferred_language = SelectField(_l("Language"), choices=language_choices)
    email = StringField(_l("Email (optional)"), validators=[Optional(), Email(check_deliverability=False),
                                                          Length(max=254)],
                        filters=[_email], render_kw={"autocomplete": "email", "autocapitalize": "none", "dir": "ltr"})

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, obj=user, **kwargs)
        self._user = user

    def validate_name(self, field) -> None:
        if not LATIN_LETTER.search(field.data or ""):
            raise ValidationError(_l("Write your name in Latin letters, as in your passport."))

    def validate_name_arabic(self, field) -> None:
        if field.data and (not ARABIC_LETTER.search(field.data) or LATIN_LETTER.search(field.data)):
            raise ValidationError(_l("Write this name in Arabic script only, or leave it empty."))

    def validate_email(self, field) -> None:
        if field.data:
            other = db.session.scalar(select(User).where(func.lower(User.email) == field.data))
            # Compared by id: the view passes current_user, a proxy that is never `is` the row.
            if other is not None and other.id != self._user.id:
                raise ValidationError(_l("Another person already uses this email address."))


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
    language = SelectField(_l("Your language"), choices=language_choices)
