"""core.languages.current_code(): the request's language code, kept per request, and a locale
switched inside the request (force_locale, refresh) is followed."""

from __future__ import annotations

from flask import session
from flask_babel import force_locale, get_locale, refresh

from core.languages import current_code


def test_the_code_is_the_requests_locale_and_follows_a_switch(app):
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert current_code() == "fr" == str(get_locale())
        assert current_code() == "fr"  # kept
        with force_locale("ar"):
            assert current_code() == "ar"
        assert current_code() == "fr"
        session["lang"] = "en"
        refresh()
        assert current_code() == "en"


def test_outside_an_app_the_default_language():
    assert current_code() == "en"
