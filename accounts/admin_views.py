"""Admin screens: missions, units, people, deployments, roles. (Being built.)"""

from __future__ import annotations

from flask import Blueprint, render_template

from accounts.permissions import admin_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/people")
@admin_required
def people():
    """Admin: list people."""
    return render_template("admin/people.html")


@bp.get("/missions")
@admin_required
def missions():
    """Admin: list missions."""
    return render_template("admin/people.html")


@bp.get("/roster")
@admin_required
def roster_import():
    """Admin: import a roster."""
    return render_template("admin/people.html")
