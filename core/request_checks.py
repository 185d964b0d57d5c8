"""Refuse a form body the app cannot read faithfully, before any view (or CSRF check) sees it.

Werkzeug reads forms leniently: a multipart body with no boundary or cut short becomes an empty
form, raw bytes that are not UTF-8 empty the form, and percent-escapes of such bytes (%FF) are
kept as literal text, so a view would go on to store mangled text or report confusing field errors. Here such a body gets the plain 400 page and changes nothing, and
a body over MAX_CONTENT_LENGTH the 413 page, whichever view it was sent to.

Bad characters (core.text) are refused here too, once for every form, text upload, JSON body and
query string rather than form by form: control characters give a 400 that says so (tab and newline
are allowed in text, never in identifiers; a path is left to the routes, which only match digits or
the verification code's alphabet), bidirectional controls are refused in
identifiers and removed from names before any view reads them.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from flask import Flask, Request, abort, request
from werkzeug.datastructures import ImmutableMultiDict

from core.errors import N_, render_error
from core.text import BIDI, CONTROL, CONTROL_OR_LINE_BREAK, strip_bidi

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
REPLACEMENT = "\ufffd"

# Form fields holding identifiers (service numbers, e-mails, codes, slugs): one line, no bidi controls.
IDENTIFIER_FIELDS = frozenset({"identifier", "service_number", "email", "code", "slug", "serial",
                               "check_code", "key", "mission", "unit"})
# Fields naming a person, mission or unit: bidi controls are removed before any view reads them.
NAME_FIELDS = frozenset({"name", "rank", "country"})
# Uploads read as text (roster CSV, GIFT, lesson Markdown); pictures and packages are binary.
TEXT_UPLOADS = (".csv", ".gift", ".txt", ".md")

CONTROL_MESSAGE = N_("What you sent contains control characters (such as a NUL byte) that this site "
                     "does not accept. Remove them and try again.")
BIDI_MESSAGE = N_("Service numbers, e-mail addresses, codes and short names cannot contain "
                  "text-direction control characters. Remove them and try again.")


class RefusedText(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def check_text(name: str, value: str) -> None:
    """Raise RefusedText when a field's value holds characters this field never allows."""
    field = name.rsplit("-", 1)[-1]  # "options-0-text" -> "text": field lists keep the rule of their field
    single_line = field in IDENTIFIER_FIELDS
    if (CONTROL_OR_LINE_BREAK if single_line else CONTROL).search(value) or CONTROL_OR_LINE_BREAK.search(name):
        raise RefusedText(CONTROL_MESSAGE)
    if single_line and BIDI.search(value):
        raise RefusedText(BIDI_MESSAGE)


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


def check_request_text():
    """Before any view: refuse control characters anywhere, and bidi controls in identifiers."""
    try:
        for key, value in request.args.items(multi=True):
            check_text(key, value)
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        if request.mimetype in FORM_TYPES:
            for key, value in request.form.items(multi=True):
                check_text(key, value)
            _check_uploads()
            _remove_bidi_from_names()
        elif request.is_json:
            _check_json(request.get_json(silent=True))
    except RefusedText as refused:
        return render_error(400, N_("Bad request"), refused.message)
    return None


def _check_uploads() -> None:
    for upload in request.files.values():
        if not (upload.filename or "").lower().endswith(TEXT_UPLOADS):
            continue
        data = upload.stream.read()
        upload.stream.seek(0)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            continue  # the view says "not UTF-8" in its own words
        if CONTROL.search(text):
            raise RefusedText(CONTROL_MESSAGE)


def _check_json(document) -> None:
    pending = [document]  # a loop, not recursion: JSON nested near the parser's limit is accepted
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if CONTROL.search(value):
                raise RefusedText(CONTROL_MESSAGE)
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)


def _remove_bidi_from_names() -> None:
    form = request.form
    if not any(key.rsplit("-", 1)[-1] in NAME_FIELDS and BIDI.search(value) for key, value in form.items(multi=True)):
        return
    cleaned = [(key, strip_bidi(value) if key.rsplit("-", 1)[-1] in NAME_FIELDS else value)
               for key, value in form.items(multi=True)]
    request.form = ImmutableMultiDict(cleaned)  # werkzeug caches the parsed form here; views read this copy


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
    funcs = app.before_request_funcs.setdefault(None, [])
    funcs.insert(0, check_request_text)  # ahead of CSRF, rate limits and every view
    funcs.insert(0, check_form_body)  # first: a body that cannot be read faithfully is refused as such
