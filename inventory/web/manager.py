"""The manager's pages: the audit trail (the dashboard and reports come with their issues)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, render_template, request

from inventory import clock
from inventory.extensions import db
from inventory.models import User
from inventory.permissions import Permission, permission_required
from inventory.services import audit

bp = Blueprint("manager", __name__, url_prefix="/manager")


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    """A YYYY-MM-DD from a filter as the start (or end) of that day in the clinic's zone."""
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    start = datetime.combine(day, time.min, tzinfo=clock.clinic_zone())
    return start + timedelta(days=1) if end else start


@bp.route("/audit")
@permission_required(Permission.REPORTS)
def audit_trail() -> str:
    args = request.args
    entity_id = args.get("entity_id", type=int)
    user_id = args.get("user_id", type=int)
    page = max(args.get("page", 1, type=int), 1)
    where = audit.AuditFilter(
        entity_type=args.get("entity_type") or None,
        entity_id=entity_id,
        action=args.get("action") or None,
        user_id=user_id,
        since=_day(args.get("since")),
        until=_day(args.get("until"), end=True),
    )
    rows, more = audit.entries(where, page=page, per_page=50)
    users = db.session.scalars(db.select(User).order_by(User.username)).all()
    return render_template(
        "manager/audit.html",
        rows=rows,
        more=more,
        page=page,
        args=args,
        actions=audit.actions(),
        entity_types=audit.entity_types(),
        users=users,
    )
