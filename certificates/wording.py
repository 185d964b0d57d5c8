"""The words printed on certificates and activation slips, in the gettext catalogues.

Translators see them with the rest of the interface (translations/<code>/LC_MESSAGES/messages.po,
msgctxt "certificate" and "activation slip"), and a language added to LANGUAGES prints them as soon
as its catalogue has them. The renderers (certificates.pdf, certificates.slips) stay plain: they
take these dicts, in the document's language, and never look a word up themselves.

Inside the app (pages, jobs, CLI) the words come from the app's catalogues under `force_locale`.
Outside one (benchmarks, a script rendering a PDF from a dict) they come from the shipped
catalogues, so a PDF reads the same whoever renders it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

from babel import support
from flask import current_app, has_app_context
from flask_babel import force_locale, pgettext

T = TypeVar("T")
SHIPPED_CATALOGUES = Path(__file__).resolve().parent.parent / "translations"


def _certificate(pgettext: Callable[[str, str], str]) -> dict[str, str]:
    return {
        "issuer": pgettext("certificate", "Child Protection Training for United Nations Peace Operations"),
        "title": pgettext("certificate", "Certificate of completion"),
        "certifies": pgettext("certificate", "This certifies that"),
        "completed": pgettext("certificate", "has successfully completed the course"),
        "issued": pgettext("certificate", "Issued on"),
        "expires": pgettext("certificate", "Valid until"),
        "serial": pgettext("certificate", "Serial"),
        "check": pgettext("certificate", "Check code"),
        "verify": pgettext("certificate", "Check it at"),
        "scan": pgettext("certificate", "Scan to check this certificate"),
        "key": pgettext("certificate", "Signing key"),
        "delivery": {
            "online": pgettext("certificate", "Training given online"),
            "in_person": pgettext("certificate", "Training given in person"),
            "mixed": pgettext("certificate", "Training given online and in person"),
            "recognised": pgettext("certificate", "Training recognised from another course"),
        },
    }


def _slip(pgettext: Callable[[str, str], str]) -> dict:
    return {
        "title": pgettext("activation slip", "Your training account"),
        "service": pgettext("activation slip", "Service number"),
        "code": pgettext("activation slip", "Activation code"),
        "valid": pgettext("activation slip", "Valid until"),
        # {url} is filled in when the slip is drawn (the site's address, read left to right).
        "steps": (pgettext("activation slip", "1. Open {url} or scan the QR code."),
                  pgettext("activation slip", "2. Type your service number and this code."),
                  pgettext("activation slip", "3. Choose your password and language. Keep this slip to yourself.")),
    }


@cache
def _shipped(language: str) -> support.NullTranslations:
    return support.Translations.load(str(SHIPPED_CATALOGUES), [language])


def in_language(language: str, words: Callable[[Callable[[str, str], str]], T]) -> T:
    """`words(pgettext)` in `language`: the printed words of one kind of document, looked up once."""
    if not has_app_context():
        return words(_shipped(language).upgettext)
    # Kept per app and language: the catalogues do not change while the process runs, and looking
    # the words up under force_locale for every certificate cost a tenth of its rendering time.
    kept = current_app.extensions.setdefault("printed_words", {})
    key = (words.__name__, language)
    if key not in kept:
        with force_locale(language):
            kept[key] = words(pgettext)
    return kept[key]


def certificate_labels(language: str) -> dict[str, str]:
    """The certificate's fixed words in `language` (English where its catalogue has none). Shared: do not change it."""
    return in_language(language, _certificate)


def slip_labels(language: str) -> dict:
    """The activation slip's fixed words in `language` (English where its catalogue has none). Shared: do not change it."""
    return in_language(language, _slip)
