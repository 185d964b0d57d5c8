"""Characters the platform never stores (pure: no Flask). Used by the request check and by imports.

A NUL byte makes PostgreSQL raise and SQLite store a value nobody can type again; other C0/C1
controls are invisible on the page. Bidirectional controls can make one identifier look like
another (U+202E turns "ABC-123" around), so identifiers refuse them and names have them removed.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL. Carriage return stays allowed in text: browsers send CRLF line ends.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_OR_LINE_BREAK = re.compile("[\x00-\x1f\x7f-\x9f]")
BIDI = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


def has_control(text: str, *, single_line: bool = False) -> bool:
    return bool((CONTROL_OR_LINE_BREAK if single_line else CONTROL).search(text))


def bad_identifier(text: str) -> bool:
    """An identifier (service number, e-mail, code, slug) holds a control or bidi character."""
    return bool(CONTROL_OR_LINE_BREAK.search(text) or BIDI.search(text))


def strip_bidi(text: str) -> str:
    return BIDI.sub("", text)
