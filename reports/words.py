"""gettext for the dashboards' Python code, with the request's catalogue looked up once.

flask_babel's gettext finds the domain, the locale and the catalogue again for every string
(about 8 microseconds each). A mission dashboard's tables, charts and cells translate some 150
strings in Python, headers and labels mostly: more than a millisecond of the page at 10,000
people (issue #14). `gettext` here takes the catalogue the templates use, kept for the request by
core.templating, and does what flask_babel's does with it: the translation, %-formatted with the
variables when there are any. Outside an app context (no request to keep it for) it is
flask_babel's own.
"""

from __future__ import annotations

from flask import has_app_context
from flask_babel import gettext as babel_gettext
from flask_babel import ngettext as babel_ngettext

from core.templating import request_translations as request_catalogue


def gettext(string: str, **variables) -> str:
    if not has_app_context():
        return babel_gettext(string, **variables)
    translated = request_catalogue().ugettext(string)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """flask_babel's ngettext likewise: the form for `num`, %-formatted with num and the variables."""
    if not has_app_context():
        return babel_ngettext(singular, plural, num, **variables)
    variables.setdefault("num", num)
    return request_catalogue().ungettext(singular, plural, num) % variables


def catalogue():
    """The catalogue gettext translates with here (None outside an app context): a key for what is
    made from translations once per process and language (reports.exports' columns)."""
    return request_catalogue() if has_app_context() else None
