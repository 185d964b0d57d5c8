"""The dashboard tables' cells: the shortcut around escape() writes exactly what escape() writes; the
dashboard's filters, drawn in Python, are what the form macro draws."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import request
from markupsafe import Markup, escape

from reports.forms import DashboardFilterForm
from reports.screen import escaped


@pytest.mark.parametrize("value", [
    "Amani Kabila", "", "N'Diaye", 'say "hi"', "<script>alert(1)</script>", "R&D", "a > b",
    "/missions/1/people/42/slip", "/missions/1/dashboard?unit=2&q=a", "بيانات", 0, 42, -7,
    Markup("<b>kept</b>"), 3.5, None,
])
def test_escaped_writes_what_escape_writes(value):
    assert str(escaped(value)) == str(escape(value))
    assert isinstance(escaped(value), str)


FILTERS = ("requirement", "unit", "category", "status", "q", "sort")


@pytest.mark.parametrize("query", [
    "", "unit=2&category=police&status=expired&sort=-name&requirement=7", "unit=0&q=Amani", "unit=abc&category=bogus",
    "requirement=99&sort=bogus&status=cleared", "q=" + "x" * 100, "q=%3Cscript%3E%26%22'", "q=" + "<b>" * 30,
])
@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
def test_the_filters_are_drawn_as_the_form_macro_draws_them(app, query, lang):
    """DashboardFilterForm.drawn against templates/_macros/forms.html's field(), for every filter,
    with choices that need escaping, a selected option or none, and the search box's error."""
    from flask import session

    macro = app.jinja_env.from_string('{% from "_macros/forms.html" import field %}{{ field(f) }}')
    lines = [SimpleNamespace(requirement=SimpleNamespace(id=7), course_title="Child Protection <Basics> & more"),
             SimpleNamespace(requirement=SimpleNamespace(id=8), course_title="Second course")]
    with app.test_request_context(f"/missions/1/dashboard?{query}"):
        session["lang"] = lang
        form = DashboardFilterForm(request.args)
        form.cleaned()
        form.build_choices(lines, [(2, "BATT-1"), (3, "R&D <unit>")])
        for name in FILTERS:
            assert str(form.drawn(name)) == macro.render(f=form[name]), name
