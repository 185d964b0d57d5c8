"""Question text to safe HTML: plain text (the default), Markdown or HTML, always sanitised."""

from __future__ import annotations

from functools import cache

import nh3
from markupsafe import Markup, escape

_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "code", "pre", "blockquote", "sub", "sup"}


@cache
def _markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).disable(["image", "link"])


def render(text: str | None, fmt: str | None = "plain") -> Markup:
    text = text or ""
    if fmt == "markdown":
        html = _markdown().render(text)
    elif fmt == "html":
        html = text
    else:
        paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
        # Each paragraph is escaped before it is wrapped.
        return Markup("".join(f"<p>{escape(p).replace(chr(10), Markup('<br>'))}</p>" for p in paragraphs))  # noqa: S704
    return Markup(nh3.clean(html, tags=_TAGS, attributes={}, url_schemes=set()))  # noqa: S704 (sanitised by nh3)
