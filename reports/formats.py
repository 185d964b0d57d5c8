"""Counts and days written as Babel writes them for a locale, without Babel's cost per value.

A mission dashboard writes some 170 counts and dates (the lists' days, the tables' counts), and
Babel formats each afresh: it parses the locale's pattern, makes a Decimal or a formatting object,
and looks each symbol up again, 10-20 microseconds a value, a tenth of the page's own time at
10,000 people (issue #14). Here a locale's pattern is turned once per process into plain Python
string work for the values the dashboards show: counts (whole numbers from 0 to 10 digits),
percentages rounded to whole numbers, and days (a date's year, month and day fields). Anything
else (a negative number, a fraction kept as such, a weekday in the pattern) goes to Babel.

Each fast formatter is checked against Babel when it is made, on numbers of every length from 0
to 10 digits and on days of every month; if any differs (another locale's grouping, digits or
marks), that locale and pattern use Babel for everything. Same text either way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

LARGEST = 10**10  # counts below this take the fast way (the checked samples go up to 10 digits)
NUMBER_SAMPLES = (0, 1, 7, 10, 42, 99, 100, 999, 1000, 1234, 9999, 10000, 12345, 99999, 100000, 123456,
                  999999, 1000000, 1234567, 12345678, 123456789, 1234567890, 9999999999)
FRACTION_SAMPLES = (0.0, 0.4, 0.5, 1.5, 2.5, 49.5, 66.66666666666667, 99.5, 100.0, 1234.5)
DATE_SAMPLES = tuple(date(year, month, day) for year in (1999, 2005, 2026) for month in range(1, 13)
                     for day in (1, 9, 10, 28))
_FIELD = re.compile(r"%\((\w+)\)s")


def decimal_formatter(locale: Locale | str, format: str | None = None) -> Callable[[object], str]:
    """babel.numbers.format_decimal(value, format, locale) as a function of the value."""
    return _decimal_formatter(str(locale), format)


def date_formatter(locale: Locale | str, format: str = "medium") -> Callable[[date], str]:
    """babel.dates.format_date(day, format, locale) as a function of the day (a date, not a datetime)."""
    return _date_formatter(str(locale), format)


@lru_cache(maxsize=64)
def _decimal_formatter(locale_name: str, format: str | None) -> Callable[[object], str]:
    locale = Locale.parse(locale_name)

    def babel(value) -> str:
        return babel_numbers.format_decimal(value, format=format, locale=locale)

    group = babel_numbers.get_group_symbol(locale)

    def whole(number: int) -> str:
        return f"{number:,}".replace(",", group)

    if any(whole(n) != babel(n) for n in NUMBER_SAMPLES):
        return babel
    pattern = babel_numbers.parse_pattern(format if format is not None else locale.decimal_formats[None])
    # A pattern without fractions rounds a float to a whole number, half to even, as round() does:
    # Babel rounds the float's shortest decimal form, which is exactly n.5 only when the float is.
    rounds = pattern.frac_prec == (0, 0) and all(whole(round(x)) == babel(x) for x in FRACTION_SAMPLES)

    def formatted(value) -> str:
        kind = type(value)
        if kind is int and 0 <= value < LARGEST:
            return whole(value)
        if kind is float and rounds and math.isfinite(value) and 0 <= value < LARGEST:
            return whole(round(value))
        return babel(value)
    return formatted


@lru_cache(maxsize=64)
def _date_formatter(locale_name: str, format: str) -> Callable[[date], str]:
    locale = Locale.parse(locale_name)

    def babel(day: date) -> str:
        return babel_dates.format_date(day, format, locale=locale)

    pattern = babel_dates.get_date_format(format, locale).pattern if format in ("full", "long", "medium", "short") \
        else format
    template = babel_dates.parse_pattern(pattern).format
    names = _FIELD.findall(template)
    fields = tuple(_date_field(name, locale) for name in names)
    if None in fields:
        return babel
    # "%(MMM)s %(d)s, %(y)s" as "{0} {1}, {2}": the fields by position, no dict per day.
    positional = _FIELD.sub(lambda _match, n=iter(range(len(names))): f"{{{next(n)}}}",
                            template.replace("{", "{{").replace("}", "}}")) % ()

    def fast(day: date) -> str:
        return positional.format(*[field(day) for field in fields])

    if any(fast(day) != babel(day) for day in DATE_SAMPLES):
        return babel

    def formatted(day: date) -> str:
        return fast(day) if type(day) is date else babel(day)
    return formatted


def _date_field(name: str, locale: Locale) -> Callable[[date], str] | None:
    """One field of a date pattern (y, yy, M, MMM, d, ...) as a function of the day; None: not handled here."""
    char, width = name[0], len(name)
    if set(name) != {char}:
        return None
    if char == "y":
        return (lambda day: f"{day.year:02d}"[-2:]) if width == 2 else (lambda day: f"{day.year:0{width}d}")
    if char == "d" and width <= 2:
        return lambda day: f"{day.day:0{width}d}"
    if char == "M":
        if width <= 2:
            return lambda day: f"{day.month:0{width}d}"
        names = locale.months["format"].get({3: "abbreviated", 4: "wide", 5: "narrow"}.get(width, ""))
        if names is None:
            return None
        # A plain dict: Babel's locale data resolves aliases on every lookup (a microsecond a day shown).
        by_month = {month: names[month] for month in range(1, 13)}
        return lambda day: by_month[day.month]
    return None
