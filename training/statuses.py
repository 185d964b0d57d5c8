"""The readiness statuses, defined once: Python, SQL, templates, charts and exports read them here.

Adding a status is one line in STATUS_LIST (and the rule that gives it, in readiness/rule.py
and its SQL twin). Pure: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass


def N_(message: str) -> str:
    """Marks a message for the catalogues; pages translate it when they show it."""
    return message


@dataclass(frozen=True)
class Status:
    key: str
    label: str              # "Overdue": a column, a legend, an export cell (translated where shown)
    badge: str              # on My training; %(date)s is the readiness' `badge_date`
    badge_date: str | None  # the Readiness field the badge names ("due_on", "expired_on"), or None
    colour: str             # in the SVG charts (the stylesheet's .status-<key> and .swatch-<key> match it)
    listed_by_name: bool    # the dashboard's list names these people, so their counts are never masked
    urgency: int            # My training lists the most urgent first (a renewal due sorts at RENEWAL_URGENCY)
    is_done: bool = False   # nothing to do (My training offers no "continue" unless a renewal is due)
    advice: str | None = None  # what My training tells the person under the badge


STATUS_LIST: tuple[Status, ...] = (
    Status("cleared", N_("Cleared"), N_("Cleared"), None, "#1e6b3a", False, 4, is_done=True),
    Status("due", N_("Due"), N_("Due by %(date)s"), "due_on", "#b36b00", False, 2),
    Status("overdue", N_("Overdue"), N_("Overdue since %(date)s"), "due_on", "#a3231b", True, 0,
           advice=N_("This course is late. Please complete it as soon as you can.")),
    Status("expired", N_("Expired"), N_("Expired on %(date)s"), "expired_on", "#6b2d8a", True, 1,
           advice=N_("Your certificate has expired. Complete the course again to renew it.")),
)
RENEWAL_URGENCY = 3

STATUSES: tuple[str, ...] = tuple(status.key for status in STATUS_LIST)
STATUS = {status.key: status for status in STATUS_LIST}
LISTED_BY_NAME: tuple[str, ...] = tuple(status.key for status in STATUS_LIST if status.listed_by_name)
MASKABLE: tuple[str, ...] = tuple(status.key for status in STATUS_LIST if not status.listed_by_name)
