"""Choosing the language a reader sees for per-language content."""

from __future__ import annotations


def pick(texts: dict | None, lang: str, fallback: str = "en"):
    """The text in `lang`, else in `fallback`, else in any language present, else ''."""
    if not texts:
        return ""
    for code in (lang, fallback):
        if texts.get(code):
            return texts[code]
    return next((value for value in texts.values() if value), "")


def available(texts: dict | None) -> list[str]:
    return [code for code, value in (texts or {}).items() if value]
