"""Who may do what with people and missions: can_* policies (the role decorators are core.permissions)."""

from __future__ import annotations

from accounts.models import Mission, Role, User


def can_view_mission(user: User, mission: Mission) -> bool:
    if user.has_role(Role.ADMIN.value, Role.HQ.value):
        return True
    return mission.id in user.lead_mission_ids()


def visible_mission_ids(user: User) -> set[int] | None:
    """Missions whose figures `user` may see; None means all of them."""
    if user.has_role(Role.ADMIN.value, Role.HQ.value):
        return None
    return user.lead_mission_ids()
