"""The <int:...> URL converter every route uses: plain ASCII digits that fit a database id.

Werkzeug's own converter takes any size and any script's digits, so /admin/people/99999999999999999999
reached the database and failed there with a 500 (SQLite cannot bind it, PostgreSQL's integer
overflows), and /admin/people/١ (an Arabic-Indic one) was another address for person 1. Anything
else is now a 404 from the router, before a view or the database sees it.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL `integer`, the type of every id column


class IdConverter(IntegerConverter):
    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
