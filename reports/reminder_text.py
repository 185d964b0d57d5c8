"""The reminder e-mail, in the person's language (the words are in the gettext catalogues, msgctxt
"reminder e-mail"; `compose` needs the app, for its catalogues).

A reminder goes to someone who is not looking at the site, in the language of their profile:
tests/test_i18n_catalogues.py fails while any catalogue lacks one of these messages, so a reminder
never falls back to English because a catalogue is behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale, pgettext

from core import languages


@dataclass(frozen=True)
class Item:
    course: str
    status: str  # due | overdue | expired | renewal
    on: date     # the due date, or the day the certificate expired (or, for renewal, expires)


def _words() -> dict[str, str]:
    # {name}, {course}, {date} and {url} are filled in by compose.
    return {
        "subject": pgettext("reminder e-mail", "Reminder: child protection training to complete"),
        "hello": pgettext("reminder e-mail", "Hello {name},"),
        "intro": pgettext("reminder e-mail", "This training is required for your deployment:"),
        "due": pgettext("reminder e-mail", "{course}: due by {date}"),
        "overdue": pgettext("reminder e-mail", "{course}: overdue since {date}"),
        "expired": pgettext("reminder e-mail", "{course}: your certificate expired on {date}"),
        "renewal": pgettext("reminder e-mail", "{course}: renew by {date}, when your certificate expires"),
        "link": pgettext("reminder e-mail", "Continue your training here: {url}"),
        "bye": pgettext("reminder e-mail", "Thank you."),
    }


def compose(lang: str, name: str, items: list[Item], url: str) -> tuple[str, str]:
    """(subject, body) in `lang` (English when it has no catalogue)."""
    with force_locale(lang if languages.known(lang) else "en"):
        text = _words()
    lines = [text["hello"].format(name=name), "", text["intro"], ""]
    lines += ["- " + text[item.status].format(course=item.course, date=item.on.isoformat()) for item in items]
    lines += ["", text["link"].format(url=url), "", text["bye"]]
    return text["subject"], "\n".join(lines) + "\n"
