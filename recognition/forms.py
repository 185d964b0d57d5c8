"""Forms for recording outside certificates, one by one or from a CSV file."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional


class OutsideCertificateForm(FlaskForm):
    issuer = StringField(_l("Issued by"), validators=[DataRequired(), Length(max=200)])
    course_name = StringField(_l("Course name on the certificate"), validators=[DataRequired(), Length(max=300)])
    completed_on = DateField(_l("Completed on"), validators=[DataRequired()])
    certificate_expires_on = DateField(_l("The certificate expires on (if it says)"), validators=[Optional()])
    recognised_until = DateField(_l("Recognised until (it stops counting on this day)"), validators=[DataRequired()])
    evidence = FileField(_l("Evidence: a photo or scan of the certificate (JPEG, PNG or WebP)"),
                         render_kw={"accept": "image/jpeg,image/png,image/webp"})
    submit = SubmitField(_l("Save"))


class NewOutsideCertificateForm(OutsideCertificateForm):
    service_number = StringField(_l("Service number"), validators=[DataRequired(), Length(max=40)])
    requirement_id = SelectField(_l("Counts for the requirement"), coerce=int, validators=[DataRequired()])
    submit = SubmitField(_l("Record"))


class RecognitionUploadForm(FlaskForm):
    file = FileField(_l("File (CSV, UTF-8, at most 2 MB)"), validators=[FileRequired(_l("Choose a CSV file."))],
                     render_kw={"accept": ".csv,text/csv"})
    submit = SubmitField(_l("Check the file"))


class RecognitionApplyForm(FlaskForm):
    """Carries the checked file back, signed by the server (recognition.bulk.sign_upload)."""

    payload = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Record them all"))
