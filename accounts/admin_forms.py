"""Forms of the admin screens: missions, units, people, deployments, roles, roster upload."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select
from wtforms import BooleanField, DateField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from accounts.forms import strong_password
from accounts.models import MISSION_SCOPED_ROLES, Mission, Unit, User
from core.labels import CATEGORY_NAMES, KIND_NAMES
from core.languages import choices as language_choices
from core.languages import codes as language_codes
from extensions import db

# Read when the label is shown, so it lists this app's languages.
_codes_listed = LazyString(lambda: ", ".join(language_codes()))
CODE_PATTERN = Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                      message=_l("Use letters, digits, dots, dashes and underscores only."))


def _upper(value: str | None) -> str | None:
    return value.strip().upper() if isinstance(value, str) else value


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _email(value: str | None) -> str | None:
    # Sign-in matches emails without regard to case, so they are stored in one case.
    return (value.strip().lower() or None) if isinstance(value, str) else value


class MissionForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20), CODE_PATTERN], filters=[_upper])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    kind = SelectField(_l("Kind"), choices=list(KIND_NAMES.items()))
    country = StringField(_l("Country"), validators=[DataRequired(), Length(max=100)], filters=[_strip])
    languages = StringField(_l("Languages (comma-separated codes: %(codes)s)", codes=_codes_listed),
                            validators=[DataRequired(), Length(max=40)], default="en")

    def __init__(self, *args, mission: Mission | None = None, **kwargs):
        super().__init__(*args, obj=mission, **kwargs)
        self._mission = mission

    def validate_code(self, field) -> None:
        other = db.session.scalar(select(Mission).where(func.upper(Mission.code) == field.data))
        if other is not None and other is not self._mission:
            raise ValidationError(_l("Another mission already uses this code."))

    def validate_languages(self, field) -> None:
        codes = [c.strip().lower() for c in field.data.split(",") if c.strip()]
        if not codes or any(c not in language_codes() for c in codes):
            raise ValidationError(_l("Use language codes from: %(codes)s.", codes=", ".join(language_codes())))
        field.data = ",".join(dict.fromkeys(codes))


class UnitForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40), CODE_PATTERN], filters=[_upper])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], filters=[_strip])

    def __init__(self, *args, mission: Mission, unit: Unit | None = None, **kwargs):
        super().__init__(*args, obj=unit, **kwargs)
        self._mission, self._unit = mission, unit

    def validate_code(self, field) -> None:
        other = db.session.scalar(select(Unit).where(Unit.mission_id == self._mission.id,
                                                     func.upper(Unit.code) == field.data))
        if other is not None and other is not self._unit:
            raise ValidationError(_l("This mission already has a unit with this code."))


class PersonForm(FlaskForm):
    service_number = StringField(_l("Service number"), validators=[DataRequired(), Length(max=40)], filters=[_upper])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    email = StringField(_l("Email (optional)"), validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
                        filters=[_email])
    category = SelectField(_l("Category"), choices=list(CATEGORY_NAMES.items()))
    rank = StringField(_l("Rank"), validators=[Optional(), Length(max=60)], filters=[_strip])
    preferred_language = SelectField(_l("Preferred language"), choices=language_choices)

    def __init__(self, *args, person: User | None = None, **kwargs):
        super().__init__(*args, obj=person, **kwargs)
        self._person = person

    def _taken(self, clause) -> bool:
        other = db.session.scalar(select(User).where(clause))
        return other is not None and other is not self._person

    def validate_service_number(self, field) -> None:
        if self._taken(User.service_number == field.data):
            raise ValidationError(_l("Another person already has this service number."))

    def validate_email(self, field) -> None:
        if field.data and self._taken(func.lower(User.email) == field.data):
            raise ValidationError(_l("Another person already uses this email address."))


class NewPersonForm(PersonForm):
    """Add a person and, usually, their first deployment (the view fills the choices)."""

    mission_id = SelectField(_l("Mission"), coerce=int, default=0)
    unit_id = SelectField(_l("Unit"), coerce=int, default=0)
    arrival_on = DateField(_l("Arrival date"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Here, not in validate_arrival_on: Optional() stops an empty field's own validators.
        if self.mission_id.data and not self.arrival_on.data and not self.arrival_on.errors:
            self.arrival_on.errors = [*self.arrival_on.errors, _l("Give the arrival date in the mission.")]
            valid = False
        return valid

    def validate_unit_id(self, field) -> None:
        if field.data and not self.mission_id.data:
            raise ValidationError(_l("Choose the unit’s mission too."))


class DeactivateForm(FlaskForm):
    """Deactivation asks for a tick first: one click must not lock a person out (works without JavaScript)."""

    confirm = BooleanField(_l("Yes, sign this person out everywhere and stop them signing in"),
                           validators=[DataRequired(message=_l("Tick the box to confirm the deactivation."))])


class DeploymentForm(FlaskForm):
    """Move a person: the view fills the choices; accounts.services.deploy checks unit and dates."""

    mission_id = SelectField(_l("Mission"), coerce=int)
    unit_id = SelectField(_l("Unit"), coerce=int)
    arrival_on = DateField(_l("Arrival date"), validators=[DataRequired()])
    submit = SubmitField(_l("Move"))

    def validate_mission_id(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose a mission."))


class RoleGrantForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[("trainer", _l("Trainer")), ("mission_lead", _l("Mission lead")),
                                            ("mission_trainer", _l("Mission trainer")),
                                            ("hq", _l("HQ focal point")), ("admin", _l("Administrator"))])
    mission_id = SelectField(_l("Mission (mission leads and mission trainers only)"), coerce=int)
    submit = SubmitField(_l("Grant role"))

    def validate_mission_id(self, field) -> None:
        if self.role.data == "mission_lead" and not field.data:
            raise ValidationError(_l("Choose the mission this person leads."))
        if self.role.data == "mission_trainer" and not field.data:
            raise ValidationError(_l("Choose the mission this person trains in."))
        if self.role.data not in MISSION_SCOPED_ROLES and field.data:
            raise ValidationError(_l("Only mission leads and mission trainers are given a mission; "
                                     "leave it empty for this role."))


class SetPasswordForm(FlaskForm):
    new = PasswordField(_l("Temporary password"), validators=[DataRequired(), Length(max=200), strong_password],
                        render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Set temporary password"))


class PeopleFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField(_l("Search name, service number or email"), validators=[Optional(), Length(max=100)],
                    filters=[_strip])
    mission = SelectField(_l("Mission"), coerce=int, default=0)
    unit = SelectField(_l("Unit"), coerce=int, default=0)
    category = SelectField(_l("Category"), choices=[("", _l("Any")), *CATEGORY_NAMES.items()],
                           default="")


class RosterUploadForm(FlaskForm):
    file = FileField(_l("Roster file (CSV, UTF-8, at most 2 MB)"), validators=[FileRequired(_l("Choose a CSV file."))],
                     render_kw={"accept": ".csv,text/csv"})
    submit = SubmitField(_l("Check the file"))


class RosterApplyForm(FlaskForm):
    """Carries the checked file back, signed by the server; see accounts.roster.sign_upload."""

    payload = HiddenField(validators=[DataRequired()])
    apply_all = SubmitField(_l("Apply"))
    apply_good = SubmitField(_l("Import the good rows only"))
