"""Refuse a form body the app cannot read faithfully, before any view (or CSRF check) sees it.

Werkzeug reads forms leniently: a multipart body with no boundary or cut short becomes an empty
form, raw bytes that are not UTF-8 empty the form, and percent-escapes of such bytes (%FF) are
kept as literal text, so a view would go on to store mangled text or report confusing field errors. Here such a body gets the plain 400 page and changes nothing, and
a body over MAX_CONTENT_LENGTH the 413 page, whichever view it was sent to.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from flask import Flask, Request, abort, request

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
REPLACEMENT = "\ufffd"


class StrictFormRequest(Request):
    def make_form_data_parser(self):
        parser = super().make_form_data_parser()
        parser.silent = False  # malformed bodies raise ValueError instead of parsing as empty
        return parser

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        # json.loads raises RecursionError, not ValueError, on "[[[[..." nested ten thousand deep:
        # treat it as the malformed JSON it is (None when silent, else 400) instead of a 500.
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            if silent:
                return None
            return self.on_json_loading_failed(ValueError("JSON nested too deeply"))


def check_form_body() -> None:
    if request.method in ("GET", "HEAD", "OPTIONS") or request.mimetype not in FORM_TYPES:
        return
    try:
        if request.mimetype == "application/x-www-form-urlencoded":
            _check_percent_escapes(request.get_data(cache=True))
        form = request.form  # parsed once here; 413 (RequestEntityTooLarge) propagates as it is
    except ValueError:  # UnicodeDecodeError included
        abort(400)
    for key, values in form.lists():
        if REPLACEMENT in key or any(REPLACEMENT in value for value in values):
            abort(400)


def _check_percent_escapes(body: bytes) -> None:
    for pair in body.split(b"&"):
        for part in pair.split(b"=", 1):
            unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")


def install(app: Flask) -> None:
    app.request_class = StrictFormRequest
    app.before_request_funcs.setdefault(None, []).insert(0, check_form_body)  # ahead of CSRF and rate limits
