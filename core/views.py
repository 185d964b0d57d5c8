"""Home and health check (the language switch is accounts.views.set_language: it may write the profile)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text

from core.home_cards import cards_for
from extensions import db

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    """Anyone: is the app up and its database reachable?"""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return jsonify(status="error", db="unreachable"), 503
    return jsonify(status="ok", db="ok")


@bp.get("/")
def home():
    """Anyone: signed-out people see the welcome page; others, what their roles need."""
    if not current_user.is_authenticated:
        return render_template("core/welcome.html")
    return render_template("core/home.html", home_cards=cards_for(current_user))
