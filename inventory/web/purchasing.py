"""Purchase orders: draft, lines, send, receive against a line, PDF and CSV (the manager's blueprint)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from inventory.errors import DomainError, NotFound
from inventory.extensions import db
from inventory.models import Product
from inventory.models.purchasing import OrderStatus, PurchaseOrder
from inventory.permissions import Permission, permission_required, require
from inventory.rules.errors import RuleError
from inventory.rules.money import parse_money
from inventory.services import audit, purchasing, receiving, suppliers
from inventory.services.receiving import MAX_VIALS_PER_RECEIPT
from inventory.web.errors import form_failed
from inventory.web.forms import MoneyField
from inventory.web.manager import bp, download

# ---- purchase orders -----------------------------------------------------------------------------


class NewOrderForm(FlaskForm):
    supplier = StringField(
        _l("Supplier"),
        validators=[Optional(), Length(max=120)],
        render_kw={"list": "supplier-names", "autocomplete": "off"},
    )
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


class LinesForm(FlaskForm):
    """Every line of a draft in one form: `quantity-<line id>` and `unit_cost-<line id>` per line."""


class ReceiveForm(FlaskForm):
    """A delivery against one order line, through the receiving service: the pack's scan, or the lot
    and expiry typed from the box. Stock is created; the line counts the vials."""

    scan = StringField(_l("Scan the pack"), validators=[Optional(), Length(max=500)])
    lot = StringField(_l("Lot number"), validators=[Optional(), Length(max=40)])
    expiry = DateField(_l("Expiry date"), validators=[Optional()])
    quantity = IntegerField(
        _l("Vials received"), validators=[InputRequired(), NumberRange(min=1, max=MAX_VIALS_PER_RECEIPT)]
    )
    location = StringField(_l("Shelf or location"), validators=[Optional(), Length(max=60)])
    confirm_over = BooleanField(_l("Yes, receive more than ordered"))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.scan.data or "").strip() and not ((self.lot.data or "").strip() and self.expiry.data):
            self.lot.errors = [*self.lot.errors, _("Scan the pack, or type its lot number and expiry date.")]
            return False
        return bool(valid)


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
        supplier_records=suppliers.list_suppliers(),
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
        supplier_records=suppliers.list_suppliers(),
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
        typed_lines=forms.get("typed_lines") or {},
        line_errors=forms.get("line_errors") or {},
        lines_form=LinesForm(formdata=None),
        asking_over=forms.get("asking_over", False),
        receive_forms=forms.get("receive_forms", {}),
        cancel_form=forms.get("cancel_form") or CancelForm(formdata=None),
        empty_form=EmptyForm(formdata=None),
        history=history,
        supplier_records=suppliers.list_suppliers(),
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
    line = next((line for line in order.lines if line.id == line_id), None)
    if line is None:
        raise NotFound("not_found", _("Order %(number)s has no such line.", number=order.number))
    asking_over = False
    if form.validate_on_submit():
        scan = (form.scan.data or "").strip()
        request_ = receiving.ReceiptRequest(
            vials=form.quantity.data or 0,
            scan=scan or None,
            product_id=None if scan else line.product_id,
            lot=None if scan else form.lot.data,
            expiry=None if scan else form.expiry.data,
            supplier=order.supplier,
            unit_cost_minor=line.unit_cost_minor,
            location=form.location.data or "",
            order_line_id=line.id,
            confirm_over=bool(form.confirm_over.data),
        )
        try:
            result = receiving.receive(request_, user=require(Permission.MANAGE_STOCK))
        except DomainError as error:
            form_failed(form, error)
            asking_over = error.code == "over_receipt"
        else:
            flash(
                _(
                    "%(n)d vials of lot %(lot)s received into stock against %(number)s.",
                    n=len(result.vials),
                    lot=result.lot.number,
                    number=order.number,
                ),
                "success",
            )
            return _back(order)
    return _render_order(
        order, 409 if asking_over else 422, receive_forms={line_id: form}, asking_over=asking_over
    )


def _typed_lines(order: PurchaseOrder, typed: Any) -> tuple[dict[int, tuple[int, int]], dict[str, str]]:
    """The quantities and costs typed for every line, and what is wrong with them (by field name)."""
    edits: dict[int, tuple[int, int]] = {}
    errors: dict[str, str] = {}
    for line in order.lines:
        quantity_text = (typed.get(f"quantity-{line.id}") or "").strip()
        cost_text = (typed.get(f"unit_cost-{line.id}") or "").strip()
        quantity = int(quantity_text) if quantity_text.isdigit() else None
        if quantity is None or not 0 < quantity <= purchasing.MAX_QUANTITY:
            errors[f"quantity-{line.id}"] = _("From 1 to %(max)d vials.", max=purchasing.MAX_QUANTITY)
        try:
            cost = parse_money(cost_text)
        except RuleError:
            errors[f"unit_cost-{line.id}"] = _("An amount such as 12.50.")
            cost = None
        if quantity is not None and cost is not None:
            edits[line.id] = (quantity, cost)
    return edits, errors


@bp.route("/orders/<int:order_id>/lines/save", methods=["POST"])
@permission_required(Permission.REPORTS)
def save_lines(order_id: int) -> tuple[str, int] | WerkzeugResponse:
    """One form for every line: what was typed on each line is saved together, or shown again."""
    order = purchasing.get_order(order_id)
    form = LinesForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        edits, errors = _typed_lines(order, request.form)
        if not errors:
            try:
                purchasing.update_lines(order, edits)
            except DomainError as error:
                errors = {name: str(message) for name, message in error.fields.items()}
                flash(error.message, "error")
            else:
                flash(_("Order %(number)s saved.", number=order.number), "success")
                return _back(order)
        else:
            flash(_("Some lines are not right; nothing was saved. Correct them and save again."), "error")
    return _render_order(order, 422, typed_lines=request.form, line_errors=errors)


@bp.route("/orders/<int:order_id>.pdf")
@permission_required(Permission.REPORTS)
def order_pdf(order_id: int) -> Response:
    order = purchasing.get_order(order_id)
    pdf = purchasing.order_pdf(
        order,
        clinic_name=current_app.config["CLINIC_NAME"],
        clinic_address=current_app.config.get("CLINIC_ADDRESS", ""),
    )
    return download(pdf, "application/pdf", f"{order.number}.pdf", entity=("purchase_order", order.id))


@bp.route("/orders/<int:order_id>.csv")
@permission_required(Permission.REPORTS)
def order_csv(order_id: int) -> Response:
    order = purchasing.get_order(order_id)
    return download(
        purchasing.order_csv(order),
        "text/csv; charset=utf-8",
        f"{order.number}.csv",
        entity=("purchase_order", order.id),
    )


# ---- suppliers -----------------------------------------------------------------------------------


class SupplierForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=2000)])
    contact = TextAreaField(_l("Contact (person, phone, email)"), validators=[Optional(), Length(max=2000)])
    lead_time_days = IntegerField(
        _l("Lead time (days)"), validators=[Optional(), NumberRange(min=0, max=365)]
    )

    def values(self) -> suppliers.SupplierInput:
        return suppliers.SupplierInput(
            name=self.name.data or "",
            address=self.address.data or "",
            contact=self.contact.data or "",
            lead_time_days=self.lead_time_days.data,
        )


@bp.route("/suppliers", methods=["GET", "POST"])
@permission_required(Permission.REPORTS)
def supplier_list() -> tuple[str, int] | WerkzeugResponse:
    form = SupplierForm()
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            try:
                supplier = suppliers.create_supplier(form.values())
            except DomainError as error:
                form_failed(form, error)
            else:
                flash(_("Supplier %(name)s saved.", name=supplier.name), "success")
                return redirect(url_for("manager.supplier", supplier_id=supplier.id))
    return render_template("manager/suppliers.html", suppliers=suppliers.list_suppliers(), form=form), status


@bp.route("/suppliers/<int:supplier_id>", methods=["GET", "POST"])
@permission_required(Permission.REPORTS)
def supplier(supplier_id: int) -> tuple[str, int] | WerkzeugResponse:
    record = suppliers.get_supplier(supplier_id)
    form = SupplierForm(obj=record)
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            try:
                suppliers.update_supplier(record, form.values())
            except DomainError as error:
                form_failed(form, error)
            else:
                flash(_("Supplier %(name)s saved.", name=record.name), "success")
                return redirect(url_for("manager.supplier", supplier_id=record.id))
    orders = [order for order in purchasing.list_orders() if order.supplier_id == record.id]
    return render_template("manager/supplier.html", supplier=record, form=form, orders=orders), status
