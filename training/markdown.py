"""Lesson Markdown to safe HTML: markdown-it-py (CommonMark + tables, raw HTML off), then nh3.

Two layers on purpose. markdown-it already escapes raw HTML and refuses `javascript:` links,
but the sanitiser is what we trust: whatever the parser lets through, nh3 keeps only the few
tags and attributes below. The preview a trainer sees and the page a learner reads both come
from `render()`, so the preview is exactly what learners get.

Two presentation rules are applied while parsing, before sanitising:
- a blockquote whose first line is bold ("> **What you do**") is the lesson's action box and
  gets the class `do-box`;
- headings move one level down (# -> h2), because the lesson title is the page's only h1.

A lesson of a published (frozen) version never changes, so learners' pages use
`render_frozen()`: each text is parsed and sanitised once per process and served from memory
after that (about 13% of a lesson page's time was this work, done again on every request). The
cache key is the text itself and POLICY_VERSION: change the rules below (tags, attributes,
classes, schemes, the parsing rules) and raise POLICY_VERSION, and every lesson is rendered
again under the new policy. A trainer's preview of a draft always renders afresh.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raise it whenever the sanitising policy or the parsing rules change: cached HTML made under
# an older policy is then never served again.
POLICY_VERSION = 1
FROZEN_CACHE_SIZE = 2048  # lesson texts (x languages) kept per process; ~5 KB of HTML each

DO_BOX_CLASS = "do-box"
MEDIA_SRC = re.compile(r"^/media/[0-9a-f]{64}\.webp$")
ALIGN_CLASSES = {"text-align:left": "align-left", "text-align:center": "align-center",
                 "text-align:right": "align-right"}

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
ALLOWED_CLASSES = {
    "blockquote": {DO_BOX_CLASS},
    "th": set(ALIGN_CLASSES.values()),
    "td": set(ALIGN_CLASSES.values()),
}
# Content of these tags is dropped with the tag (their text is never meant to be read).
DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template", "textarea",
                     "title", "svg", "math", "frame", "frameset", "applet", "select", "xmp", "noembed"}
URL_SCHEMES = {"http", "https", "mailto"}


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    # Images come only from our own re-encoded uploads, never from another site (tracking,
    # mixed content, or an SVG served elsewhere).
    if tag == "img" and attribute == "src":
        return value if MEDIA_SRC.match(value) else None
    return value


def _box_and_headings(state) -> None:
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
        elif token.type == "blockquote_open" and _starts_bold(tokens, index + 1):
            token.attrSet("class", DO_BOX_CLASS)
        elif token.type in ("th_open", "td_open") and token.attrGet("style"):
            align = ALIGN_CLASSES.get(str(token.attrGet("style")))
            token.attrs.pop("style", None)
            if align:
                token.attrSet("class", align)


def _starts_bold(tokens, index: int) -> bool:
    if index + 1 >= len(tokens) or tokens[index].type != "paragraph_open":
        return False
    children = [child for child in tokens[index + 1].children or [] if child.type != "text" or child.content]
    return bool(children) and children[0].type == "strong_open"


@cache
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
    parser.core.ruler.push("do_box_and_headings", _box_and_headings)
    return parser


def sanitise(html: str) -> str:
    return nh3.clean(
        html, tags=ALLOWED_TAGS, clean_content_tags=DROP_WITH_CONTENT, attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter, allowed_classes=ALLOWED_CLASSES, url_schemes=URL_SCHEMES,
        strip_comments=True, link_rel="noopener noreferrer",
    )


def render(text: str | None) -> Markup:
    """Safe HTML for a lesson body written in Markdown."""
    if not text:
        return Markup("")
    return Markup(sanitise(_parser().render(text)))  # noqa: S704 (sanitised by nh3 just above)


def render_frozen(text: str | None) -> Markup:
    """render() for the text of a frozen lesson version: the same HTML, made once per process
    and policy version."""
    if not text:
        return Markup("")
    return _render_cached(text, POLICY_VERSION)


@lru_cache(maxsize=FROZEN_CACHE_SIZE)
def _render_cached(text: str, policy_version: int) -> Markup:
    # policy_version is part of the key only: a new policy misses every older entry.
    return render(text)
