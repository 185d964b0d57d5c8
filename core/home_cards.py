"""What the home page offers each role. Features appear once their endpoint exists."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Card:
    title: str
    text: str
    url: str


# (role, endpoint, title, text, endpoint arguments taken from the user)
_CARDS = [
    ("learner", "training.my_training", _l("My training"), _l("The courses required of you, and where you stopped."), None),
    ("learner", "certificates.mine", _l("My certificates"), _l("Download or show your certificates."), None),
    ("trainer", "training_author.author_index", _l("Author courses"), _l("Write modules, lessons and question banks."), None),
    ("mission_lead", "reports.mission", _l("Mission readiness"), _l("Who in your mission is cleared, due or overdue."), "lead_mission"),
    ("hq", "reports.hq", _l("All missions"), _l("Readiness of every mission side by side."), None),
    ("admin", "admin.people", _l("People"), _l("Find people, set roles, move them between missions."), None),
    ("admin", "admin.missions", _l("Missions and units"), _l("Missions, their units and languages."), None),
    ("admin", "admin.roster_import", _l("Import a roster"), _l("Add or update many people from a CSV file."), None),
]


def cards_for(user) -> list[Card]:
    roles = user.roles()
    cards: list[Card] = []
    for role, endpoint, title, text, argument in _CARDS:
        if role not in roles or endpoint not in current_app.view_functions:
            continue
        if argument == "lead_mission":
            for mission_id in sorted(user.lead_mission_ids()):
                cards.append(Card(str(title), str(text), url_for(endpoint, mission_id=mission_id)))
            continue
        cards.append(Card(str(title), str(text), url_for(endpoint)))
    return cards
