"""Template globals: fingerprinted static URLs, text direction, navigation."""

from __future__ import annotations

from functools import cache

from babel import support
from flask import Flask, g, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_locale, get_translations
from wtforms.i18n import messages_path

from core import assets, labels, languages


def static_url(filename: str) -> str:
    """URL of a static file under its content-hashed name (core.assets), so it can be cached for a year."""
    return url_for("static", filename=assets.hashed_name(filename))


def text_direction() -> str:
    """dir="" of the page: the interface language's direction (core.languages)."""
    return languages.direction(str(get_locale()))


def _translations():
    """This request's catalogue, looked up once per request and locale.

    Flask-Babel's template gettext finds the domain, the locale and the catalogue again for each
    of the 20-30 strings a page shows (three context lookups each, about a tenth of a lesson
    page's time). The catalogue is kept on Flask-Babel's own per-request namespace together with
    the locale object it was found for, so a locale switched inside the request (force_locale,
    refresh) is noticed: a different object, a fresh lookup.
    """
    babel_context = g.get("_flask_babel")
    if babel_context is None:
        return get_translations()
    kept = getattr(babel_context, "kept_translations", None)
    locale = getattr(babel_context, "babel_locale", None)
    if kept is not None and locale is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    babel_context.kept_translations = (getattr(babel_context, "babel_locale", None), translations)
    return translations


@cache
def _wtforms_catalogue(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def _share_wtforms_catalogue() -> None:
    # Flask-WTF parses WTForms' own message catalogue (.mo) again for every request that builds
    # a form (a tenth of a quiz page's time), keeping it on the request. The file does not
    # change while the process runs: hand it the one parsed for this locale.
    if request.endpoint not in (None, "static"):
        request.wtforms_translations = _wtforms_catalogue(str(get_locale()))


def register(app: Flask) -> None:
    assets.init_app(app)
    app.before_request(_share_wtforms_catalogue)
    app.jinja_env.add_extension("jinja2.ext.do")
    # After Flask-Babel's init_app, which installed its own (same behaviour, slower).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(
        format_date=format_date, format_datetime=format_datetime, format_decimal=format_decimal,
        static_url=static_url, text_direction=text_direction,
        # This app's languages (switcher, language links, names) and the direction of text in any
        # language: templates write dir="{{ text_dir(lang) }}", never a language's code.
        LANGUAGES=app.extensions["languages"], text_dir=languages.direction,
        current_locale=lambda: str(get_locale()),
        label=labels.label, mission_name=labels.mission_name,
    )
