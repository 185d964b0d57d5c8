"""Forms: the short-code check, revocation, and finding certificates to manage."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


def _compact(value: str | None) -> str | None:
    return "".join(value.split()).upper() if isinstance(value, str) else value


class ShortCodeForm(FlaskForm):
    """Serial and check code, both printed on the certificate: read over a phone, typed here."""

    serial = StringField(_l("Serial"), validators=[DataRequired(), Length(max=40)], filters=[_compact],
                         render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
    check_code = StringField(_l("Check code"), validators=[DataRequired(), Length(max=12)], filters=[_compact],
                             render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the revocation"), validators=[DataRequired(), Length(max=500)],
                           render_kw={"rows": 3})


class UnrevokeForm(FlaskForm):
    reason = TextAreaField(_l("Why the certificate is valid again"), validators=[DataRequired(), Length(max=500)],
                           render_kw={"rows": 3})


class CertificateSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(_l("Name or serial"), validators=[Optional(), Length(max=200)])
