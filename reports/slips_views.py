"""Activation slips from the mission dashboard: a mission's leads and admins issue codes and print them.

Issuing and printing are one request: the codes are committed (old ones voided, one audit event),
then the PDF is streamed page by page (certificates.slips) from the list just issued. The codes
exist in clear only in that list and in the PDF; the response is never cached.
"""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts import activation, roster
from accounts.models import Deployment, Mission, Unit, User
from certificates.documents import public_base_url
from certificates.slips import stream_slips
from core.forms import EmptyForm
from core.permissions import admin_required, require, role_required
from extensions import db
from reports.forms import RosterSlipsForm, SlipsForm
from reports.permissions import can_issue_codes

bp = Blueprint("slips", __name__)


def _mission_for(mission_id: int) -> Mission:
    mission = db.get_or_404(Mission, mission_id)
    require(can_issue_codes(current_user, mission))
    return mission


def _pdf(issued: list[activation.IssuedCode], stem: str) -> Response:
    slips = ({"name": item.name, "service_number": item.service_number, "code": item.code,
              "language": item.language, "expires_on": item.expires_on} for item in issued)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem)[:80]
    filename = f"activation-slips-{stem}-{date.today().isoformat()}.pdf"
    response = Response(stream_slips(slips, base_url=public_base_url(), title=f"Activation slips {stem}"),
                        mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"  # the codes are in it
    return response


@bp.post("/missions/<int:mission_id>/activation-slips")
@role_required("mission_lead")
def print_slips(mission_id: int):
    """The mission's leads and admins: new activation codes for a unit or the whole mission, as a slips PDF."""
    mission = _mission_for(mission_id)
    form = SlipsForm()
    back = url_for("reports.mission", mission_id=mission.id)
    if not form.validate_on_submit():
        flash(_("Choose whom to print slips for."), "error")
        return redirect(back)
    unit = None
    if form.unit.data:
        unit = db.session.get(Unit, form.unit.data)
        if unit is None or unit.mission_id != mission.id:
            abort(404)
    people = activation.people_deployed(mission.id, unit_id=unit.id if unit else None,
                                        only_never_signed_in=form.who.data == "never")
    if not people:
        flash(_("Nobody to print slips for: everyone there has signed in at least once."), "info")
        return redirect(back)
    scope = f"{mission.code}/{unit.code}" if unit else mission.code
    if form.who.data == "never":
        scope += " (never signed in)"
    issued = activation.issue_codes(people, actor=current_user, scope=scope,
                                    target=f"unit:{unit.id}" if unit else f"mission:{mission.id}")
    db.session.commit()
    return _pdf(issued, f"{mission.code}-{unit.code}" if unit else mission.code)


@bp.post("/missions/<int:mission_id>/people/<int:user_id>/activation-slip")
@role_required("mission_lead")
def person_slip(mission_id: int, user_id: int):
    """The mission's leads and admins: a new activation code for one person deployed there now (voids the old)."""
    mission = _mission_for(mission_id)
    user = db.get_or_404(User, user_id)
    deployed = db.session.scalar(select(Deployment.id).where(
        Deployment.user_id == user.id, Deployment.mission_id == mission.id,
        Deployment.current_clause(date.today())).limit(1))
    if deployed is None or not user.is_active:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    issued = activation.issue_codes([user], actor=current_user, scope=f"{mission.code}: one person",
                                    target=f"user:{user.id}")
    db.session.commit()
    return _pdf(issued, user.service_number)


@bp.post("/admin/roster/activation-slips")
@admin_required
def roster_slips():
    """Admin: activation slips for the people one roster import created (still active), as a PDF."""
    form = RosterSlipsForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        ids, source = roster.read_created(current_app.secret_key, form.created.data)
    except roster.RosterFileError as error:
        flash(str(error), "error")
        return redirect(url_for("admin.roster_import"))
    people: list[User] = []
    for start in range(0, len(ids), 500):  # within every engine's limit on bound parameters
        people += db.session.scalars(select(User).where(User.id.in_(ids[start:start + 500]), User.is_active.is_(True)))
    people.sort(key=lambda user: (user.name, user.id))
    if not people:
        flash(_("Nobody to print slips for: those people are no longer active."), "info")
        return redirect(url_for("admin.roster_import"))
    issued = activation.issue_codes(people, actor=current_user, scope=f"roster import {source}",
                                    target="roster")
    db.session.commit()
    return _pdf(issued, "roster")
