"""Forms for authoring courses, modules and lessons, and for setting requirements."""

from __future__ import annotations

from functools import cache

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from accounts.models import CATEGORIES
from core.languages import choices as language_choices
from core.languages import codes as language_codes

CATEGORY_CHOICES = [("military", _l("Military")), ("police", _l("Police")), ("civilian", _l("Civilian"))]
KIND_CHOICES = [("peacekeeping", _l("Peacekeeping")), ("political", _l("Political")),
                ("peacebuilding", _l("Peacebuilding"))]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class CourseForm(FlaskForm):
    code = StringField(_l("Course code"), validators=[
        DataRequired(), Length(max=40),
        Regexp(r"^[a-z0-9][a-z0-9-]*$", message=_l("Use lowercase letters, digits and dashes, e.g. cp-peace-ops."))])
    validity_months = IntegerField(_l("Certificate valid for (months)"), default=36,
                                   validators=[InputRequired(), NumberRange(min=1, max=120)])
    renewal_window_days = IntegerField(_l("Renewal opens this many days before expiry"), default=60,
                                       validators=[InputRequired(), NumberRange(min=0, max=365)])
    languages = MultiCheckboxField(_l("Languages offered"), choices=language_choices, default=["en"],
                                   validators=[DataRequired(message=_l("Choose at least one language."))])
    default_language = SelectField(_l("Default language"), choices=language_choices, default="en")
    submit = SubmitField(_l("Save course"))
    # title_<code> and description_<code> for each configured language: see course_form.

    def texts(self, prefix: str) -> dict:
        return {code: (self[f"{prefix}_{code}"].data or "").strip() for code in language_codes()}


def course_form(**kwargs) -> CourseForm:
    """The course form with a title and a description field for each of this app's languages."""
    return _course_form_class(language_codes())(**kwargs)


def _name_in_interface_language(code: str) -> LazyString:
    # "Title in French" / "Titre en français" / "العنوان بالفرنسية": the language named in the
    # reader's language (CLDR), when the label is shown.
    return LazyString(lambda: Locale.parse(code).get_display_name(get_locale()))


@cache
def _course_form_class(codes: tuple[str, ...]) -> type[CourseForm]:
    fields = {}
    for code in codes:
        name = _name_in_interface_language(code)
        fields[f"title_{code}"] = StringField(_l("Title in %(language)s", language=name),
                                              validators=[Optional(), Length(max=200)])
        fields[f"description_{code}"] = TextAreaField(_l("Description in %(language)s", language=name),
                                                      validators=[Optional(), Length(max=2000)])
    return type("CourseForm", (CourseForm,), fields)


class CourseCopyForm(FlaskForm):
    code = StringField(_l("Code of your copy"), validators=[
        DataRequired(), Length(max=40),
        Regexp(r"^[a-z0-9][a-z0-9-]*$", message=_l("Use lowercase letters, digits and dashes, e.g. cp-peace-ops."))])
    submit = SubmitField(_l("Copy into a new course"))


class CourseAudienceForm(FlaskForm):
    """Who is offered an optional course. Nothing ticked at all: offered to nobody."""

    missions = MultiCheckboxField(_l("These missions"), coerce=int, choices=[])
    kinds = MultiCheckboxField(_l("Every mission of these kinds"), choices=KIND_CHOICES)
    categories = MultiCheckboxField(_l("People in these categories"), choices=CATEGORY_CHOICES)
    languages = MultiCheckboxField(_l("Who read one of these languages"), choices=[])
    submit = SubmitField(_l("Save who is offered the course"))

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        chosen = [self.missions.data, self.kinds.data, self.categories.data, self.languages.data]
        if not any(chosen):
            return True  # offered to nobody
        ok = True
        if not (self.missions.data or self.kinds.data):
            self.missions.errors.append(_l("Choose at least one mission or kind of mission."))
            ok = False
        if not self.categories.data:
            self.categories.errors.append(_l("Choose at least one category."))
            ok = False
        if not self.languages.data:
            self.languages.errors.append(_l("Choose at least one language."))
            ok = False
        return ok


class CoAuthorForm(FlaskForm):
    identifier = StringField(_l("Service number or email of a trainer"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Add co-author"))


class ModuleNewForm(FlaskForm):
    title = StringField(_l("Title of the new module"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(_l("Short name (optional)"), validators=[
        Optional(), Length(max=60),
        Regexp(r"^[a-z0-9][a-z0-9-]*$", message=_l("Use lowercase letters, digits and dashes."))])
    submit = SubmitField(_l("Add module"))


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])


class ModuleDetailsForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=2000)])
    objectives = TextAreaField(_l("Learning objectives (one per line)"), validators=[Optional(), Length(max=4000)])
    minutes = IntegerField(_l("Estimated minutes"), default=15, validators=[InputRequired(), NumberRange(min=1, max=600)])
    sources = TextAreaField(_l("Sources (one per line, the same for every language)"),
                            validators=[Optional(), Length(max=4000)])
    submit = SubmitField(_l("Save details"))


class LessonNewForm(FlaskForm):
    title = StringField(_l("Title of the new lesson"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Add lesson"))


class LessonForm(FlaskForm):
    title = StringField(_l("Lesson title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Text (Markdown)"), validators=[Optional(), Length(max=50_000)])
    save = SubmitField(_l("Save lesson"))
    preview = SubmitField(_l("Preview without saving"))


class ImageForm(FlaskForm):
    image = FileField(_l("Picture (JPEG, PNG, WebP or GIF, up to 5 MB)"), validators=[FileRequired()])
    alt = StringField(_l("What the picture shows (for people who cannot see it)"),
                      validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Upload and add to the lesson"))


SATISFIED_BY_CHOICES = [("either", _l("Online or in person")), ("online", _l("Online only")),
                        ("in_person", _l("In person only: a session with a pass mark on the paper quiz"))]


class RequirementForm(FlaskForm):
    course_id = SelectField(_l("Course"), coerce=int, validators=[InputRequired()])
    mission_kind = SelectField(_l("Every mission of this kind"), choices=KIND_CHOICES)
    categories = MultiCheckboxField(_l("Required of"), choices=CATEGORY_CHOICES, default=list(CATEGORIES),
                                    validators=[DataRequired(message=_l("Choose at least one category of staff."))])
    due_days = IntegerField(_l("Due, in days after arrival (negative: before arrival)"), default=14,
                            validators=[InputRequired(), NumberRange(min=-730, max=730)])
    satisfied_by = SelectField(_l("Satisfied by"), choices=SATISFIED_BY_CHOICES, default="either")
    submit = SubmitField(_l("Add requirement"))


class RequirementEditForm(FlaskForm):
    categories = MultiCheckboxField(_l("Required of"), choices=CATEGORY_CHOICES,
                                    validators=[DataRequired(message=_l("Choose at least one category of staff."))])
    due_days = IntegerField(_l("Due, in days after arrival (negative: before arrival)"),
                            validators=[InputRequired(), NumberRange(min=-730, max=730)])
    satisfied_by = SelectField(_l("Satisfied by"), choices=SATISFIED_BY_CHOICES)
    submit = SubmitField(_l("Save requirement"))
