"""The training blueprint. Its routes are spread over views.py (learners), author_views.py,
lesson_views.py and requirement_views.py; training.views imports them all."""

from __future__ import annotations

from flask import Blueprint

from training.statuses import STATUS, STATUS_LIST

bp = Blueprint("training", __name__)
# Every page that shows readiness (My training, the dashboards) loops over these: one definition.
bp.add_app_template_global(STATUS_LIST, "READINESS_STATUSES")
bp.add_app_template_global(STATUS, "READINESS_STATUS")
