"""Forms for planning a session, taking attendance without JavaScript, and attaching a scan."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from accounts.models import User
from training.forms import MultiCheckboxField

SCORE_RANGE = NumberRange(min=0, max=100, message=_l("Give a score from 0 to 100."))


class ChooseForm(FlaskForm):
    """Step one of planning (a GET form): the course and the mission decide the other choices."""

    class Meta:
        csrf = False

    course = SelectField(_l("Course"), coerce=int, validators=[InputRequired()])
    mission = SelectField(_l("Mission"), coerce=int, validators=[InputRequired()])


class PlanForm(FlaskForm):
    modules = MultiCheckboxField(_l("Modules taught (none ticked: the whole course)"), coerce=int, choices=[])
    units = MultiCheckboxField(_l("Units"), coerce=int, choices=[])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=200)])
    held_on = DateField(_l("Date"), validators=[DataRequired()])
    language = SelectField(_l("Language of the session and its sheet"), choices=[])
    pass_mark = IntegerField(_l("Pass mark on the paper quiz (%)"), default=70,
                             validators=[InputRequired(), NumberRange(min=0, max=100)])
    trainers = MultiCheckboxField(_l("Trainers"), coerce=int, choices=[])
    submit = SubmitField(_l("Plan the session"))

    def validate_units(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose at least one unit."))


class EvidenceForm(FlaskForm):
    scan = FileField(_l("Scanned signed sheet (JPEG, PNG, WebP or GIF)"),
                     validators=[FileRequired(_l("Choose a picture of the signed sheet."))])
    submit = SubmitField(_l("Attach the scan"))


class AttendanceFormBase(FlaskForm):
    walk_in = StringField(_l("Walk-in: service number"), validators=[
        Optional(), Length(max=40), Regexp(r"^[A-Za-z0-9/_.-]+$", message=_l("Type the service number only."))])
    walk_in_score = IntegerField(_l("Walk-in's score (%)"), validators=[Optional(), SCORE_RANGE])
    submit = SubmitField(_l("Save attendance"))


def present_field(person: User) -> str:
    return f"p{person.id}"


def score_field(person: User) -> str:
    return f"s{person.id}"


def attendance_form(people: list[User], **kwargs) -> AttendanceFormBase:
    """The plain-form version of the attendance page: a tick and a score per person on the sheet."""

    class AttendanceForm(AttendanceFormBase):
        pass

    for person in people:
        setattr(AttendanceForm, present_field(person), BooleanField(_l("Present")))
        setattr(AttendanceForm, score_field(person), IntegerField(_l("Score (%)"), validators=[Optional(), SCORE_RANGE]))
    return AttendanceForm(**kwargs)
