"""Template globals: fingerprinted static URLs, text direction, navigation."""

from __future__ import annotations

from flask import Flask, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_locale

from core import assets, labels

RTL_LANGUAGES = {"ar"}
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "ar": "العربية"}


def static_url(filename: str) -> str:
    """URL of a static file under its content-hashed name (core.assets), so it can be cached for a year."""
    return url_for("static", filename=assets.hashed_name(filename))


def text_direction() -> str:
    return "rtl" if str(get_locale()) in RTL_LANGUAGES else "ltr"


def register(app: Flask) -> None:
    assets.init_app(app)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(
        format_date=format_date, format_datetime=format_datetime, format_decimal=format_decimal,
        static_url=static_url, text_direction=text_direction, LANGUAGE_NAMES=LANGUAGE_NAMES,
        current_locale=lambda: str(get_locale()),
        label=labels.label, mission_name=labels.mission_name,
    )
