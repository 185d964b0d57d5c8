"""The reminder e-mail in English, French and Arabic (pure).

Written out here rather than through the interface catalogues: a reminder goes to someone who
is not looking at the site, in the language of their profile, and must never fall back to
English because a catalogue is behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

TEXT = {
    "en": {
        "subject": "Reminder: child protection training to complete",
        "hello": "Hello {name},",
        "intro": "This training is required for your deployment:",
        "due": "{course}: due by {date}",
        "overdue": "{course}: overdue since {date}",
        "expired": "{course}: your certificate expired on {date}",
        "renewal": "{course}: renew by {date}, when your certificate expires",
        "link": "Continue your training here: {url}",
        "bye": "Thank you.",
    },
    "fr": {
        "subject": "Rappel : formation à la protection de l'enfance à terminer",
        "hello": "Bonjour {name},",
        "intro": "Cette formation est obligatoire pour votre déploiement :",
        "due": "{course} : à terminer avant le {date}",
        "overdue": "{course} : en retard depuis le {date}",
        "expired": "{course} : votre certificat a expiré le {date}",
        "renewal": "{course} : à renouveler avant le {date}, date d'expiration de votre certificat",
        "link": "Poursuivez votre formation ici : {url}",
        "bye": "Merci.",
    },
    "ar": {
        "subject": "تذكير: تدريب حماية الطفل المطلوب إكماله",
        "hello": "مرحبًا {name}،",
        "intro": "هذا التدريب مطلوب لانتشارك:",
        "due": "{course}: يجب إكماله قبل {date}",
        "overdue": "{course}: متأخر منذ {date}",
        "expired": "{course}: انتهت صلاحية شهادتك في {date}",
        "renewal": "{course}: جدِّد شهادتك قبل {date}، تاريخ انتهاء صلاحيتها",
        "link": "تابع تدريبك هنا: {url}",
        "bye": "شكرًا لك.",
    },
}


@dataclass(frozen=True)
class Item:
    course: str
    status: str  # due | overdue | expired | renewal
    on: date     # the due date, or the day the certificate expired (or, for renewal, expires)


def compose(lang: str, name: str, items: list[Item], url: str) -> tuple[str, str]:
    """(subject, body) in `lang` (English when the language is not one of ours)."""
    text = TEXT.get(lang, TEXT["en"])
    lines = [text["hello"].format(name=name), "", text["intro"], ""]
    lines += ["- " + text[item.status].format(course=item.course, date=item.on.isoformat()) for item in items]
    lines += ["", text["link"].format(url=url), "", text["bye"]]
    return text["subject"], "\n".join(lines) + "\n"
