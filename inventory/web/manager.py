"""The manager's desk: dashboard, reorder list, purchase orders, reports, and the audit trail."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.exceptions import NotFound as HttpNotFound
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import (
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from inventory import charts, clock
from inventory.errors import DomainError, NotFound
from inventory.extensions import db
from inventory.models import Product, User
from inventory.models.purchasing import OrderStatus, PurchaseOrder
from inventory.permissions import Permission, permission_required
from inventory.rules.money import format_money
from inventory.rules.units import ul_to_ml
from inventory.services import audit, purchasing, reports
from inventory.services import dashboard as dashboard_service
from inventory.services import reorder as reorder_service
from inventory.web.errors import form_failed
from inventory.web.forms import MoneyField

bp = Blueprint("manager", __name__, url_prefix="/manager")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "link": link,
        "order_status_label": purchasing.status_label,
        "reason_label": reason_label,
        "indication_label": indication_label,
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
        day = datetime.strptime(value, "%Y-%m-%d").date()
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


# ---- purchase orders -----------------------------------------------------------------------------


class NewOrderForm(FlaskForm):
    supplier = StringField(_l("Supplier"), validators=[Optional(), Length(max=120)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class OrderDetailsForm(NewOrderForm):
    pass


def _product_choices() -> list[SelectChoice]:
    products = db.session.scalars(select_active_products())
    return [SelectChoice(str(product.id), product.name) for product in products]


def select_active_products() -> Any:
    return db.select(Product).where(Product.active.is_(True)).order_by(Product.name)


class AddLineForm(FlaskForm):
    product_id = SelectField(_l("Product"), coerce=int, validators=[InputRequired()])
    quantity = IntegerField(
        _l("Vials"), default=1, validators=[InputRequired(), NumberRange(min=1, max=10_000)]
    )
    unit_cost_minor = MoneyField(_l("Cost per vial (blank: the catalogue's)"), validators=[Optional()])


class LineForm(FlaskForm):
    quantity = IntegerField(_l("Vials"), validators=[InputRequired(), NumberRange(min=1, max=10_000)])
    unit_cost_minor = MoneyField(_l("Cost per vial"), validators=[InputRequired()])


class ReceiveForm(FlaskForm):
    quantity = IntegerField(
        _l("Vials received"), validators=[InputRequired(), NumberRange(min=1, max=10_000)]
    )
    note = StringField(_l("Note (delivery note number…)"), validators=[Optional(), Length(max=500)])


class CancelForm(FlaskForm):
    reason = StringField(_l("Why cancel?"), validators=[Optional(), Length(max=500)])


class EmptyForm(FlaskForm):
    pass


@bp.route("/orders")
@permission_required(Permission.REPORTS)
def orders() -> str:
    status = request.args.get("status") or None
    if status not in {s.value for s in OrderStatus}:
        status = None
    return render_template(
        "manager/orders.html",
        orders=purchasing.list_orders(status),
        status=status,
        statuses=list(OrderStatus),
        form=NewOrderForm(),
    )


@bp.route("/orders/new", methods=["POST"])
@permission_required(Permission.REPORTS)
def new_order() -> tuple[str, int] | WerkzeugResponse:
    form = NewOrderForm()
    if form.validate_on_submit():
        order = purchasing.create_order(form.supplier.data or "", form.note.data or "")
        flash(_("Draft order %(number)s created: add its lines.", number=order.number), "success")
        return redirect(url_for("manager.order", order_id=order.id))
    return render_template(
        "manager/orders.html",
        orders=purchasing.list_orders(),
        status=None,
        statuses=list(OrderStatus),
        form=form,
    ), 422


def _render_order(order: PurchaseOrder, status: int = 200, **forms: Any) -> tuple[str, int]:
    add_form = forms.get("add_form") or AddLineForm(formdata=None)
    add_form.product_id.choices = _product_choices()
    history, _more = audit.entries(
        audit.AuditFilter(entity_type="purchase_order", entity_id=order.id), per_page=50
    )
    return render_template(
        "manager/order.html",
        order=order,
        add_form=add_form,
        details_form=forms.get("details_form") or OrderDetailsForm(formdata=None, obj=order),
        line_forms=forms.get("line_forms", {}),
        receive_forms=forms.get("receive_forms", {}),
        cancel_form=forms.get("cancel_form") or CancelForm(formdata=None),
        empty_form=EmptyForm(formdata=None),
        history=history,
    ), status


@bp.route("/orders/<int:order_id>")
@permission_required(Permission.REPORTS)
def order(order_id: int) -> tuple[str, int]:
    return _render_order(purchasing.get_order(order_id))


def _back(order: PurchaseOrder) -> WerkzeugResponse:
    return redirect(url_for("manager.order", order_id=order.id))


@bp.route("/orders/<int:order_id>/details", methods=["POST"])
@permission_required(Permission.REPORTS)
def order_details(order_id: int) -> tuple[str, int] | WerkzeugResponse:
    order = purchasing.get_order(order_id)
    form = OrderDetailsForm()
    if form.validate_on_submit():
        try:
            purchasing.update_order(order, supplier=form.supplier.data or "", note=form.note.data or "")
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(_("Order %(number)s saved.", number=order.number), "success")
            return _back(order)
    return _render_order(order, 422, details_form=form)


@bp.route("/orders/<int:order_id>/lines", methods=["POST"])
@permission_required(Permission.REPORTS)
def add_line(order_id: int) -> tuple[str, int] | WerkzeugResponse:
    order = purchasing.get_order(order_id)
    form = AddLineForm()
    form.product_id.choices = _product_choices()
    if form.validate_on_submit():
        try:
            purchasing.add_line(
                order,
                purchasing.LineInput(form.product_id.data, form.quantity.data, form.unit_cost_minor.data),
            )
        except DomainError as error:
            form_failed(form, error)
        else:
            return _back(order)
    return _render_order(order, 422, add_form=form)


@bp.route("/orders/<int:order_id>/lines/<int:line_id>", methods=["POST"])
@permission_required(Permission.REPORTS)
def update_line(order_id: int, line_id: int) -> tuple[str, int] | WerkzeugResponse:
    order = purchasing.get_order(order_id)
    form = LineForm()
    if form.validate_on_submit():
        try:
            purchasing.update_line(
                order, line_id, quantity=form.quantity.data, unit_cost_minor=form.unit_cost_minor.data or 0
            )
        except DomainError as error:
            form_failed(form, error)
        else:
            return _back(order)
    return _render_order(order, 422, line_forms={line_id: form})


@bp.route("/orders/<int:order_id>/lines/<int:line_id>/remove", methods=["POST"])
@permission_required(Permission.REPORTS)
def remove_line(order_id: int, line_id: int) -> tuple[str, int] | WerkzeugResponse:
    order = purchasing.get_order(order_id)
    if EmptyForm().validate_on_submit():
        try:
            purchasing.remove_line(order, line_id)
        except DomainError as error:
            flash(error.message, "error")
        return _back(order)
    return _render_order(order, 400)


@bp.route("/orders/<int:order_id>/send", methods=["POST"])
@permission_required(Permission.REPORTS)
def send_order(order_id: int) -> tuple[str, int] | WerkzeugResponse:
    order = purchasing.get_order(order_id)
    if EmptyForm().validate_on_submit():
        try:
            purchasing.mark_sent(order)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Order %(number)s is marked as sent.", number=order.number), "success")
        return _back(order)
    return _render_order(order, 400)


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@permission_required(Permission.REPORTS)
def cancel_order(order_id: int) -> tuple[str, int] | WerkzeugResponse:
    order = purchasing.get_order(order_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            purchasing.cancel(order, form.reason.data or "")
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(_("Order %(number)s is cancelled.", number=order.number), "success")
            return _back(order)
    return _render_order(order, 422, cancel_form=form)


@bp.route("/orders/<int:order_id>/lines/<int:line_id>/receive", methods=["POST"])
@permission_required(Permission.REPORTS)
def receive_line(order_id: int, line_id: int) -> tuple[str, int] | WerkzeugResponse:
    order = purchasing.get_order(order_id)
    form = ReceiveForm()
    if form.validate_on_submit():
        try:
            if not any(line.id == line_id for line in order.lines):
                raise NotFound("not_found", _("Order %(number)s has no such line.", number=order.number))
            purchasing.record_received(line_id, form.quantity.data, form.note.data or "")
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(_("%(n)d vials recorded as received.", n=form.quantity.data), "success")
            return _back(order)
    return _render_order(order, 422, receive_forms={line_id: form})


def _download(body: str | bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/orders/<int:order_id>.pdf")
@permission_required(Permission.REPORTS)
def order_pdf(order_id: int) -> Response:
    order = purchasing.get_order(order_id)
    pdf = purchasing.order_pdf(order, clinic_name=current_app.config["CLINIC_NAME"])
    return _download(pdf, "application/pdf", f"{order.number}.pdf")


@bp.route("/orders/<int:order_id>.csv")
@permission_required(Permission.REPORTS)
def order_csv(order_id: int) -> Response:
    order = purchasing.get_order(order_id)
    return _download("\ufeff" + purchasing.order_csv(order), "text/csv; charset=utf-8", f"{order.number}.csv")


# ---- reports -------------------------------------------------------------------------------------


def _report_period() -> tuple[reports.Period, reports.Grain]:
    """The date range of the filter (default: the last 12 weeks) and the grain (week or month)."""
    default = reports.Period.last_weeks(12)
    start = _parse_date(request.args.get("from")) or default.start
    end = _parse_date(request.args.get("to")) or default.end
    if end < start:
        start, end = end, start
    if (end - start).days > 3 * 366:
        start = end - timedelta(days=3 * 366)
    grain = reports.Grain.MONTH if request.args.get("grain") == "month" else reports.Grain.WEEK
    return reports.Period(start, end), grain


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _bucket_label(key: date, grain: reports.Grain) -> str:
    return str(format_date(key, "MMM yyyy" if grain is reports.Grain.MONTH else "d MMM"))


def _ml(ul: int) -> float:
    return float(ul_to_ml(ul))


def _money(minor: int) -> float:
    return minor / 100


def _fmt_money(value: float) -> str:
    return str(format_decimal(value, format="#,##0.##"))


def _fmt_number(value: float) -> str:
    return str(format_decimal(value, format="#,##0.###"))


@bp.route("/reports")
@permission_required(Permission.REPORTS)
def reports_page() -> str:
    period, grain = _report_period()
    usage = reports.usage(period, grain)
    waste = reports.waste(period)
    sessions = reports.cost_per_session(period)
    administered = reports.syringes_administered(period, grain)
    labels = [_bucket_label(key, grain) for key in usage.keys]
    top = usage.rows[:6]
    usage_chart = charts.line_chart(
        labels,
        [charts.Series(row.name, [_ml(v) for v in row.volumes]) for row in top],
        title=_("Millilitres drawn per product"),
        unit="mL",
        fmt=_fmt_number,
    )
    waste_chart = charts.bar_chart(
        [reason_label(row.reason) for row in waste.rows],
        [_money(row.cost_minor) for row in waste.rows],
        title=_("Waste cost by reason"),
        unit=_("cost"),
        fmt=_fmt_money,
        color=charts.PALETTE[3],
    )
    session_chart = charts.bar_chart(
        [indication_label(row.indication) for row in sessions],
        [_money(row.per_session_minor) for row in sessions],
        title=_("Average cost per session by indication"),
        unit=_("cost"),
        fmt=_fmt_money,
        color=charts.PALETTE[2],
    )
    administered_chart = charts.bar_chart(
        [_bucket_label(key, grain) for key, _count in administered],
        [count for _key, count in administered],
        title=_("Syringes administered"),
        unit=_("syringes"),
        fmt=_fmt_number,
        integers=True,
    )
    return render_template(
        "manager/reports.html",
        period=period,
        grain=grain,
        usage=usage,
        usage_labels=labels,
        waste=waste,
        sessions=sessions,
        administered=administered,
        usage_chart=usage_chart,
        waste_chart=waste_chart,
        session_chart=session_chart,
        administered_chart=administered_chart,
        bucket_label=_bucket_label,
    )


REPORT_NAMES = ("usage", "waste", "sessions", "administered")


@bp.route("/reports/<name>.csv")
@permission_required(Permission.REPORTS)
def report_csv(name: str) -> Response:
    if name not in REPORT_NAMES:
        raise HttpNotFound()
    period, grain = _report_period()
    body = _report_rows(name, period, grain)
    filename = f"{name}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return _download("\ufeff" + body, "text/csv; charset=utf-8", filename)


def _report_rows(name: str, period: reports.Period, grain: reports.Grain) -> str:
    if name == "usage":
        usage = reports.usage(period, grain)
        header = ["product_id", "product", *[key.isoformat() for key in usage.keys], "total_ml"]
        rows = [
            [row.product_id, row.name, *[str(ul_to_ml(v)) for v in row.volumes], str(ul_to_ml(row.total_ul))]
            for row in usage.rows
        ]
        return reports.to_csv(header, rows)
    if name == "waste":
        waste = reports.waste(period)
        return reports.to_csv(
            ["reason", "vials", "syringes", "volume_ml", "cost"],
            [
                [
                    row.reason,
                    row.vials,
                    row.syringes,
                    str(ul_to_ml(row.volume_ul)),
                    format_money(row.cost_minor),
                ]
                for row in waste.rows
            ],
        )
    if name == "sessions":
        return reports.to_csv(
            ["indication", "sessions", "syringes", "cost", "cost_per_session"],
            [
                [
                    row.indication,
                    row.sessions,
                    row.syringes,
                    format_money(row.cost_minor),
                    format_money(row.per_session_minor),
                ]
                for row in reports.cost_per_session(period)
            ],
        )
    return reports.to_csv(
        [grain.value, "syringes"],
        [[key.isoformat(), count] for key, count in reports.syringes_administered(period, grain)],
    )


def reason_label(reason: str) -> str:
    labels = {
        "expired": _("Expired"),
        "in_use_limit": _("Past in-use limit"),
        "contaminated": _("Contaminated"),
        "damaged": _("Damaged"),
        "recalled": _("Recalled"),
        "bud_passed": _("Past BUD"),
        "other": _("Other"),
    }
    return str(labels.get(reason, reason))


def indication_label(indication: str) -> str:
    labels = {
        "skin": _("Skin"),
        "hair": _("Hair"),
        "cellulite": _("Cellulite"),
        "fat": _("Fat"),
        "other": _("Other"),
    }
    return str(labels.get(indication, indication))


# ---- audit trail ---------------------------------------------------------------------------------


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
