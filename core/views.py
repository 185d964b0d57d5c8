"""Home, health check and language choice."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, session, url_for
from flask_login import current_user
from sqlalchemy import text

from accounts import services as account_services
from core import languages
from core.forms import LanguageForm
from core.home_cards import cards_for
from core.redirects import safe_next
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


@bp.post("/language")
def set_language():
    """Anyone: remember the interface language in the session; signed-in people may keep it in their profile."""
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in languages.codes():
        session["lang"] = form.lang.data
        if form.keep.data and current_user.is_authenticated:
            account_services.keep_language(current_user, form.lang.data)
            db.session.commit()
    return redirect(safe_next(form.next.data) or url_for("core.home"))
