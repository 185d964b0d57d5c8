"""The dashboard's filter form (GET, so a filtered view is a link) and the remind button."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from accounts.models import CATEGORIES
from reports.words import gettext as _
from training.statuses import LISTED_BY_NAME, N_, STATUS

LIST_SORTS = ("since", "-since", "name", "-name", "unit", "-unit")
HQ_SORTS = ("mission", "-mission", "people", "-people", "cleared", "-cleared", "overdue", "-overdue",
            "overdue_count", "-overdue_count", "trend", "-trend")


def _optional_int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


# The filter fields' labels, by field (the page draws all but `page`).
FILTER_LABELS = {"requirement": N_("Requirement"), "unit": N_("Unit"), "category": N_("Category"),
                 "status": N_("Status"), "q": N_("Name or service number"), "sort": N_("Sort by"), "page": N_("Page")}


class DashboardFilterForm(FlaskForm):
    """Which requirement the breakdowns describe, and the overdue list's filters, sort and page."""

    class Meta:
        csrf = False  # a GET form: the filters are part of the link

    requirement = SelectField(_l(FILTER_LABELS["requirement"]), coerce=_optional_int, validate_choice=False)
    unit = SelectField(_l(FILTER_LABELS["unit"]), coerce=_optional_int, validate_choice=False)
    category = SelectField(_l(FILTER_LABELS["category"]), validate_choice=False)
    status = SelectField(_l(FILTER_LABELS["status"]), validate_choice=False)
    q = StringField(_l(FILTER_LABELS["q"]), validators=[Optional(), Length(max=80)])
    sort = SelectField(_l(FILTER_LABELS["sort"]), validate_choice=False)
    page = IntegerField(_l(FILTER_LABELS["page"]), validators=[Optional(), NumberRange(min=1, max=100_000)])

    def build_choices(self, requirements, units) -> None:
        """The choices and the labels, their words translated here with the request's catalogue
        (reports.words): as lazy strings each was asked of flask_babel again when its option or
        label was drawn, 8 microseconds a word, 26 words a dashboard. Marked safe as the lazy
        strings drew themselves."""
        for name, words in FILTER_LABELS.items():
            self[name].label.text = _shown(_(words))
        self.requirement.choices = [(line.requirement.id, line.course_title) for line in requirements]
        self.unit.choices = [("", _shown(_("All units"))), *[(key, code) for key, code in units],
                             (0, _shown(_("No unit")))]
        self.category.choices = [("", _shown(_("All categories"))),
                                 *[(c, _shown(_(label))) for c, label in zip(CATEGORIES, CATEGORY_LABELS, strict=True)]]
        self.status.choices = [("", _shown(_("Overdue or expired"))),
                               *((key, _shown(_(STATUS[key].label))) for key in LISTED_BY_NAME)]
        self.sort.choices = [(key, _shown(words)) for key, words in (
            ("since", _("Longest overdue first")), ("-since", _("Most recently overdue first")),
            ("name", _("Name (A to Z)")), ("-name", _("Name (Z to A)")),
            ("unit", _("Unit (A to Z)")), ("-unit", _("Unit (Z to A)")))]

    def drawn(self, name: str) -> Markup:
        """The filter `name` (a select, or the search box) as templates/_macros/forms.html's
        field() draws it with no hint, drawn here: the macro and WTForms' widgets took about 0.19 ms
        for the page's five filters, 3% of a small mission's dashboard (issue #14). The selects'
        options are chosen as SelectField chooses them; the search box (and a field with an error)
        is still drawn by its WTForms widget. tests/test_reports_dashboard.py holds the two equal."""
        field = self[name]
        if field.errors:
            widget = field(**{"aria-describedby": f"{field.id}-error", "aria-invalid": "true"})
            error = f'<p class="error" id="{escape(field.id)}-error">{Markup(" ").join(field.errors)}</p>'
        else:
            widget = _select(field) if isinstance(field, SelectField) else field()
            error = ""
        return Markup(  # noqa: S704 (every value is escaped: the label's text is our own catalogue's, as the macro draws it)
            f'<div class="field{" has-error" if field.errors else ""}">\n  \n'
            f'    <label for="{escape(field.id)}">{escape(field.label.text)}</label>\n    \n    \n    \n    \n'
            f'    {widget}\n  \n  {error}\n</div>')

    def cleaned(self) -> dict:
        """The filters that are valid; anything malformed is dropped rather than refused."""
        self.validate()
        return {
            "requirement": self.requirement.data if isinstance(self.requirement.data, int) else None,
            "unit": self.unit.data if isinstance(self.unit.data, int) else None,
            "category": self.category.data if self.category.data in CATEGORIES else None,
            "status": self.status.data if self.status.data in LISTED_BY_NAME else None,
            "q": (self.q.data or "").strip()[:80] or None,
            "sort": self.sort.data if self.sort.data in LIST_SORTS else "since",
            "page": self.page.data if isinstance(self.page.data, int) and not self.page.errors else 1,
        }


CATEGORY_LABELS = (N_("Military"), N_("Police"), N_("Civilian"))


def _select(field: SelectField) -> str:
    """What WTForms' Select widget draws for a select with no groups and no flags: an option is
    selected when its coerced value equals the field's data, as SelectField decides."""
    data, coerce = field.data, field.coerce
    options = "".join(f'<option {"selected " if coerce(value) == data else ""}value="{escape(value)}">{escape(label)}</option>'
                      for value, label in field.choices or ())
    return f'<select id="{escape(field.id)}" name="{escape(field.name)}">{options}</select>'


def _shown(words: str) -> Markup:
    """A translation as a lazy string draws itself in a form: not escaped (our own catalogue)."""
    return Markup(words)  # noqa: S704


class RemindForm(FlaskForm):
    """The remind button: `person` is a user id from the overdue list, or "all"."""

    person = HiddenField(validators=[DataRequired(), Length(max=20)])
    back = HiddenField()  # the dashboard's query string, to come back to the same filtered view


class SlipsForm(FlaskForm):
    """Print activation slips: a unit (0: the whole mission), and whether only for those never signed in."""

    unit = IntegerField(validators=[Optional(), NumberRange(min=0)], default=0)
    who = SelectField(choices=[("never", _l("Never signed in")), ("all", _l("Everyone"))],
                      validators=[DataRequired()])


class RosterSlipsForm(FlaskForm):
    """Print slips for the people one roster import created: their ids, signed by the import page."""

    created = HiddenField(validators=[DataRequired(), Length(max=4000)])
