"""Template globals: fingerprinted static URLs, text direction, navigation."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask, current_app, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_locale

RTL_LANGUAGES = {"ar"}
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "ar": "العربية"}


@cache
def _fingerprint(static_folder: str, filename: str) -> str:
    return hashlib.sha256((Path(static_folder) / filename).read_bytes()).hexdigest()[:12]


def static_url(filename: str) -> str:
    """URL of a static file with its content hash, so it can be cached for a year."""
    return url_for("static", filename=filename, v=_fingerprint(current_app.static_folder, filename))


def text_direction() -> str:
    return "rtl" if str(get_locale()) in RTL_LANGUAGES else "ltr"


def register(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(
        format_date=format_date, format_datetime=format_datetime, format_decimal=format_decimal,
        static_url=static_url, text_direction=text_direction, LANGUAGE_NAMES=LANGUAGE_NAMES,
        current_locale=lambda: str(get_locale()),
    )
