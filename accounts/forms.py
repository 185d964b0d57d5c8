from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from accounts.models import CATEGORIES, LANGUAGES, MISSION_KINDS
from accounts.passwords import password_problem


class SignInForm(FlaskForm):
    identifier = StringField(_l("Email or service number"), validators=[DataRequired(), Length(max=254)],
                             render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in on this device for 14 days"))
    next = HiddenField()


def _strong_password(form, field) -> None:
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200), _strong_password],
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("New password again"), validators=[DataRequired(), EqualTo("new", _l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})


class SetPasswordForm(FlaskForm):
    new = PasswordField(_l("Temporary password"), validators=[DataRequired(), Length(max=200), _strong_password],
                        render_kw={"autocomplete": "new-password"})


class MissionForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=[(k, k.title()) for k in MISSION_KINDS])
    country = StringField(_l("Country"), validators=[DataRequired(), Length(max=100)])
    languages = StringField(_l("Languages (comma-separated codes: en, fr, ar)"),
                            validators=[DataRequired(), Length(max=40)], default="en")

    def validate_languages(self, field) -> None:
        codes = [c.strip() for c in field.data.split(",") if c.strip()]
        if not codes or any(c not in LANGUAGES for c in codes):
            raise ValidationError(_l("Use language codes from: en, fr, ar."))
        field.data = ",".join(dict.fromkeys(codes))


class UnitForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class PersonForm(FlaskForm):
    service_number = StringField(_l("Service number"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = StringField(_l("Email (optional)"), validators=[Optional(), Email(check_deliverability=False), Length(max=254)])
    category = SelectField(_l("Category"), choices=[(c, c.title()) for c in CATEGORIES])
    rank = StringField(_l("Rank"), validators=[Optional(), Length(max=60)])
    preferred_language = SelectField(_l("Preferred language"), choices=[("en", "English"), ("fr", "Français"), ("ar", "العربية")])


class DeploymentForm(FlaskForm):
    mission_id = SelectField(_l("Mission"), coerce=int)
    unit_id = SelectField(_l("Unit"), coerce=int)
    arrival_on = DateField(_l("Arrival date"), validators=[DataRequired()])


class RoleGrantForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[("trainer", _l("Trainer")), ("mission_lead", _l("Mission lead")),
                                            ("hq", _l("HQ focal point")), ("admin", _l("Administrator"))])
    mission_id = SelectField(_l("Mission (mission leads only)"), coerce=int)


class PeopleFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField(_l("Search name, service number or email"), validators=[Optional(), Length(max=100)])
    mission = SelectField(_l("Mission"), coerce=int, validators=[Optional()])
    unit = SelectField(_l("Unit"), coerce=int, validators=[Optional()])
    category = SelectField(_l("Category"), choices=[("", _l("Any"))] + [(c, c.title()) for c in CATEGORIES],
                           validators=[Optional()])
