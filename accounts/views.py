"""Sign-in, sign-out and password change."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from accounts import activation, services
from accounts.forms import ActivateForm, ChangePasswordForm, SignInForm
from accounts.models import LANGUAGES
from core.forms import EmptyForm
from core.redirects import safe_next
from extensions import db, limiter

bp = Blueprint("accounts", __name__)


def _account_key() -> str:
    return "account:" + (request.form.get("identifier", "") or "").strip().lower()[:254]


def _address_limit() -> str:
    return current_app.config["SIGNIN_LIMIT_PER_ADDRESS"]


def _account_limit() -> str:
    return current_app.config["SIGNIN_LIMIT_PER_ACCOUNT"]


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=_account_key)
def sign_in():
    """Anyone: sign in with email or service number and password."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = SignInForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(form.identifier.data, form.password.data)
        if user is None:
            services.record_failed_sign_in(form.identifier.data)
            db.session.commit()
            # One message for unknown account, wrong password and deactivated account.
            flash(_("That email or service number and password do not match an active account."), "error")
            return render_template("accounts/sign_in.html", form=form), 200
        services.sign_in(user, remember=form.remember.data, address=request.remote_addr or "")
        db.session.commit()
        login_user(user, remember=form.remember.data)
        if user.must_change_password:
            return redirect(url_for("accounts.change_password"))
        return redirect(safe_next(form.next.data) or url_for("core.home"))
    return render_template("accounts/sign_in.html", form=form)


def _service_number_key() -> str:
    return "activate:" + (request.form.get("service_number", "") or "").strip().upper()[:40]


def _activate_address_limit() -> str:
    return current_app.config["ACTIVATE_LIMIT_PER_ADDRESS"]


def _activate_account_limit() -> str:
    return current_app.config["ACTIVATE_LIMIT_PER_ACCOUNT"]


@bp.route("/activate", methods=["GET", "POST"])
@limiter.limit(_activate_address_limit, methods=["POST"])
@limiter.limit(_activate_account_limit, methods=["POST"], key_func=_service_number_key)
def activate():
    """Anyone on the roster with an activation slip: choose a password and language, then signed in."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = ActivateForm()
    if request.method == "GET":
        # The slip's link says which language the person's roster entry has; they may change it.
        form.language.data = request.args.get("lang") if request.args.get("lang") in LANGUAGES else "en"
    if form.validate_on_submit():
        user = activation.activate(form.service_number.data, form.code.data, form.password.data,
                                   form.language.data, address=request.remote_addr or "")
        if user is None:
            db.session.commit()  # the failure's audit event only
            # One message for an unknown service number and a wrong, used, voided or expired code.
            flash(_("That service number and activation code do not match a valid code. Check both, or ask "
                    "your unit's focal point or mission lead for a new slip."), "error")
            return render_template("accounts/activate.html", form=form), 200
        db.session.commit()
        login_user(user)
        flash(_("Your account is ready. Welcome!"), "success")
        return redirect(url_for("training.my_training"))
    return render_template("accounts/activate.html", form=form)


@bp.post("/sign-out")
@login_required
def sign_out():
    """Signed-in people: end this session for good."""
    if EmptyForm().validate_on_submit():
        services.sign_out(current_user)
        db.session.commit()
        logout_user()
        flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Signed-in people: change their own password (forced after an admin sets one)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.new.data)
        except services.AccountError as error:
            form.current.errors.append(_(str(error)))
        else:
            db.session.commit()
            flash(_("Your password is changed. Other devices signed in as you are now signed out."), "info")
            return redirect(url_for("core.home"))
    return render_template("accounts/change_password.html", form=form)


@bp.before_app_request
def force_password_change():
    """Someone whose password was set by an admin must choose their own before anything else."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in {"accounts.change_password", "accounts.sign_out", "static",
                                         "core.healthz", "core.set_language"}):
        return redirect(url_for("accounts.change_password"))
    return None
