"""Every interface string is marked for translation and translated into French and Arabic."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from jinja2 import Environment
from jinja2.lexer import TOKEN_DATA

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
ENTITY = re.compile(r"&[#a-zA-Z0-9]+;")
# Text that is the same in every language: symbols, numbers, brand-free punctuation.
ALLOWED = re.compile(r"^[\s\d.,:;·|/()\[\]{}%+\-–—*#•…«»“”‘’\"'!?=<>×→←↑↓▲▼✓✗]*$")


def _unmarked(path: Path) -> list[str]:
    """Text between HTML tags that is not inside a Jinja expression or tag."""
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n", "jinja2.ext.do"])
    skeleton, line_of = [], []
    for lineno, token, value in env.lex(path.read_text(encoding="utf-8")):
        piece = value if token == TOKEN_DATA else "\x00"
        skeleton.append(piece)
        line_of.append((sum(len(p) for p in skeleton), lineno))
    text = "".join(skeleton)
    # Scripts, styles and <code> (file formats, commands) are not interface language.
    text = re.sub(r"<(script|style|code)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    found = []
    for match in re.finditer(r">([^<]*)<|^([^<]*)<", text):
        chunk = ENTITY.sub(" ", (match.group(1) or match.group(2) or "").replace("\x00", " "))
        for piece in chunk.split("\n"):
            piece = piece.strip()
            if piece and not ALLOWED.match(piece):
                line = next((ln for end, ln in line_of if end >= match.start()), 0)
                found.append(f"{path.relative_to(ROOT)}:{line}: {piece[:60]}")
    return found


def _attribute_text(path: Path) -> list[str]:
    """Visible attribute text (placeholder, title, aria-label, alt) must be marked too."""
    found = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for match in re.finditer(r'\b(placeholder|title|aria-label|alt)="([^"{]*[A-Za-z][^"{]*)"', line):
            found.append(f"{path.relative_to(ROOT)}:{lineno}: {match.group(1)}=\"{match.group(2)[:40]}\"")
    return found


def test_templates_have_no_unmarked_text():
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        problems += _unmarked(path) + _attribute_text(path)
    assert not problems, "Mark these strings with {{ _('...') }}:\n" + "\n".join(problems)


def _messages() -> set[tuple[str | None, str]]:
    """(msgctxt, msgid) of every marked message: the printed words (certificates, slips, reminders) have a context."""
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.do"}}
    ids = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map=options, keywords={"_": None, "gettext": None, "_l": None,
                                                                 "lazy_gettext": None, "ngettext": (1, 2),
                                                                 "pgettext": ((1, "c"), 2)},
            directory_filter=lambda d: Path(d).name not in {".venv", "tests", "bench", "migrations", "node_modules", ".git"}):
        ids.add((context, message if isinstance(message, str) else message[0]))
    return ids


# Every catalogue shipped, so a language added to LANGUAGES (README, Adding a language) is held to the same rule.
CATALOGUES = sorted(path.name for path in (ROOT / "translations").iterdir() if path.is_dir())


def test_french_and_arabic_are_shipped():
    assert {"fr", "ar"} <= set(CATALOGUES)


@pytest.mark.parametrize("lang", CATALOGUES)
def test_every_message_is_translated(lang):
    path = ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"run `make translations` to create {path}"
    with path.open("rb") as handle:
        catalogue = read_po(handle)
    translated = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalogue
                  if m.id and m.string and (all(m.string) if isinstance(m.string, tuple) else True) and not m.fuzzy}
    missing = sorted(_messages() - translated, key=lambda message: (message[0] or "", message[1]))
    assert not missing, f"{len(missing)} message(s) have no {lang} translation, e.g.: " + " | ".join(text for _context, text in missing[:15])
