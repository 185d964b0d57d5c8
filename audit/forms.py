from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import Length, Optional


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter form

    action = StringField(_l("Action"), validators=[Optional(), Length(max=60)])
    target = StringField(_l("Target"), validators=[Optional(), Length(max=120)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
