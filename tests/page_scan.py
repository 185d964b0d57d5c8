"""Scan a whole rendered page for markup a hostile input could have smuggled in.

The app's own pages carry only external scripts from /static/ (CSP: script-src 'self'), so any
other <script>, any on* attribute, any javascript:/vbscript:/data:text URL, or any frame or
object is a finding, wherever on the page it is.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "poster", "data", "xlink:href", "srcset", "cite"}
NEVER = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "isindex"}


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not (values.get("src") or "").startswith("/static/"):
                self.problems.append(f"<script> not from /static/: {attrs}")
        if tag in NEVER:
            self.problems.append(f"<{tag}> {attrs}")
        if tag == "meta" and "http-equiv" in values and "refresh" in (values["http-equiv"] or "").lower():
            self.problems.append(f"meta refresh {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name in URL_ATTRIBUTES and value:
                squashed = re.sub(r"[\x00-\x20]+", "", value).lower()
                if squashed.startswith(("javascript:", "vbscript:")) or (
                        squashed.startswith("data:") and not (tag == "img" and squashed.startswith("data:image/"))):
                    self.problems.append(f"dangerous URL {name}={value!r} on <{tag}>")
            if name == "style" and value and re.search(r"expression|javascript|url\(", value, re.I):
                self.problems.append(f"style {value!r} on <{tag}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline script text {data[:60]!r}")


def page_problems(html: str) -> list[str]:
    scan = _Scan()
    scan.feed(html)
    scan.close()
    return scan.problems

