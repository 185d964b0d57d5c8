"""Template globals: fingerprinted static URLs, text direction, navigation."""

from __future__ import annotations

from functools import cache

from babel import support
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import format_date, format_datetime, format_decimal, get_translations
from jinja2 import pass_eval_context
from markupsafe import Markup
from wtforms.i18n import messages_path

from core import assets, labels, languages, layout
from core.languages import current_code

URL_OPTIONS = frozenset({"_anchor", "_method", "_scheme", "_external"})  # Flask's url_for keywords
REMEMBERED_URLS = 20_000  # per app; forgotten all at once beyond that (arguments may come from requests)


def remembering_url_for(app: Flask):
    """url_for for templates that remembers each URL it built.

    A page builds 10-30 URLs (top bar, footer, every lesson and language link), and Werkzeug
    builds each afresh, about as costly as a small SQL statement each time. The URL of an endpoint
    with given arguments depends only on the app's URL map, fixed once it serves, and the
    prefix the app is mounted under (the script root), which is in the key. Built as before, not
    remembered: blueprint-relative endpoints (".x" depends on the request's blueprint), options
    (_external, _anchor, _method, _scheme), URLs outside a request, and every URL of an app
    with URL default functions (they may add arguments request by request).
    """
    build = app.url_for
    built: dict[tuple, str] = {}

    def url_for(endpoint: str, **values) -> str:
        if (endpoint.startswith(".") or app.url_default_functions or not has_request_context()
                or not URL_OPTIONS.isdisjoint(values)):
            return build(endpoint, **values)
        try:
            key = (request.script_root, endpoint, *sorted(values.items()))
            return built[key]
        except TypeError:  # an unhashable argument (a list of values for one query parameter)
            return build(endpoint, **values)
        except KeyError:
            if len(built) >= REMEMBERED_URLS:
                built.clear()
            url = built[key] = build(endpoint, **values)
            return url

    return url_for


def static_url(filename: str) -> str:
    """URL of a static file under its content-hashed name (core.assets), so it can be cached for a year.
    Kept per app, prefix and file once built (every page asks for the same two or three), except
    in debug mode, where an edited file gets a new name."""
    app = current_app._get_current_object()
    if app.debug or not has_request_context():
        return app.jinja_env.globals["url_for"]("static", filename=assets.hashed_name(filename))
    kept = app.extensions.setdefault("static_urls", {})
    key = (request._get_current_object().script_root, filename)
    url = kept.get(key)
    if url is None:
        url = kept[key] = app.jinja_env.globals["url_for"]("static", filename=assets.hashed_name(filename))
    return url


def text_direction() -> str:
    """dir="" of the page: the interface language's direction (core.languages)."""
    return languages.direction(languages.current_code())


def request_translations():
    """This request's catalogue, looked up once per request and locale.

    Flask-Babel's template gettext finds the domain, the locale and the catalogue again for each
    of the 20-30 strings a page shows (three context lookups each, about a tenth of a lesson
    page's time). The catalogue is kept on Flask-Babel's own per-request namespace together with
    the locale object it was found for, so a locale switched inside the request (force_locale,
    refresh) is noticed: a different object, a fresh lookup. (`g` is reached through its proxy's
    documented _get_current_object: `g.get` through the proxy cost a microsecond, and a dashboard
    translates some 180 strings.)
    """
    babel_context = getattr(g._get_current_object(), "_flask_babel", None)
    if babel_context is None:
        return get_translations()
    kept = getattr(babel_context, "kept_translations", None)
    locale = getattr(babel_context, "babel_locale", None)
    if kept is not None and locale is not None and kept[0] is locale:
        return kept[1]
    translations = _catalogue(current_code())
    babel_context.kept_translations = (getattr(babel_context, "babel_locale", None), translations)
    return translations


def _catalogue(code: str):
    """The app's catalogue for a language, as Flask-Babel finds it, found once per process: a
    catalogue does not change while the app runs, and finding it again (the domain, its cache,
    the locale) was 2% of a quiz page."""
    kept = current_app.extensions.setdefault("kept_catalogues", {})
    translations = kept.get(code)
    if translations is None:
        translations = kept[code] = get_translations()
    return translations


@pass_eval_context
def _newstyle_gettext(eval_context, string: str, **variables) -> str:
    """Jinja's newstyle gettext (jinja2.ext._make_new_gettext) in one call: translated, marked
    safe where the template escapes, and always %-formatted (so "%%" reads as "%"): a text with no
    variables and no "%" is what formatting would give back, so it is not formatted (Markup's %
    wraps its argument and makes a new Markup, about a microsecond, for some 40 texts a page)."""
    translated = request_translations().ugettext(string)
    if eval_context.autoescape:
        translated = Markup(translated)  # noqa: S704 (as Jinja does: the catalogue is ours; values are escaped by %)
    if not variables and "%" not in translated:
        return translated
    return translated % variables


@cache
def _wtforms_catalogue(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def _share_wtforms_catalogue() -> None:
    # Flask-WTF parses WTForms' own message catalogue (.mo) again for every request that builds
    # a form (a tenth of a quiz page's time), keeping it on the request. The file does not
    # change while the process runs: hand it the one parsed for this locale.
    if request.endpoint not in (None, "static"):
        request.wtforms_translations = _wtforms_catalogue(languages.current_code())


def register(app: Flask) -> None:
    assets.init_app(app)
    layout.init_app(app)
    app.before_request(_share_wtforms_catalogue)
    app.jinja_env.add_extension("jinja2.ext.do")
    # After Flask-Babel's init_app, which installed its own (same behaviour, slower).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # Then the two every page calls 20-40 times, as one function each: Jinja's newstyle `_` goes
    # through three context calls (alias, gettext, the callable), about two thirds of its cost.
    app.jinja_env.globals.update(_=_newstyle_gettext, gettext=_newstyle_gettext)
    app.jinja_env.globals.update(
        url_for=remembering_url_for(app), format_date=format_date, format_datetime=format_datetime, format_decimal=format_decimal,
        static_url=static_url, text_direction=text_direction,
        # This app's languages (switcher, language links, names) and the direction of text in any
        # language: templates write dir="{{ text_dir(lang) }}", never a language's code.
        LANGUAGES=app.extensions["languages"], text_dir=languages.direction,
        current_locale=languages.current_code,
        label=labels.label, mission_name=labels.mission_name,
    )
