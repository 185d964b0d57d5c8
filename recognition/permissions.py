"""Who may see and record recognised outside certificates.

Admins everywhere; a mission lead for the people deployed in their missions now (a person who
rotates out is then their new mission's); HQ reads every mission's; learners see none here (their
own recognitions show on My training).
"""

from __future__ import annotations

from accounts.models import Mission, Role, User


def can_view_recognitions(user: User, mission: Mission | None) -> bool:
    if user.has_role(Role.ADMIN.value, Role.HQ.value):
        return True
    return mission is not None and mission.id in user.lead_mission_ids()


def can_record_recognitions(user: User, mission: Mission | None) -> bool:
    if user.has_role(Role.ADMIN.value):
        return True
    return mission is not None and mission.id in user.lead_mission_ids()
