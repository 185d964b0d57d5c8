"""Role decorators for whole views, and `require` for the can_* policies each feature keeps
(accounts.permissions, training.permissions, ...). In core so that every package, audit
included, can guard its views without importing accounts."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from core.roles import Role


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


def require(allowed: bool) -> None:
    if not allowed:
        abort(403)
