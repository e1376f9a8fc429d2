"""Purchase orders: drafted from the reorder list, edited, sent, received line by line, exported.

Receiving stock (services/stock.py) links a receipt to the line it fulfils with `record_receipt`,
inside its own transaction; the order page records counted vials with `record_received`.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, update

from inventory import clock, csvexport, formatting
from inventory.config import ROOT
from inventory.errors import Conflict, Invalid, NotFound
from inventory.extensions import db
from inventory.formatting import currency
from inventory.models import Product, Receipt
from inventory.models.purchasing import (
    OPEN_STATUSES,
    OrderStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderReceipt,
)
from inventory.names import ORDER_STATUS_LABELS, label
from inventory.rules.money import format_money
from inventory.services import audit, suppliers, transaction
from inventory.services import reorder as reorder_service

__all__ = [
    "OrderStatus",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderReceipt",
    "add_line",
    "cancel",
    "create_from_suggestions",
    "create_order",
    "expected_lines",
    "get_order",
    "list_orders",
    "mark_sent",
    "order_csv",
    "order_pdf",
    "record_receipt",
    "remove_line",
    "update_line",
    "update_lines",
    "update_order",
]

MAX_QUANTITY = 10_000


@dataclass(frozen=True)
class LineInput:
    product_id: int
    quantity: int
    unit_cost_minor: int | None = None


def _current_user_id() -> int | None:
    if current_user and getattr(current_user, "is_authenticated", False):
        return int(current_user.id)
    return None


# ---- reading -------------------------------------------------------------------------------------


def get_order(order_id: int) -> PurchaseOrder:
    order = db.session.get(PurchaseOrder, order_id)
    if order is None:
        raise NotFound("not_found", _("No purchase order with id %(id)s.", id=order_id))
    return order


def list_orders(status: str | None = None) -> list[PurchaseOrder]:
    query = select(PurchaseOrder).order_by(PurchaseOrder.created_at.desc(), PurchaseOrder.id.desc())
    if status:
        query = query.where(PurchaseOrder.status == status)
    return list(db.session.scalars(query))


def expected_lines(product_id: int | None = None) -> list[PurchaseOrderLine]:
    """Lines of sent orders still waiting for vials (of this product, or of any), oldest order first: what
    the receiving page offers to link a new receipt to."""
    query = (
        select(PurchaseOrderLine)
        .join(PurchaseOrder, PurchaseOrderLine.order_id == PurchaseOrder.id)
        .where(
            PurchaseOrder.status.in_(OPEN_STATUSES),
            PurchaseOrderLine.quantity > PurchaseOrderLine.received_quantity,
        )
        .order_by(PurchaseOrder.sent_at, PurchaseOrder.id, PurchaseOrderLine.id)
    )
    if product_id is not None:
        query = query.where(PurchaseOrderLine.product_id == product_id)
    return list(db.session.scalars(query))


# ---- drafting ------------------------------------------------------------------------------------


def _check_quantity(quantity: int, field: str = "quantity") -> None:
    if not 0 < quantity <= MAX_QUANTITY:
        raise Invalid(
            "invalid_quantity",
            _("A quantity is a whole number of vials from 1 to %(max)d.", max=MAX_QUANTITY),
            fields={field: _("From 1 to %(max)d vials.", max=MAX_QUANTITY)},
        )


def _product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound("not_found", _("No product with id %(id)s.", id=product_id))
    return product


def _require_draft(order: PurchaseOrder) -> None:
    if order.status != OrderStatus.DRAFT:
        raise Conflict(
            "order_not_draft",
            _("Order %(number)s was sent: its lines can no longer change.", number=order.number),
        )


def _new_order(supplier: str, note: str) -> PurchaseOrder:
    record = suppliers.record_for(supplier)
    order = PurchaseOrder(
        number=f"tmp-{uuid.uuid4().hex}",
        supplier=record.name if record else "",
        supplier_id=record.id if record else None,
        note=note.strip(),
        status=OrderStatus.DRAFT,
        created_by_id=_current_user_id(),
        created_at=clock.now(),
    )
    db.session.add(order)
    db.session.flush()
    order.number = f"PO-{clock.today():%Y}-{order.id:05d}"
    return order


def _add_line(order: PurchaseOrder, item: LineInput) -> PurchaseOrderLine:
    _check_quantity(item.quantity)
    product = _product(item.product_id)
    cost = product.unit_cost_minor if item.unit_cost_minor is None else item.unit_cost_minor
    if cost < 0:
        raise Invalid(
            "invalid_amount", _("A cost cannot be negative."), fields={"unit_cost": _("Not negative.")}
        )
    line = PurchaseOrderLine(order=order, product=product, quantity=item.quantity, unit_cost_minor=cost)
    db.session.add(line)
    db.session.flush()
    return line


def create_order(supplier: str = "", note: str = "", lines: Iterable[LineInput] = ()) -> PurchaseOrder:
    with transaction():
        order = _new_order(supplier, note)
        added = [_add_line(order, item) for item in lines]
        audit.record(
            "purchase_order_created",
            "purchase_order",
            order.id,
            details={
                "number": order.number,
                "supplier": order.supplier,
                "lines": [{"product_id": line.product_id, "quantity": line.quantity} for line in added],
            },
        )
    return order


def create_from_suggestions(
    product_ids: Iterable[int],
    *,
    quantities: Mapping[int, int] | None = None,
    per_supplier: bool = True,
    note: str = "",
) -> list[PurchaseOrder]:
    """Draft orders for the ticked products of the reorder list: one per supplier (the supplier of
    each product's latest receipt), or a single order. Quantities default to the suggestion."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        raise Invalid("nothing_selected", _("Tick at least one product to order."))
    products = list(db.session.scalars(select(Product).where(Product.id.in_(ids))))
    if len(products) != len(ids):
        raise NotFound("not_found", _("A product in the selection does not exist."))
    suggestions = {line.product.id: line for line in reorder_service.reorder_lines(products=products)}
    quantities = quantities or {}
    groups: dict[str, list[LineInput]] = {}
    for product in sorted(products, key=lambda p: p.name):
        line = suggestions[product.id]
        quantity = (
            quantities.get(product.id) or line.suggestion.suggested_vials or product.reorder_quantity or 1
        )
        supplier = line.supplier if per_supplier else ""
        groups.setdefault(supplier, []).append(LineInput(product.id, quantity))
    orders = []
    with transaction():
        for supplier, items in sorted(groups.items()):
            order = _new_order(supplier, note)
            added = [_add_line(order, item) for item in items]
            audit.record(
                "purchase_order_created",
                "purchase_order",
                order.id,
                details={
                    "number": order.number,
                    "supplier": order.supplier,
                    "from": "reorder_list",
                    "lines": [{"product_id": line.product_id, "quantity": line.quantity} for line in added],
                },
            )
            orders.append(order)
    return orders


def update_order(order: PurchaseOrder, *, supplier: str, note: str) -> PurchaseOrder:
    with transaction():
        _require_draft(order)
        record = suppliers.record_for(supplier)
        after = {"supplier": record.name if record else "", "note": note.strip()}
        changed = audit.changes({"supplier": order.supplier, "note": order.note}, after)
        if changed:
            order.supplier, order.note = after["supplier"], after["note"]
            order.supplier_id = record.id if record else None
            audit.record("purchase_order_updated", "purchase_order", order.id, details={"changed": changed})
    return order


def add_line(order: PurchaseOrder, item: LineInput) -> PurchaseOrderLine:
    with transaction():
        _require_draft(order)
        line = _add_line(order, item)
        audit.record(
            "purchase_order_line_added",
            "purchase_order",
            order.id,
            details={"line_id": line.id, "product_id": line.product_id, "quantity": line.quantity},
        )
    return line


def _line_of(order: PurchaseOrder, line_id: int) -> PurchaseOrderLine:
    line = db.session.get(PurchaseOrderLine, line_id)
    if line is None or line.order_id != order.id:
        raise NotFound("not_found", _("Order %(number)s has no such line.", number=order.number))
    return line


def _change_line(
    order: PurchaseOrder, line_id: int, quantity: int, unit_cost_minor: int
) -> PurchaseOrderLine:
    line = _line_of(order, line_id)
    _check_quantity(quantity, f"quantity-{line_id}")
    if unit_cost_minor < 0:
        raise Invalid(
            "invalid_amount",
            _("A cost cannot be negative."),
            fields={f"unit_cost-{line_id}": _("Not negative.")},
        )
    changed = audit.changes(
        {"quantity": line.quantity, "unit_cost_minor": line.unit_cost_minor},
        {"quantity": quantity, "unit_cost_minor": unit_cost_minor},
    )
    if changed:
        line.quantity, line.unit_cost_minor = quantity, unit_cost_minor
        audit.record(
            "purchase_order_line_changed",
            "purchase_order",
            order.id,
            details={"line_id": line.id, "product_id": line.product_id, "changed": changed},
        )
    return line


def update_line(
    order: PurchaseOrder, line_id: int, *, quantity: int, unit_cost_minor: int
) -> PurchaseOrderLine:
    with transaction():
        _require_draft(order)
        return _change_line(order, line_id, quantity, unit_cost_minor)


def update_lines(order: PurchaseOrder, edits: Mapping[int, tuple[int, int]]) -> list[PurchaseOrderLine]:
    """Every line's quantity and cost as typed ({line_id: (quantity, unit_cost_minor)}), all in one
    transaction: all saved, or none when one is wrong (the page shows them all again, as typed)."""
    with transaction():
        _require_draft(order)
        return [_change_line(order, line_id, *values) for line_id, values in edits.items()]


def remove_line(order: PurchaseOrder, line_id: int) -> None:
    """A draft's line can go: nothing was sent or received against it yet."""
    with transaction():
        _require_draft(order)
        line = _line_of(order, line_id)
        audit.record(
            "purchase_order_line_removed",
            "purchase_order",
            order.id,
            details={"line_id": line.id, "product_id": line.product_id, "quantity": line.quantity},
        )
        db.session.delete(line)
        db.session.flush()
        db.session.expire(order, ["lines"])


# ---- state changes -------------------------------------------------------------------------------


def _locked(order: PurchaseOrder) -> PurchaseOrder:
    return _locked_id(order.id)


def _locked_id(order_id: int) -> PurchaseOrder:
    """The order row locked for this transaction (PostgreSQL; SQLite transactions are IMMEDIATE),
    re-read so a change committed meanwhile is seen."""
    query = select(PurchaseOrder).where(PurchaseOrder.id == order_id).with_for_update()
    return db.session.scalars(query.execution_options(populate_existing=True)).one()


def mark_sent(order: PurchaseOrder) -> PurchaseOrder:
    with transaction():
        order = _locked(order)
        _require_draft(order)
        if not order.lines:
            raise Invalid("empty_order", _("Add at least one line before sending the order."))
        order.status = OrderStatus.SENT
        order.sent_at = clock.now()
        audit.record(
            "purchase_order_sent",
            "purchase_order",
            order.id,
            details={"number": order.number, "supplier": order.supplier, "total_minor": order.total_minor},
        )
    return order


def cancel(order: PurchaseOrder, reason: str = "") -> PurchaseOrder:
    with transaction():
        order = _locked(order)
        if order.status not in (OrderStatus.DRAFT, OrderStatus.SENT):
            raise Conflict(
                "order_not_cancellable",
                _(
                    "Order %(number)s has vials received or is closed: it cannot be cancelled.",
                    number=order.number,
                ),
            )
        before = order.status
        order.status = OrderStatus.CANCELLED
        order.cancelled_at = clock.now()
        audit.record(
            "purchase_order_cancelled",
            "purchase_order",
            order.id,
            details={"number": order.number, "status": [before, OrderStatus.CANCELLED]},
            reason=reason.strip() or None,
        )
    return order


def _settle_status(order: PurchaseOrder) -> None:
    if all(line.received_quantity >= line.quantity for line in order.lines):
        order.status = OrderStatus.RECEIVED
        order.received_at = clock.now()
    else:
        order.status = OrderStatus.PARTIALLY_RECEIVED


def _receive(
    line_id: int, quantity: int, *, receipt: Receipt | None, note: str, confirm_over: bool
) -> PurchaseOrderReceipt:
    """Add received vials to a line of a sent order, in the caller's transaction. The order row is
    locked first, then the line's count moves by a guarded UPDATE: two deliveries recorded at the
    same moment both count."""
    order_id = db.session.scalar(select(PurchaseOrderLine.order_id).where(PurchaseOrderLine.id == line_id))
    if order_id is None:
        raise NotFound("not_found", _("No purchase order line with id %(id)s.", id=line_id))
    order = _locked_id(order_id)
    if order.status not in OPEN_STATUSES:
        raise Conflict(
            "order_not_open",
            _(
                "Order %(number)s is not waiting for deliveries (%(status)s).",
                number=order.number,
                status=label(ORDER_STATUS_LABELS, order.status),
            ),
        )
    _check_quantity(quantity)
    line = next(line for line in order.lines if line.id == line_id)
    if receipt is not None and receipt.lot.product_id != line.product_id:
        raise Invalid("wrong_product", _("This receipt is of another product than the order line."))
    if line.received_quantity + quantity > line.quantity and not confirm_over:
        raise Conflict(
            "over_receipt",
            _(
                "%(product)s: %(ordered)d vials ordered, %(received)d received so far; %(quantity)d more "
                "would be more than ordered. Confirm to receive them anyway.",
                product=line.product.name,
                ordered=line.quantity,
                received=line.received_quantity,
                quantity=quantity,
            ),
            fields={"confirm_over": _("More than ordered: confirm to receive them.")},
        )
    db.session.execute(
        update(PurchaseOrderLine)
        .where(PurchaseOrderLine.id == line_id)
        .values(received_quantity=PurchaseOrderLine.received_quantity + quantity)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(line, ["received_quantity"])
    row = PurchaseOrderReceipt(
        line=line,
        receipt=receipt,
        quantity=quantity,
        note=note.strip(),
        recorded_at=clock.now(),
        recorded_by_id=_current_user_id(),
    )
    db.session.add(row)
    before = order.status
    _settle_status(order)
    db.session.flush()
    audit.record(
        "purchase_order_received",
        "purchase_order",
        order.id,
        details={
            "line_id": line.id,
            "product_id": line.product_id,
            "quantity": quantity,
            "receipt_id": receipt.id if receipt is not None else None,
            "received_quantity": line.received_quantity,
            "ordered": line.quantity,
            "status": [before, order.status],
        },
        reason=note.strip() or None,
    )
    return row


def record_receipt(line_id: int, receipt: Receipt, *, confirm_over: bool = False) -> PurchaseOrderReceipt:
    """Link a stock receipt to the order line it fulfils; for the receiving service, which calls it
    inside its own transaction (this function neither commits nor rolls back). More vials than the
    line still waits for is 409 `over_receipt` unless `confirm_over`."""
    return _receive(line_id, receipt.vial_count, receipt=receipt, note="", confirm_over=confirm_over)


# ---- exports -------------------------------------------------------------------------------------


def csv_header() -> tuple[str, ...]:
    money = currency()
    return (
        "order",
        "supplier",
        "status",
        "product",
        "gtin",
        "quantity",
        f"unit_cost_{money}",
        f"line_total_{money}",
        "received",
    )


def order_csv(order: PurchaseOrder) -> str:
    return csvexport.to_csv(
        csv_header(),
        (
            (
                order.number,
                order.supplier,
                order.status,
                line.product.name,
                line.product.gtin or "",
                line.quantity,
                format_money(line.unit_cost_minor),
                format_money(line.total_minor),
                line.received_quantity,
            )
            for line in order.lines
        ),
    )


FONT_DIR = ROOT / "labels" / "fonts"


def _fonts() -> tuple[str, str]:
    """DejaVu Sans (it has ş ğ ı İ) when the label fonts are there, else Helvetica."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if not (Path(regular).exists() and Path(bold).exists()):
        return "Helvetica", "Helvetica-Bold"
    registered = pdfmetrics.getRegisteredFontNames()
    if "OrderSans" not in registered:
        pdfmetrics.registerFont(TTFont("OrderSans", str(regular)))
        pdfmetrics.registerFont(TTFont("OrderSans-Bold", str(bold)))
    return "OrderSans", "OrderSans-Bold"


def _address_block(label: str, name: str, address: str, contact: str = "") -> str:
    """A name with its address (and contact) lines, for a PDF paragraph."""
    lines = [f"<b>{_escape(label)}</b>", _escape(name or "—")]
    lines += [_escape(line) for line in address.splitlines() if line.strip()]
    lines += [_escape(line) for line in contact.splitlines() if line.strip()]
    return "<br/>".join(lines)


def order_pdf(order: PurchaseOrder, *, clinic_name: str = "", clinic_address: str = "") -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=10, leading=13)
    title = ParagraphStyle("title", fontName=bold, fontSize=16, leading=20)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=_("Purchase order %(number)s", number=order.number),
        author=clinic_name,
    )
    created = clock.local(order.created_at)
    record = order.supplier_record
    facts: list[object] = [
        Paragraph(_("Purchase order %(number)s", number=order.number), title),
        Spacer(1, 4 * mm),
        Table(
            [
                [
                    Paragraph(_address_block(_("From"), clinic_name, clinic_address), body),
                    Paragraph(
                        _address_block(
                            _("Supplier"),
                            order.supplier,
                            record.address if record else "",
                            record.contact if record else "",
                        ),
                        body,
                    ),
                ]
            ],
            colWidths=[87 * mm, 87 * mm],
            style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]),
        ),
        Spacer(1, 3 * mm),
        Paragraph(_("Amounts in %(currency)s", currency=formatting.currency()), body),
        Paragraph(f"{_('Date')}: {created:%Y-%m-%d}", body),
        Paragraph(f"{_('Status')}: {_escape(label(ORDER_STATUS_LABELS, order.status))}", body),
    ]
    if order.note:
        facts.append(Paragraph(f"{_('Note')}: {_escape(order.note)}", body))
    rows: list[list[object]] = [[_("Product"), _("GTIN"), _("Vials"), _("Unit cost"), _("Total")]]
    for line in order.lines:
        rows.append(
            [
                Paragraph(_escape(line.product.name), body),
                line.product.gtin or "",
                str(line.quantity),
                formatting.format_money(line.unit_cost_minor),
                formatting.format_money(line.total_minor),
            ]
        )
    rows.append(["", "", "", _("Total"), formatting.format_money(order.total_minor)])
    table = Table(rows, colWidths=[72 * mm, 34 * mm, 16 * mm, 26 * mm, 26 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), regular),
                ("FONTNAME", (0, 0), (-1, 0), bold),
                ("FONTNAME", (0, -1), (-1, -1), bold),
                ("FONTSIZE", (0, 0), (-1, -1), 10),
                ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
            ]
        )
    )
    document.build([*facts, Spacer(1, 6 * mm), table])
    return buffer.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
