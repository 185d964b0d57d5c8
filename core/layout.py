"""The page's chrome (top bar, offline-status strings, footer) rendered once per kind of page and reused.

Every signed-in page repeats the same top bar, the offline-status strings and the footer's
language form: about 30 translated strings, 15 URLs and a dozen role tests, a third of a lesson
page's time. What they show depends only on the interface language, the page's endpoint (the
"you are here" mark), the viewer's roles and led missions, and the layout's width; three values
differ from request to request: the CSRF token, the path the language form returns to, and the
person's id (the offline store is per person). A part is rendered once per key with markers in
place of those three, and each request fills them in, escaped.

A template rendered through `layout_part` may read only what is in the key (see `_viewer`) and
the three values by their names `csrf_token()`, `return_path` and `viewer_id`: anything else of
the request or the person would be frozen into the first rendering. tests/test_layout_parts.py
checks that each person gets their own token and id, and that roles, led missions, language and
page each change what is shown.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cache
from typing import Any

from flask import Flask, current_app, g, render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from core.languages import current_code
from extensions import request_user

# Private-use characters: no translation, URL or template text contains them.
_CSRF, _RETURN, _VIEWER = "\ue000csrf\ue000", "\ue000return\ue000", "\ue000viewer\ue000"
KEPT_PARTS = 5_000  # per process; forgotten all at once beyond that (led missions vary per person)
# Per process: a lesson's text is 5-20 KB rendered, so at most ~40 MB; forgotten all at once beyond.
KEPT_FRAGMENTS = 2_000


def _viewer(user) -> tuple:
    """What of the person a part may show: signed in or not, roles, the missions they lead.
    Worked out once per request while the grants read at the session check stand (a page asks
    for three parts); afresh once they are loaded or changed (accounts.models.User.read_grants)."""
    if not user.is_authenticated:
        return (False,)
    grants = getattr(user, "read_grants", None)
    kept = g.get("layout_viewer")
    if kept is not None and grants is not None and kept[0] is grants:
        return kept[1]
    viewer = (True, frozenset(user.roles()), tuple(sorted(user.lead_mission_ids())))
    g.layout_viewer = (grants, viewer)
    return viewer


def layout_part(template_name: str, *vary) -> Markup:
    """The rendered part for this request: kept per (part, language, endpoint, viewer, vary)."""
    user = request_user()  # once: each use of the proxy finds the user again
    key = (template_name, current_code(), request.script_root, request.endpoint, _viewer(user), *vary)
    html = _kept("layout_parts", KEPT_PARTS, key, lambda: render_template(
        template_name, csrf_token=lambda: _CSRF, return_path=_RETURN, viewer_id=_VIEWER, layout_vary=vary))
    if _RETURN in html:
        html = html.replace(_RETURN, str(escape(request.full_path if request.query_string else request.path)))
    if _VIEWER in html:
        html = html.replace(_VIEWER, str(user.id) if user.is_authenticated else "")
    return _with_token(html)


@dataclasses.dataclass(frozen=True)
class Deferred:
    """A value of a kept fragment's context worked out only if the fragment has to be rendered;
    `key` stands for it in the fragment's key, so it must determine what `load()` gives."""

    key: tuple
    load: Callable[[], Any] = dataclasses.field(compare=False, repr=False)

    @property
    def kept_key(self) -> tuple:
        return self.key


def kept_fragment(template_name: str, **context) -> Markup:
    """A template that depends only on its context, rendered once per distinct context and language.

    For a page part built from plain values (rows as frozen dataclasses, dicts, tuples, sets,
    strings): the key is the context itself, frozen, with the language, the endpoint and the
    script root; csrf_token() is filled in per request as in layout_part. A value with a
    `kept_key` (not None) is keyed by it alone: its class promises that nothing else about it can
    change (training.player's rows of a published version); a `Deferred` value is keyed so and
    worked out only when the fragment is rendered. ORM objects are refused: they compare by
    identity, so each request would add a new entry.
    """
    key = (template_name, current_code(), request.script_root, request.endpoint, _frozen(context))
    return _with_token(_kept("kept_fragments", KEPT_FRAGMENTS, key, lambda: render_template(
        template_name, **{name: value.load() if isinstance(value, Deferred) else value for name, value in context.items()},
        csrf_token=lambda: _CSRF)))


def _kept(store: str, limit: int, key: tuple, render) -> str:
    """What `render()` gave for `key`, rendered on first use; the store is forgotten all at once at `limit`."""
    kept: dict = current_app.extensions[store]
    html = kept.get(key)
    if html is None:
        if len(kept) >= limit:
            kept.clear()
        html = kept[key] = render()
    return html


def _with_token(html: str) -> Markup:
    if _CSRF in html:
        html = html.replace(_CSRF, str(escape(_request_token())))
    return Markup(html)  # noqa: S704 (rendered by Jinja with autoescape; every value put in is escaped)


def _request_token() -> str:
    """generate_csrf(): the first call signs the session's token and keeps it on `g`, where later
    calls find it (a page fills in three to five parts, and each call read the config and `g`
    through their proxies five times). With another WTF_CSRF_FIELD_NAME it is not found there,
    and generate_csrf() answers each time."""
    signed = g._get_current_object().__dict__.get("csrf_token")
    return signed if isinstance(signed, str) else generate_csrf()


def frozen_key(value):
    """`value` as a key of kept fragments (plain values walked into tuples and frozensets)."""
    return _frozen(value)


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _frozen(value):
    kind = type(value)
    if kind in _PLAIN:
        return value
    # A value that says what determines it (rows of a published module version, which never
    # changes: training.player) is keyed by that, not walked through every language of its titles.
    kept_key = getattr(value, "kept_key", None)
    if kept_key is not None:
        return kind, kept_key
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(map(_frozen, value))
    if isinstance(value, set | frozenset):
        # Ids of lessons read, say: plain values are their own key.
        if all(type(item) in _PLAIN for item in value):
            return value if kind is frozenset else frozenset(value)
        return frozenset(map(_frozen, value))
    names = _field_names(kind)
    if names is not None:
        return kind, tuple(_frozen(getattr(value, name)) for name in names)
    if hasattr(value, "_sa_instance_state"):
        raise TypeError(f"kept_fragment() takes plain values, not ORM objects ({kind.__name__})")
    hash(value)  # a function (pick), a date: hashable, compared as themselves; anything else fails here
    return value


@cache
def _field_names(kind: type) -> tuple[str, ...] | None:
    """A dataclass's field names (None for any other class), looked up once per class."""
    return tuple(field.name for field in dataclasses.fields(kind)) if dataclasses.is_dataclass(kind) else None


def init_app(app: Flask) -> None:
    app.extensions["kept_fragments"] = {}
    app.extensions["layout_parts"] = {}
    app.jinja_env.globals["layout_part"] = layout_part
