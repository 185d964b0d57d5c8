"""Browse and export the audit log."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from audit.forms import AuditFilterForm
from audit.models import AuditEvent
from audit.services import record
from core.permissions import admin_required, role_required
from core.spreadsheet import csv_stream
from extensions import db

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _filtered(form: AuditFilterForm):
    query = select(AuditEvent).options(joinedload(AuditEvent.actor))
    if form.validate():
        if form.action.data:
            query = query.where(AuditEvent.action == form.action.data.strip())
        if form.target.data:
            query = query.where(AuditEvent.target == form.target.data.strip())
        if form.since.data:
            query = query.where(AuditEvent.occurred_at >= datetime.combine(form.since.data, time(), timezone.utc))
        if form.until.data:
            end = datetime.combine(form.until.data + timedelta(days=1), time(), timezone.utc)
            query = query.where(AuditEvent.occurred_at < end)
    return query.order_by(AuditEvent.id.desc())


@bp.get("/")
@role_required("hq")
def index():
    """Admin and HQ (read-only): the audit log, newest first, filterable."""
    form = AuditFilterForm(request.args)
    page = db.paginate(_filtered(form), per_page=100, error_out=False)
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    filters = {k: v for k, v in request.args.items() if k in {"action", "target", "since", "until"} and v}
    return render_template("audit/index.html", form=form, page=page, actions=actions, filters=filters)


@bp.get("/export.csv")
@admin_required
def export_csv():
    """Admin: the filtered audit log as CSV (itself an audit event)."""
    form = AuditFilterForm(request.args)
    record("audit_exported", actor=current_user, target="audit", filters=dict(request.args))
    db.session.commit()
    query = _filtered(form).execution_options(yield_per=1000)

    def rows():
        for event in db.session.scalars(query):
            yield [event.id, event.occurred_at.isoformat(), event.actor.name if event.actor else "", event.action, event.target,
                   str(event.details), event.address, event.hash]

    header = ["id", "occurred_at", "actor", "action", "target", "details", "address", "hash"]
    return Response(stream_with_context(csv_stream(header, rows())), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit-log.csv"})
