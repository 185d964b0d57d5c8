"""The languages the site speaks: one definition, read by pages, forms, models, PDFs and content.

Each configured code (the LANGUAGES setting, default en, fr, ar) becomes a `Language` whose name
in its own script, writing direction and plural rules come from Babel's locale data (CLDR), so a
fourth language is a setting plus a message catalogue (README, Adding a language) and nothing
in the code names a language. `init_app` builds the app's registry once and checks it; code
outside an app (pure content checks, scripts) sees the default list.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.plural import PluralRule
from flask import Flask, current_app, g, has_app_context
from flask_babel import get_locale

from config import Config

# Every column that stores a language code is String(5): "ll" or "ll_CC". A longer code (a script
# subtag, zh_Hant) would need wider columns, so it is refused at start-up rather than truncated.
MAX_CODE_LENGTH = 5


@dataclass(frozen=True)
class Language:
    code: str
    name: str        # in its own language and script: what a speaker looks for in a list
    direction: str   # "ltr" or "rtl", for dir="" and for laying out PDFs
    locale: Locale   # Babel's: dates, numbers

    @property
    def is_rtl(self) -> bool:
        return self.direction == "rtl"

    @property
    def start(self) -> str:
        """The side lines start on ("left" or "right"): PDF alignment; pages use dir and CSS logical properties."""
        return "right" if self.is_rtl else "left"

    @property
    def plural_rules(self) -> PluralRule:
        return self.locale.plural_form


@cache
def define(code: str) -> Language:
    """The definition of any language Babel knows (configured or not: course content may name one)."""
    locale = Locale.parse(code)
    own_name = locale.get_display_name(locale) or code
    # CLDR writes some names in lower case (français, español); a list shows them capitalised.
    return Language(code=code, name=own_name[:1].upper() + own_name[1:],
                    direction="rtl" if locale.character_order == "right-to-left" else "ltr", locale=locale)


class Languages:
    """The configured languages, in the configured order (the first is not special; "en" is the default)."""

    def __init__(self, codes: tuple[str, ...] | list[str]):
        self.all: tuple[Language, ...] = tuple(define(code) for code in codes)
        self.codes: tuple[str, ...] = tuple(language.code for language in self.all)
        self._by_code = {language.code: language for language in self.all}

    def __iter__(self) -> Iterator[Language]:
        return iter(self.all)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str | None) -> Language | None:
        return self._by_code.get(code)  # type: ignore[arg-type]

    def name(self, code: str) -> str:
        """The language's own name; a code that is not configured shows as it is."""
        language = self._by_code.get(code)
        return language.name if language else code

    def choices(self) -> list[tuple[str, str]]:
        return [(language.code, language.name) for language in self.all]

    def order_key(self, code: str) -> tuple[int, str]:
        """Sort key: configured languages in their order, then any other code alphabetically."""
        return (self.codes.index(code) if code in self._by_code else len(self.codes), code)


def known(code: str | None) -> bool:
    """Whether Babel has data for `code` (dates, plural rules, direction): any code a PDF may be printed in."""
    try:
        return bool(code) and define(code) is not None
    except (ValueError, UnknownLocaleError):
        return False


def direction(code: str | None) -> str:
    """dir="" for text in `code`, configured or not ("ltr" for a code Babel does not know)."""
    try:
        return define(code).direction if code else "ltr"
    except (ValueError, UnknownLocaleError):
        return "ltr"


def _check(codes: tuple[str, ...], default: str) -> None:
    problems = []
    for code in codes:
        try:
            Locale.parse(code)
        except (ValueError, UnknownLocaleError):
            problems.append(f"{code!r} is not a language code Babel knows (use ll or ll_CC, e.g. es, pt_BR)")
        if len(code) > MAX_CODE_LENGTH:
            problems.append(f"{code!r} is longer than {MAX_CODE_LENGTH} characters (the language columns' width)")
    if len(set(codes)) != len(codes):
        problems.append("a code is listed twice")
    if default not in codes:
        problems.append(f"the default language {default!r} (BABEL_DEFAULT_LOCALE) is not among them")
    if problems:
        raise RuntimeError("LANGUAGES setting: " + "; ".join(problems))


def init_app(app: Flask) -> None:
    codes = tuple(app.config["LANGUAGES"])
    _check(codes, app.config["BABEL_DEFAULT_LOCALE"])
    app.extensions["languages"] = Languages(codes)


@cache
def _default() -> Languages:
    return Languages(Config.LANGUAGES)


def configured() -> Languages:
    """This app's languages (the default list outside an app)."""
    if has_app_context():
        return current_app.extensions["languages"]
    return _default()


def codes() -> tuple[str, ...]:
    return configured().codes


def choices() -> list[tuple[str, str]]:
    """(code, own name) pairs for a SelectField: pass the function itself, so each form reads this app's list."""
    return configured().choices()


def current_code() -> str:
    """The request's interface language code (str(get_locale())), worked out once per request.

    Flask-Babel's get_locale() goes through `g` three times and str() of a Locale joins its parts:
    3-4 microseconds, and a page asks 10-15 times (the layout's keys, dir="", lang="", the
    questions' and lessons' language). The code is kept on Flask-Babel's own per-request namespace
    with the Locale object it was made from, so a locale switched inside the request
    (force_locale, refresh) is a different object and gives its own code. Outside a request:
    the default locale's code ("en" without an app), as get_locale() would give none."""
    try:
        babel_context = getattr(g._get_current_object(), "_flask_babel", None)
    except RuntimeError:  # no app context
        return Config.BABEL_DEFAULT_LOCALE
    locale = getattr(babel_context, "babel_locale", None)
    if locale is None:
        locale = get_locale()
        if locale is None:
            return Config.BABEL_DEFAULT_LOCALE
        babel_context = g._flask_babel
    kept = getattr(babel_context, "kept_code", None)
    if kept is not None and kept[0] is locale:
        return kept[1]
    code = str(locale)
    babel_context.kept_code = (locale, code)
    return code
