"""The dashboard tables' cells: the shortcut around escape() writes exactly what escape() writes."""

from __future__ import annotations

import pytest
from markupsafe import Markup, escape

from reports.screen import escaped


@pytest.mark.parametrize("value", [
    "Amani Kabila", "", "N'Diaye", 'say "hi"', "<script>alert(1)</script>", "R&D", "a > b",
    "/missions/1/people/42/slip", "/missions/1/dashboard?unit=2&q=a", "بيانات", 0, 42, -7,
    Markup("<b>kept</b>"), 3.5, None,
])
def test_escaped_writes_what_escape_writes(value):
    assert str(escaped(value)) == str(escape(value))
    assert isinstance(escaped(value), str)
