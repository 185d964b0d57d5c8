"""Forms: answering a page of an attempt, and the trainer's question, settings and GIFT screens."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from core.languages import choices as language_choices
from quizzes.models import Layout, ReviewMode, ReviewWhen
from quizzes.registry import QuestionType


class AttemptPageForm(FlaskForm):
    """Buttons of a page of an attempt; the answer fields are added per page by attempt_form()."""

    previous = SubmitField(_l("Save and go back"))
    save = SubmitField(_l("Save"))
    next = SubmitField(_l("Save and go on"))
    finish = SubmitField(_l("Save and finish"))


def attempt_form(question_ids: list[int], **kwargs) -> AttemptPageForm:
    """A form that reads only the answer fields of the questions on this page.

    Values are filtered against the attempt's own option ids by the question type, so a posted
    score, "correct" flag or unknown field is never read.
    """
    fields = {f"q{qid}": SelectMultipleField(validate_choice=False, choices=[]) for qid in question_ids}
    form_class = type("AttemptPage", (AttemptPageForm,), fields)
    return form_class(**kwargs)


class FinishForm(FlaskForm):
    submit = SubmitField(_l("Submit my answers"))


# -- authoring --------------------------------------------------------------------------------

FORMAT_CHOICES = [("plain", _l("Plain text")), ("markdown", _l("Markdown"))]


class QuestionBaseForm(FlaskForm):
    key = StringField(_l("Question id"), validators=[DataRequired(), Length(max=80),
                      Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", message=_l("Letters, digits, '.', '_' and '-' only."))])
    tags = StringField(_l("Tags (comma-separated)"), validators=[Length(max=300)])
    is_critical = BooleanField(_l("Critical: a learner who gets this wrong does not pass"))
    text = TextAreaField(_l("Question"), validators=[DataRequired(), Length(max=5000)], render_kw={"rows": 4})
    format = SelectField(_l("Text format"), choices=FORMAT_CHOICES, default="plain")
    general_feedback = TextAreaField(_l("General feedback (shown in the review)"), validators=[Length(max=5000)],
                                     render_kw={"rows": 2})
    submit = SubmitField(_l("Save question"))


def question_form(qtype: QuestionType, content: dict | None = None, answer: dict | None = None,
                  **kwargs) -> QuestionBaseForm:
    """The question form for `qtype` (editing `content` and `answer`, or a new question): the
    shared fields plus the type's own."""
    return qtype.build_form(QuestionBaseForm, content, answer, **kwargs)


class QuizSettingsForm(FlaskForm):
    draw_count = IntegerField(_l("Questions drawn per attempt (0: all)"), default=0,
                              validators=[InputRequired(), NumberRange(0, 500)])
    draw_per_tag = StringField(_l("Or draw per tag, e.g. \"mrm: 2, listing: 1\" (replaces the number above)"),
                               validators=[Optional(), Length(max=500)])
    min_critical = IntegerField(_l("At least this many critical questions in every attempt"), default=0,
                                validators=[Optional(), NumberRange(0, 100)])  # empty: no minimum
    shuffle_questions = BooleanField(_l("Shuffle the questions"))
    shuffle_options = BooleanField(_l("Shuffle the options"))
    pass_mark = IntegerField(_l("Pass mark (%)"), default=80, validators=[InputRequired(), NumberRange(0, 100)])
    attempt_limit = IntegerField(_l("Attempts allowed (empty: no limit)"), validators=[Optional(), NumberRange(1, 100)])
    cooldown_minutes = IntegerField(_l("Minutes to wait between attempts"), default=0,
                                    validators=[InputRequired(), NumberRange(0, 60 * 24 * 30)])
    time_limit_minutes = IntegerField(_l("Time limit in minutes (empty: none)"),
                                      validators=[Optional(), NumberRange(1, 600)])
    review_mode = SelectField(_l("After an attempt, the learner sees"), choices=[
        (ReviewMode.NONE.value, _l("Only the score")),
        (ReviewMode.WRONG.value, _l("Which questions were wrong")),
        (ReviewMode.FEEDBACK.value, _l("The right answers and the feedback")),
    ])
    review_when = SelectField(_l("The review is shown"), choices=[
        (ReviewWhen.AFTER_EACH.value, _l("After each attempt")),
        (ReviewWhen.AFTER_PASS.value, _l("Once the learner has passed")),
        (ReviewWhen.AFTER_LAST.value, _l("After the last attempt allowed (or a pass)")),
    ])
    layout = SelectField(_l("Layout"), choices=[
        (Layout.ONE_PER_PAGE.value, _l("One question per page")),
        (Layout.ALL_ON_ONE.value, _l("All questions on one page")),
    ])
    submit = SubmitField(_l("Save settings"))

    def per_tag(self) -> dict[str, int]:
        """Parse "tag: n, tag: n"; raises ValueError with a message to show."""
        result: dict[str, int] = {}
        for part in (self.draw_per_tag.data or "").split(","):
            if not part.strip():
                continue
            tag, sep, count = part.rpartition(":")
            if not sep or not tag.strip() or not count.strip().isdigit():
                raise ValueError(_l("Write each tag as \"tag: number\", separated by commas."))
            result[tag.strip().lower()] = int(count)
        return result


class GiftUploadForm(FlaskForm):
    file = FileField(_l("GIFT file"), validators=[FileRequired(), FileAllowed(["gift", "txt"], _l("A .gift or .txt file."))])
    lang = SelectField(_l("Language of the file"), choices=language_choices)
    keep_good = BooleanField(_l("If some questions are bad, import the good ones anyway"))
    submit = SubmitField(_l("Import"))
