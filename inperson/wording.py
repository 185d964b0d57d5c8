"""The words printed on the attendance sheet, in the gettext catalogues (msgctxt "attendance sheet").

Like the certificate's (certificates.wording), they are looked up once per language and handed to the
pure renderer (inperson.sheet) in a plain dict."""

from __future__ import annotations

from collections.abc import Callable

from certificates.wording import in_language


def _sheet(pgettext: Callable[[str, str], str]) -> dict[str, str]:
    return {
        "title": pgettext("attendance sheet", "Attendance sheet"),
        "course": pgettext("attendance sheet", "Course"),
        "modules": pgettext("attendance sheet", "Modules"),
        "whole": pgettext("attendance sheet", "The whole course"),
        "mission": pgettext("attendance sheet", "Mission"),
        "units": pgettext("attendance sheet", "Units"),
        "place": pgettext("attendance sheet", "Place"),
        "date": pgettext("attendance sheet", "Date"),
        "trainers": pgettext("attendance sheet", "Trainers"),
        "pass": pgettext("attendance sheet", "Pass mark on the paper quiz: {n}%"),  # {n} / {total} are filled in when the sheet is drawn
        "number": pgettext("attendance sheet", "No."),
        "name": pgettext("attendance sheet", "Name"),
        "service": pgettext("attendance sheet", "Service number"),
        "signature": pgettext("attendance sheet", "Signature"),
        "score": pgettext("attendance sheet", "Score (%)"),
        "page": pgettext("attendance sheet", "Page {n} of {total}"),  # {n} / {total} are filled in when the sheet is drawn
        "walk_in": pgettext("attendance sheet", "Walk-ins: write the name and service number on a blank row."),
        "trainer_sign": pgettext("attendance sheet", "Trainer’s signature"),
    }


def sheet_labels(language: str) -> dict[str, str]:
    """The sheet's fixed words in `language` (English where its catalogue has none). Shared: do not change it."""
    return in_language(language, _sheet)
