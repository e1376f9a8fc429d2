"""Stock pages: receive by scanning, vials and lots, discard, quarantine, expiring soon, stock counts."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from inventory.errors import DomainError
from inventory.models.stock import DiscardReason, LotStatus, VialStatus
from inventory.names import DISCARD_LABELS
from inventory.permissions import Permission, permission_required, require
from inventory.rules.gs1 import GS
from inventory.services import catalogue, placement, purchasing, receiving, stock, storage, usability
from inventory.services import counts as count_service
from inventory.services.stock import VialFilter
from inventory.web.coldchain import unit_label
from inventory.web.errors import form_failed
from inventory.web.forms import MoneyField, choices
from inventory.web.printing import vial_label_context

bp = Blueprint("stock", __name__, url_prefix="/stock")


def _product_choices(blank: Any) -> list[tuple[int, Any]]:
    return [(0, blank)] + [(p.id, p.name) for p in catalogue.list_products(include_inactive=False)]


def _optional_id(value: int | None) -> int | None:
    return value or None


# --- receiving ----------------------------------------------------------------------------------------


class ScanForm(FlaskForm):
    scan = StringField(_l("Scan the square code on the pack"), validators=[DataRequired(), Length(max=500)])


class ReceiptDetailsForm(FlaskForm):
    """What the nurse adds to a pack: how many containers, from whom, at what cost, on which shelf."""

    vials = IntegerField(
        _l("Number of vials or ampoules"),
        default=1,
        validators=[InputRequired(), NumberRange(min=1, max=1000)],
    )
    supplier = StringField(_l("Supplier"), validators=[Optional(), Length(max=120)])
    unit_cost = MoneyField(_l("Cost per vial"), validators=[Optional()])
    storage_unit_id = SelectField(_l("Where the vials go"), coerce=int, default=0, validate_choice=False)
    location = StringField(_l("Shelf or location"), validators=[Optional(), Length(max=60)])
    order_line_id = SelectField(_l("Against purchase order"), coerce=int, default=0, validate_choice=False)
    confirm_over = BooleanField(_l("Yes, receive more than ordered"))

    def request_values(self) -> dict[str, Any]:
        return {
            "vials": self.vials.data or 0,
            "supplier": self.supplier.data or "",
            "unit_cost_minor": self.unit_cost.data,
            "storage_unit_id": self.storage_unit_id.data or None,
            "location": self.location.data or "",
            "order_line_id": self.order_line_id.data or None,
            "confirm_over": bool(self.confirm_over.data),
        }

    def offer_units(self, product_storage: str | None) -> None:
        """COLD-01: receiving asks where the vials go, the default unit of the product's storage first."""
        self.storage_unit_id.choices = choices(
            [(0, _("— the usual unit for the product's storage —"))]
            + [(unit.id, unit_label(unit)) for unit in storage.list_units()]
        )
        default = placement.default_unit(product_storage) if product_storage else None
        if default is not None and not self.is_submitted():
            self.storage_unit_id.data = default.id

    def offer_order_lines(self, product_id: int | None) -> None:
        """The receiving page knows what is expected: open order lines, the oldest preselected."""
        lines = purchasing.expected_lines(product_id)
        self.order_line_id.choices = choices(
            [(0, _("— not against an order —"))]
            + [
                (
                    line.id,
                    _(
                        "Order %(order)s: %(product)s, %(left)d of %(quantity)d vials to come",
                        order=line.order.number,
                        product=line.product.name,
                        left=line.quantity - line.received_quantity,
                        quantity=line.quantity,
                    ),
                )
                for line in lines
            ]
        )
        if lines and product_id is not None and not self.is_submitted():
            self.order_line_id.data = lines[0].id


class ConfirmScanForm(ReceiptDetailsForm):
    scan = HiddenField(validators=[DataRequired()])
    product_id = SelectField(_l("Product"), coerce=int, default=0)
    remember_gtin = BooleanField(_l("Remember this GTIN for the product (if it has none)"), default=True)
    lot = StringField(_l("Lot number"), validators=[Optional(), Length(max=40)])
    expiry = DateField(_l("Expiry date"), validators=[Optional()])


class ManualReceiptForm(ReceiptDetailsForm):
    product_id = SelectField(_l("Product"), coerce=int, default=0)
    lot = StringField(_l("Lot number"), validators=[DataRequired(), Length(max=40)])
    expiry = DateField(_l("Expiry date"), validators=[InputRequired()])


def _pack_facts(raw: str) -> receiving.PackPreview:
    return receiving.preview_scan(raw)


@bp.route("/receive", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_STOCK)
def receive() -> str:
    """Step 1: the nurse scans the pack's DataMatrix (a handheld scanner types it) or types it."""
    form = ScanForm()
    if form.validate_on_submit():
        try:
            preview = _pack_facts(form.scan.data or "")
        except DomainError as error:
            form_failed(form, error)
            form.scan.data = _visible_scan(form.scan.data or "")
        else:
            confirm = ConfirmScanForm(formdata=None, scan=quote(form.scan.data or "", safe=""))
            return _render_confirm(confirm, preview)
    return render_template("stock/receive.html", form=form)


def _visible_scan(raw: str) -> str:
    """The scan typed back into the field: GS, a control character, shown as the accepted substitute."""
    return raw.replace(GS, current_app.config.get("GS1_GS_SUBSTITUTE") or "~")


def _render_confirm(form: ConfirmScanForm, preview: receiving.PackPreview) -> str:
    form.product_id.choices = _product_choices(_("— choose the product —"))
    form.offer_order_lines(preview.product.id if preview.product is not None else None)
    form.offer_units(preview.product.storage if preview.product is not None else None)
    if preview.product is not None and not form.unit_cost.raw_data:
        form.unit_cost.data = preview.product.unit_cost_minor
    return render_template("stock/receive_confirm.html", form=form, preview=preview)


@bp.route("/receive/confirm", methods=["POST"])
@permission_required(Permission.MANAGE_STOCK)
def receive_confirm() -> str | Response:
    """Step 2 (GS1-06): what was read, for the nurse to confirm with the count, supplier and cost."""
    form = ConfirmScanForm()
    form.product_id.choices = _product_choices(_("— choose the product —"))
    form.offer_order_lines(None)
    raw = unquote(form.scan.data or "")
    try:
        preview = _pack_facts(raw)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("stock.receive"))
    if form.validate_on_submit():
        data = receiving.ReceiptRequest(
            scan=raw,
            product_id=_optional_id(form.product_id.data) if preview.product is None else None,
            remember_gtin=bool(form.remember_gtin.data),
            lot=form.lot.data,
            expiry=form.expiry.data,
            **form.request_values(),
        )
        try:
            result = receiving.receive(data, user=require(Permission.MANAGE_STOCK))
        except DomainError as error:
            form_failed(form, error)
        else:
            return _received(result)
    return _render_confirm(form, preview)


@bp.route("/receive/manual", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_STOCK)
def receive_manual() -> str | Response:
    """A pack without a usable barcode: product, lot and expiry typed by hand."""
    form = ManualReceiptForm(product_id=request.args.get("product_id", 0, type=int))
    form.product_id.choices = _product_choices(_("— choose the product —"))
    form.offer_order_lines(request.args.get("product_id", type=int))
    form.offer_units(None)
    if form.validate_on_submit():
        data = receiving.ReceiptRequest(
            product_id=_optional_id(form.product_id.data),
            lot=form.lot.data,
            expiry=form.expiry.data,
            **form.request_values(),
        )
        try:
            result = receiving.receive(data, user=require(Permission.MANAGE_STOCK))
        except DomainError as error:
            form_failed(form, error)
        else:
            return _received(result)
    return render_template("stock/receive_manual.html", form=form)


def _received(result: receiving.ReceiptResult) -> Response:
    flash(
        _("%(n)s vials of lot %(lot)s are in stock.", n=len(result.vials), lot=result.lot.number),
        "success",
    )
    return redirect(url_for("stock.receipt", receipt_id=result.receipt.id))


@bp.route("/receipts/<int:receipt_id>")
@permission_required(Permission.READ_CATALOGUE)
def receipt(receipt_id: int) -> str:
    found = receiving.get_receipt(receipt_id)
    vials = receiving.vials_of_receipt(found.id)
    return render_template(
        "stock/receipt.html",
        receipt=found,
        lot=found.lot,
        vials=vials,
        states=usability.vial_states(vials),
        **vial_label_context(vials),
    )


# --- vials --------------------------------------------------------------------------------------------


@bp.route("/vials")
@permission_required(Permission.READ_CATALOGUE)
def vials() -> str:
    status = request.args.get("status", "")
    where = VialFilter(
        product_id=request.args.get("product_id", type=int) or None,
        lot_number=request.args.get("lot", "").strip()[:40] or None,
        status=status if status in set(VialStatus) else None,
        location=request.args.get("location", "").strip()[:60] or None,
        storage_unit_id=request.args.get("storage_unit_id", type=int) or None,
        usable_only=request.args.get("usable") == "1",
    )
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, more = stock.list_vials(where, page=page, per_page=100)
    return render_template(
        "stock/vials.html",
        rows=rows,
        where=where,
        page=page,
        more=more,
        products=catalogue.list_products(),
        statuses=list(VialStatus),
        units=storage.list_units(),
        args={key: value for key, value in request.args.items() if key != "page"},
    )


class DiscardForm(FlaskForm):
    reason = SelectField(_l("Why"), choices=lambda: [(r.value, DISCARD_LABELS[r]) for r in DiscardReason])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


@bp.route("/vials/<int:vial_id>")
@permission_required(Permission.READ_CATALOGUE)
def vial(vial_id: int) -> str:
    return _render_vial(stock.get_vial(vial_id), DiscardForm())


def _render_vial(found: Any, form: DiscardForm) -> str:
    return render_template(
        "stock/vial.html",
        vial=found,
        lot=found.lot,
        state=usability.vial_states([found])[found.id],
        history=stock.vial_history(found),
        form=form,
        **vial_label_context([found]),
    )


@bp.route("/vials/<int:vial_id>/discard", methods=["POST"])
@permission_required(Permission.MANAGE_STOCK)
def discard(vial_id: int) -> str | Response:
    found = stock.get_vial(vial_id)
    form = DiscardForm()
    if form.validate_on_submit():
        try:
            stock.discard_vial(
                found.id, form.reason.data or "", form.note.data or "", user=require(Permission.MANAGE_STOCK)
            )
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(
                _("Vial %(code)s is discarded; what was left is recorded as waste.", code=found.code),
                "success",
            )
            return redirect(url_for("stock.vial", vial_id=found.id))
    return _render_vial(found, form)


# --- lots and quarantine ------------------------------------------------------------------------------


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


@bp.route("/lots")
@permission_required(Permission.READ_CATALOGUE)
def lots() -> str:
    status = request.args.get("status", "")
    product_id = request.args.get("product_id", type=int) or None
    shown = stock.lots_page(
        request.args.get("page", type=int),
        product_id=product_id,
        status=status if status in set(LotStatus) else None,
    )
    return render_template(
        "stock/lots.html",
        lots=shown,
        summaries=stock.lot_summaries([lot.id for lot in shown.items]),
        products=catalogue.list_products(),
        product_id=product_id,
        status=status,
        statuses=list(LotStatus),
    )


@bp.route("/lots/<int:lot_id>")
@permission_required(Permission.READ_CATALOGUE)
def lot(lot_id: int) -> str:
    return _render_lot(stock.get_lot(lot_id), ReasonForm())


def _render_lot(found: Any, form: ReasonForm) -> str:
    rows, _more = stock.list_vials(VialFilter(lot_id=found.id), per_page=500)
    return render_template(
        "stock/lot.html",
        lot=found,
        rows=rows,
        receipts=stock.receipts_of_lot(found.id),
        history=stock.lot_history(found),
        recalled=usability.is_lot_recalled(found),
        form=form,
        **vial_label_context([]),
    )


@bp.route("/lots/<int:lot_id>/quarantine", methods=["POST"])
@permission_required(Permission.QUALITY)
def quarantine(lot_id: int) -> str | Response:
    return _lot_action(
        lot_id, stock.quarantine_lot, _("Lot %(lot)s is in quarantine: nothing of it can be drawn.")
    )


@bp.route("/lots/<int:lot_id>/release", methods=["POST"])
@permission_required(Permission.QUALITY)
def release(lot_id: int) -> str | Response:
    return _lot_action(lot_id, stock.release_lot, _("Lot %(lot)s is released."))


def _lot_action(lot_id: int, action: Any, done: str) -> str | Response:
    found = stock.get_lot(lot_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            action(found.id, form.reason.data or "", user=require(Permission.QUALITY))
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(done % {"lot": found.number}, "success")
            return redirect(url_for("stock.lot", lot_id=found.id))
    return _render_lot(found, form)


# --- expiring soon ------------------------------------------------------------------------------------

EXPIRING_WINDOWS = (7, 30, 60, 90)


@bp.route("/expiring")
@permission_required(Permission.READ_CATALOGUE)
def expiring() -> str:
    days = request.args.get("days", 30, type=int)
    if days is None or not 0 <= days <= 3650:
        days = 30
    unit_id = request.args.get("storage_unit_id", type=int) or None
    return render_template(
        "stock/expiring.html",
        items=stock.expiring(days, storage_unit_id=unit_id),
        days=days,
        windows=EXPIRING_WINDOWS,
        units=storage.list_units(),
        unit_id=unit_id,
    )


# --- stock counts -------------------------------------------------------------------------------------


class StartCountForm(FlaskForm):
    location = StringField(_l("Shelf or location"), validators=[Optional(), Length(max=60)])
    product_id = SelectField(_l("or a product"), coerce=int, default=0)
    storage_unit_id = SelectField(_l("or a storage unit"), coerce=int, default=0, validate_choice=False)


class CountScanForm(FlaskForm):
    code = StringField(_l("Scan each vial"), validators=[DataRequired(), Length(max=200)])


class ConfirmCountForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


class MissingDiscardForm(FlaskForm):
    reason = SelectField(
        _l("Write off as"),
        choices=lambda: [(r.value, DISCARD_LABELS[r]) for r in count_service.MISSING_DISCARD_REASONS],
    )


@bp.route("/counts", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_STOCK)
def counts() -> str | Response:
    form = StartCountForm()
    form.product_id.choices = _product_choices(_("— any product —"))
    form.storage_unit_id.choices = choices(
        [(0, _("— any unit —"))] + [(unit.id, unit_label(unit)) for unit in storage.list_units()]
    )
    if form.validate_on_submit():
        try:
            count = count_service.start_count(
                user=require(Permission.MANAGE_STOCK),
                location=form.location.data or "",
                product_id=_optional_id(form.product_id.data),
                storage_unit_id=_optional_id(form.storage_unit_id.data),
            )
        except DomainError as error:
            form_failed(form, error)
        else:
            return redirect(url_for("stock.count", count_id=count.id))
    return render_template(
        "stock/counts.html",
        form=form,
        counts=count_service.list_counts(),
        locations=count_service.locations(),
    )


@bp.route("/counts/<int:count_id>", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_STOCK)
def count(count_id: int) -> str | Response:
    found = count_service.get_count(count_id)
    form = CountScanForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            result = count_service.scan_for_count(
                found.id, form.code.data or "", user=require(Permission.MANAGE_STOCK)
            )
        except DomainError as error:
            form_failed(form, error)
        else:
            if result.already_seen:
                flash(_("%(code)s was already counted.", code=result.vial.code), "info")
            else:
                flash(_("%(code)s counted.", code=result.vial.code), "success")
            return redirect(url_for("stock.count", count_id=found.id))
    return _render_count(found, form)


def _render_count(found: Any, form: CountScanForm) -> str:
    confirmed = found.status != "open"
    return render_template(
        "stock/count.html",
        count=found,
        form=form,
        confirm_form=ConfirmCountForm(),
        missing_form=MissingDiscardForm(),
        report=None if confirmed else count_service.count_report(found),
        lines=count_service.count_lines(found) if confirmed else [],
    )


@bp.route("/counts/<int:count_id>/confirm", methods=["POST"])
@permission_required(Permission.MANAGE_STOCK)
def confirm_count(count_id: int) -> str | Response:
    found = count_service.get_count(count_id)
    form = ConfirmCountForm()
    if not form.validate_on_submit():
        flash(_("The count could not be confirmed: check the note."), "error")
        return redirect(url_for("stock.count", count_id=found.id))
    try:
        count_service.confirm_count(
            found.id, user=require(Permission.MANAGE_STOCK), note=form.note.data or ""
        )
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("The count is confirmed and its differences are recorded."), "success")
    return redirect(url_for("stock.count", count_id=found.id))


@bp.route("/counts/<int:count_id>/missing/<int:vial_id>/discard", methods=["POST"])
@permission_required(Permission.MANAGE_STOCK)
def discard_missing(count_id: int, vial_id: int) -> Response:
    form = MissingDiscardForm()
    if not form.validate_on_submit():
        flash(_("Choose other or damaged."), "error")
        return redirect(url_for("stock.count", count_id=count_id))
    try:
        found = count_service.discard_missing(
            count_id, vial_id, form.reason.data or "", user=require(Permission.MANAGE_STOCK)
        )
    except DomainError as error:
        if error.status == 404:
            abort(404)
        flash(error.message, "error")
    else:
        flash(_("Vial %(code)s is written off.", code=found.code), "success")
    return redirect(url_for("stock.count", count_id=count_id))
