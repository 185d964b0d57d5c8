"""The course package upload and its import button."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, SubmitField
from wtforms.validators import DataRequired, Regexp


class PackageUploadForm(FlaskForm):
    file = FileField(_l("Course package (ZIP)"), validators=[FileRequired(), FileAllowed(["zip"], _l("A .zip file."))])
    submit = SubmitField(_l("Check the package"))


class PackageImportForm(FlaskForm):
    """The package checked on the page before, named by its SHA-256, and the dry run that was shown."""

    upload = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{64}$")])
    digest = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{64}$")])
    name = HiddenField()
    submit = SubmitField(_l("Import as drafts"))
