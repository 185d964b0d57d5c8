"""Who sees which figures (plain functions, used by views, exports and templates)."""

from __future__ import annotations

from accounts.models import Mission, Role, User
from accounts.permissions import can_view_mission


def can_view_dashboard(user: User, mission: Mission) -> bool:
    """The mission's leads, HQ and admins."""
    return can_view_mission(user, mission)


def can_remind(user: User, mission: Mission) -> bool:
    """Chasing people is the mission's business: its leads and admins (HQ reads, it does not chase)."""
    return user.has_role(Role.ADMIN.value) or mission.id in user.lead_mission_ids()


def reveals_small_cells(user: User) -> bool:
    """Trainers and admins see breakdown counts under 5; everyone else sees "fewer than 5"."""
    return user.has_role(Role.ADMIN.value, Role.TRAINER.value)


def can_issue_codes(user: User, mission: Mission) -> bool:
    """Activation codes for people deployed in a mission: its leads and admins (HQ reads only)."""
    return user.has_role(Role.ADMIN.value) or mission.id in user.lead_mission_ids()
