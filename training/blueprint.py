"""The training blueprint. Its routes are spread over views.py (learners), author_views.py,
lesson_views.py and requirement_views.py; training.views imports them all."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("training", __name__)
