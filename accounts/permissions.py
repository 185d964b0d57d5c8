"""Who may do what: role decorators for whole views, can_* policies for objects."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from accounts.models import Mission, Role, User


def role_required(*roles: str) -> Callable:
    """Allow the view to signed-in people holding any of `roles` (admin always passes)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(Role.ADMIN.value, *roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = role_required(Role.ADMIN.value)


def can_view_mission(user: User, mission: Mission) -> bool:
    if user.has_role(Role.ADMIN.value, Role.HQ.value):
        return True
    return mission.id in user.lead_mission_ids()


def visible_mission_ids(user: User) -> set[int] | None:
    """Missions whose figures `user` may see; None means all of them."""
    if user.has_role(Role.ADMIN.value, Role.HQ.value):
        return None
    return user.lead_mission_ids()


def can_manage_people(user: User) -> bool:
    return user.has_role(Role.ADMIN.value)


def require(allowed: bool) -> None:
    if not allowed:
        abort(403)
