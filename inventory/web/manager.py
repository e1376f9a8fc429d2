"""The manager's desk: dashboard, reorder list and the audit trail; purchase orders (web.purchasing) and
reports (web.reports) are pages of the same blueprint."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import (
    RadioField,
    SelectChoice,
    StringField,
)
from wtforms.validators import Length, Optional

from inventory import charts, clock, csvexport
from inventory.errors import DomainError
from inventory.extensions import db
from inventory.models import User
from inventory.models.purchasing import OrderStatus
from inventory.names import AUDIT_ACTION_LABELS, ENTITY_LABELS
from inventory.permissions import Permission, permission_required
from inventory.services import audit, purchasing, readings
from inventory.services import dashboard as dashboard_service
from inventory.services import reorder as reorder_service
from inventory.web.downloads import download
from inventory.web.errors import form_failed

__all__ = ["bp", "download", "link"]

bp = Blueprint("manager", __name__, url_prefix="/manager")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "link": link,
    }


def link(endpoint: str, **values: Any) -> str | None:
    """A URL when that page exists (other areas are built alongside), else None: link to nothing."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    """A YYYY-MM-DD from a filter as the start (or end) of that day in the clinic's zone."""
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()  # noqa: DTZ007 (a date alone)
    except ValueError:
        return None
    start = datetime.combine(day, time.min, tzinfo=clock.clinic_zone())
    return start + timedelta(days=1) if end else start


# ---- dashboard -----------------------------------------------------------------------------------


@bp.route("/")
@permission_required(Permission.REPORTS)
def dashboard() -> str:
    board = dashboard_service.dashboard()
    waste_spark = charts.sparkline(
        [cost for _key, _volume, cost in board.waste_months], title=_("Waste cost, last 6 months"), bars=True
    )
    administered_spark = charts.sparkline(
        [count for _key, count in board.administered_weeks], title=_("Syringes administered, last 8 weeks")
    )
    return render_template(
        "manager/dashboard.html",
        board=board,
        waste_spark=waste_spark,
        administered_spark=administered_spark,
        window=dashboard_service.WINDOW_DAYS,
        reading_hours=int(readings.interval().total_seconds() // 3600),
    )


# ---- reorder list --------------------------------------------------------------------------------


class OrderFromReorderForm(FlaskForm):
    grouping = RadioField(
        _l("Orders"),
        choices=[
            SelectChoice("supplier", _l("One draft order per supplier")),
            SelectChoice("single", _l("One draft order")),
        ],
        default="supplier",
    )
    note = StringField(_l("Note on the order"), validators=[Optional(), Length(max=500)])


@bp.route("/reorder")
@permission_required(Permission.REPORTS)
def reorder() -> str:
    show_all = request.args.get("all") == "1"
    lines = reorder_service.reorder_lines(only_needed=not show_all)
    return render_template(
        "manager/reorder.html",
        lines=lines,
        form=OrderFromReorderForm(),
        show_all=show_all,
        window=reorder_service.window_days(),
    )


def _quantities(form: Any, product_ids: list[int]) -> dict[int, int]:
    quantities = {}
    for product_id in product_ids:
        raw = (form.get(f"quantity-{product_id}") or "").strip()
        if raw.isdigit() and int(raw) > 0:
            quantities[product_id] = int(raw)
    return quantities


@bp.route("/orders/from-reorder", methods=["POST"])
@permission_required(Permission.REPORTS)
def order_from_reorder() -> tuple[str, int] | WerkzeugResponse:
    form = OrderFromReorderForm()
    product_ids = [int(value) for value in request.form.getlist("product_id") if value.isdigit()]
    if form.validate_on_submit():
        try:
            orders = purchasing.create_from_suggestions(
                product_ids,
                quantities=_quantities(request.form, product_ids),
                per_supplier=form.grouping.data == "supplier",
                note=form.note.data or "",
            )
        except DomainError as error:
            form_failed(form, error)
        else:
            numbers = ", ".join(order.number for order in orders)
            flash(_("Draft orders created: %(numbers)s.", numbers=numbers), "success")
            if len(orders) == 1:
                return redirect(url_for("manager.order", order_id=orders[0].id))
            return redirect(url_for("manager.orders", status=OrderStatus.DRAFT))
    lines = reorder_service.reorder_lines(only_needed=False)
    return render_template(
        "manager/reorder.html",
        lines=lines,
        form=form,
        show_all=True,
        window=reorder_service.window_days(),
        ticked=set(product_ids),
    ), 422


# ---- audit trail ---------------------------------------------------------------------------------


ENTITY_PAGES = {
    "adverse_event": ("trace.adverse_event", "event_id"),
    "batch": ("compounding.batch", "batch_id"),
    "lot": ("stock.lot", "lot_id"),
    "patient": ("clinic.patient", "patient_id"),
    "product": ("catalogue.show", "product_id"),
    "purchase_order": ("manager.order", "order_id"),
    "recall": ("trace.recall", "recall_id"),
    "receipt": ("stock.receipt", "receipt_id"),
    "recipe": ("compounding.recipe", "recipe_id"),
    "session": ("clinic.session", "session_id"),
    "stock_count": ("stock.count", "count_id"),
    "supplier": ("manager.supplier", "supplier_id"),
    "vial": ("stock.vial", "vial_id"),
}


def entity_url(entity_type: str, entity_id: int | None) -> str | None:
    """The page of what an audit entry is about, when it has one."""
    page = ENTITY_PAGES.get(entity_type)
    if page is None or entity_id is None:
        return None
    endpoint, argument = page
    return link(endpoint, **{argument: entity_id})


@bp.app_context_processor
def _audit_helpers() -> dict[str, Any]:
    """For every page that includes manager/_audit_rows.html (an order's, a product's history)."""
    return {
        "audit_lines": audit.describe,
        "action_label": audit.action_label,
        "entity_label": audit.entity_label,
        "entity_url": entity_url,
    }


def _audit_filter(args: Any) -> audit.AuditFilter:
    return audit.AuditFilter(
        entity_type=args.get("entity_type") or None,
        entity_id=args.get("entity_id", type=int),
        action=args.get("action") or None,
        user_id=args.get("user_id", type=int),
        since=_day(args.get("since")),
        until=_day(args.get("until"), end=True),
    )


FILTER_KEYS = ("entity_type", "entity_id", "action", "user_id", "since", "until")


@bp.route("/audit")
@permission_required(Permission.REPORTS)
def audit_trail() -> str:
    args = request.args
    page = audit.page_of(
        _audit_filter(args),
        before=args.get("before", type=int),
        after=args.get("after", type=int),
        per_page=50,
    )
    filters = {key: args[key] for key in FILTER_KEYS if args.get(key)}
    users = db.session.scalars(db.select(User).order_by(User.username)).all()
    return render_template(
        "manager/audit.html",
        page=page,
        history=page.rows,
        args=args,
        filters=filters,
        actions=sorted(AUDIT_ACTION_LABELS, key=lambda code: str(AUDIT_ACTION_LABELS[code])),
        entity_types=sorted(ENTITY_LABELS, key=lambda code: str(ENTITY_LABELS[code])),
        users=users,
    )


AUDIT_CSV_HEADER = (
    "at",
    "user",
    "action",
    "what",
    "entity_type",
    "entity_id",
    "details",
    "reason",
)


@bp.route("/audit.csv")
@permission_required(Permission.REPORTS)
def audit_csv() -> Response:
    """The filtered trail for an inspector's spreadsheet: clinic time, words, "before → after"."""
    where = _audit_filter(request.args)
    rows = [
        (
            clock.local(entry.at).isoformat(timespec="seconds"),
            entry.user.username if entry.user else "",
            entry.action,
            audit.action_label(entry.action),
            entry.entity_type,
            entry.entity_id,
            "; ".join(str(line) for line in audit.describe(entry)),
            entry.reason or "",
        )
        for entry in audit.every_entry(where)
    ]
    filters = {key: request.args[key] for key in FILTER_KEYS if request.args.get(key)}
    return download(
        csvexport.to_csv(AUDIT_CSV_HEADER, rows),
        "text/csv; charset=utf-8",
        f"audit-{clock.today().isoformat()}.csv",
        entity=("audit", None),
        details={"filters": filters, "entries": len(rows)},
    )
