"""Sign-in, sign-out, password change and forgotten passwords (single sign-on: accounts.sso_views)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user
from markupsafe import Markup

from accounts import activation, reset, services, sso
from accounts.forms import (
    ActivateForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    ProfileForm,
    ResetPasswordForm,
    SignInForm,
)
from core import languages, mail
from core.forms import EmptyForm, LanguageForm
from core.layout import Deferred, kept_fragment
from core.redirects import safe_next
from extensions import db, limiter, request_user

bp = Blueprint("accounts", __name__)


def _account() -> str:
    """One bucket per account, whether it is named by e-mail or service number (ASVS 6.3.1)."""
    if "sign_in_account" not in g:
        identifier = (request.form.get("identifier", "") or "").strip()[:254]
        user = services.find_user_for_sign_in(identifier)
        g.sign_in_account = f"user:{user.id}" if user else "name:" + identifier.lower()
    return g.sign_in_account


def _account_and_address_key() -> str:
    return f"account:{_account()}@{request.remote_addr or 'unknown'}"


def _account_key() -> str:
    return f"account:{_account()}"


def _failed(_response) -> bool:
    # Only failed sign-ins count towards the account limits: the owner signing in is never the attacker.
    return bool(g.get("sign_in_failed"))


def _address_limit() -> str:
    return current_app.config["SIGNIN_LIMIT_PER_ADDRESS"]


def _account_limit() -> str:
    return current_app.config["SIGNIN_LIMIT_PER_ACCOUNT"]


def _account_anywhere_limit() -> str:
    return current_app.config["SIGNIN_LIMIT_PER_ACCOUNT_ANYWHERE"]


# The form (GET) and signing in (POST) are two views of one URL so that only the POST carries the
# limits: Flask-Limiter's decorator works through its limits on every call, even those limited to
# POST, and showing the form is the busiest anonymous request.
@bp.get("/sign-in")
def sign_in():
    """Anyone: the sign-in form (signed in: home)."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    return _sign_in_page()


@bp.post("/sign-in")
@limiter.limit(_address_limit, methods=["POST"])
# Wrong passwords lock an account from the address that sent them, not from everywhere: a stranger
# cannot lock the owner out. The account-wide limit, far higher, still stops a spread-out guesser.
@limiter.limit(_account_limit, methods=["POST"], key_func=_account_and_address_key, deduct_when=_failed)
@limiter.limit(_account_anywhere_limit, methods=["POST"], key_func=_account_key, deduct_when=_failed)
def sign_in_post():
    """Anyone: sign in with email or service number and password."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = SignInForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = services.authenticate(form.identifier.data, form.password.data)
        if user is None:
            g.sign_in_failed = True
            services.record_failed_sign_in(form.identifier.data)
            db.session.commit()
            # One message for unknown account, wrong password and deactivated account.
            flash(_("That email or service number and password do not match an active account."), "error")
            return _sign_in_page(form), 200
        services.sign_in(user, remember=form.remember.data, address=request.remote_addr or "")
        db.session.commit()
        login_user(user, remember=form.remember.data)
        session.pop("sso", None)  # this session is a password one, whatever came before in this browser
        if user.must_change_password:
            return redirect(url_for("accounts.change_password"))
        return redirect(safe_next(form.next.data) or url_for("core.home"))
    return _sign_in_page(form)


def _sign_in_page(form: SignInForm | None = None) -> str:
    """The sign-in page with `form` as sent back, or a blank form (a GET).

    A blank form depends only on the language and the `next` it returns to, so it is drawn once
    per pair (core.layout.kept_fragment): building the form and drawing it was half of the
    busiest anonymous page's time."""
    # Right after signing out of a single sign-on session, offer the provider's sign-out once.
    provider_sign_out = sso.provider_sign_out_url() if session.pop("sso_signed_out", False) else None
    sso_name = sso.button_name()
    if form is None:
        next_path = request.args.get("next", "")
        fields = kept_fragment("accounts/_sign_in_form.html", sso_name=sso_name, form=Deferred(
            ("blank sign-in form", next_path), lambda: SignInForm(next=next_path)))
    else:
        fields = Markup(render_template("accounts/_sign_in_form.html", form=form, sso_name=sso_name))  # noqa: S704 (autoescaped)
    return render_template("accounts/sign_in.html", fields=fields, sso_name=sso_name,
                           provider_sign_out=provider_sign_out)


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
        form.language.data = request.args.get("lang") if request.args.get("lang") in languages.codes() else "en"
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
        if session.pop("sso", None):
            session["sso_signed_out"] = True  # the sign-in page offers the provider's sign-out too
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


def _reset_account_key() -> str:
    return "reset:" + (request.form.get("identifier", "") or "").strip().lower()[:254]


def _reset_address_limit() -> str:
    return current_app.config["RESET_LIMIT_PER_ADDRESS"]


def _reset_account_limit() -> str:
    return current_app.config["RESET_LIMIT_PER_ACCOUNT"]


# One budget per address for asking for links and for using them.
_reset_address_budget = limiter.shared_limit(_reset_address_limit, scope="password-reset", methods=["POST"])


@bp.route("/password/forgot", methods=["GET", "POST"])
@_reset_address_budget
@limiter.limit(_reset_account_limit, methods=["POST"], key_func=_reset_account_key)
def forgot_password():
    """Anyone: ask for a one-time link by e-mail; everyone gets the same answer, whatever they typed."""
    form = ForgotPasswordForm()
    if not mail.is_configured():
        return render_template("accounts/forgot_password.html", form=None)
    if form.validate_on_submit():
        user, token = reset.request_link(form.identifier.data, address=request.remote_addr or "")
        db.session.commit()  # the link exists before the mail that carries it leaves
        response = make_response(render_template("accounts/forgot_password_sent.html"))
        if token:
            response.call_on_close(reset.sender(user, token))
        return response
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@_reset_address_budget
def reset_password(token: str):
    """Anyone holding a live reset link: choose a new password (a dead link: one page, 404)."""
    link = reset.live_link(token)
    if link is None:
        return render_template("accounts/reset_link_dead.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            reset.complete(link, form.new.data)
        except reset.DeadLink:
            db.session.rollback()
            return render_template("accounts/reset_link_dead.html"), 404
        signed_in_here = current_user.is_authenticated
        if signed_in_here:  # whoever it was, the link's person now signs in with the new password
            services.sign_out(current_user)
        db.session.commit()
        if signed_in_here:
            logout_user()
        flash(_("Your new password is set and every device signed in as you is signed out. Sign in with it."),
              "info")
        return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Signed-in people: their own names as printed on certificates, language and e-mail."""
    form = ProfileForm(user=current_user)
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, name=form.name.data, name_arabic=form.name_arabic.data,
                                    preferred_language=form.preferred_language.data, email=form.email.data)
        except services.AccountError as error:
            form.preferred_language.errors.append(_(str(error)))
        else:
            db.session.commit()
            # The chosen language shows at once, over any earlier choice in the footer.
            session["lang"] = current_user.preferred_language
            refresh()  # the message below is in the language just chosen, not the one the request began in
            flash(_("Your profile is saved. New certificates use this name and language."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form)


@bp.post("/language")
def set_language():
    """Anyone: remember the interface language in the session; signed-in people may keep it in their profile."""
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in languages.codes():
        session["lang"] = form.lang.data
        if form.keep.data and current_user.is_authenticated:
            services.keep_language(current_user, form.lang.data)
            db.session.commit()
    return redirect(safe_next(form.next.data) or url_for("core.home"))


@bp.before_app_request
def force_password_change():
    """Someone whose password was set by an admin must choose their own before anything else."""
    user = request_user()
    if (user.is_authenticated and user.must_change_password
            and request.endpoint not in {"accounts.change_password", "accounts.sign_out", "static",
                                         "core.healthz", "accounts.set_language"}):
        return redirect(url_for("accounts.change_password"))
    return None
