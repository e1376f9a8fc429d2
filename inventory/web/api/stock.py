"""/api/v1 endpoints of the stock area (api.md, "Catalogue and stock")."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from inventory.models.stock import DiscardReason, Lot, LotStatus, Vial, VialStatus
from inventory.permissions import Permission, permission_required, require
from inventory.services import receiving, stock, usability
from inventory.services.stock import VialFilter
from inventory.services.usability import VialState
from inventory.web.api import ApiBlueprint
from inventory.web.api.fields import InputSchema, Money, QuerySchema, VolumeMl

blp = ApiBlueprint("api_stock", __name__, url_prefix="/api/v1", description="stock")


class StockLotOut(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    number = fields.String()
    expiry = fields.Date()
    status = fields.String()
    quarantined_at = fields.DateTime(allow_none=True)
    quarantined_by_id = fields.Integer(allow_none=True)
    quarantine_reason = fields.String(allow_none=True)


class StockLotList(Schema):
    items = fields.List(fields.Nested(StockLotOut))


class StockReceivedVialOut(Schema):
    id = fields.Integer()
    code = fields.String()
    status = fields.String()
    remaining_ml = VolumeMl(attribute="remaining_ul", allow_zero=True)
    storage_unit_id = fields.Integer(allow_none=True)


class StockReceiptIn(InputSchema):
    scan = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    product_id = fields.Integer(load_default=None, allow_none=True)
    lot = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    expiry = fields.Date(load_default=None, allow_none=True)
    vials = fields.Integer(required=True, validate=validate.Range(min=1, max=receiving.MAX_VIALS_PER_RECEIPT))
    supplier = fields.String(load_default="", validate=validate.Length(max=120))
    unit_cost_minor = Money(load_default=None, allow_none=True, data_key="unit_cost")
    location = fields.String(load_default="", validate=validate.Length(max=60))
    storage_unit_id = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={
            "description": "COLD-01: where the vials go; default: the first unit of the product's storage"
        },
    )
    remember_gtin = fields.Boolean(load_default=False)
    order_line_id = fields.Integer(load_default=None, allow_none=True)
    confirm_over = fields.Boolean(load_default=False)


class StockReceiptOut(Schema):
    id = fields.Integer()
    receipt_id = fields.Integer()  # api.md 1.1: the receipt whose vial labels print at /labels/receipts/…
    received_at = fields.DateTime()
    supplier = fields.String()
    unit_cost = Money(attribute="unit_cost_minor")
    gtin = fields.String(allow_none=True)
    serial = fields.String(allow_none=True)
    lot = fields.Nested(StockLotOut)
    vials = fields.List(fields.Nested(StockReceivedVialOut))


class BarcodeParseIn(InputSchema):
    data = fields.String(required=True, validate=validate.Length(min=1, max=500))


class BarcodeParseOut(Schema):
    kind = fields.String()
    gtin = fields.String()
    lot = fields.String(allow_none=True)
    expiry = fields.Date(allow_none=True)
    serial = fields.String(allow_none=True)
    production_date = fields.Date(allow_none=True)
    product_id = fields.Integer(allow_none=True)
    source = fields.String(
        metadata={"description": "gs1 (element string), digital_link (GS1 Digital Link URI) or ifa (PPN)"}
    )
    ppn = fields.String(allow_none=True, metadata={"description": "an IFA pack's Pharmacy Product Number"})
    lot_warnings = fields.List(
        fields.String(),
        metadata={"description": "serial_in_lot, asterisk_in_lot: the lot may have swallowed another field"},
    )
    code = fields.String()
    id = fields.Integer()


class StockVialQuery(QuerySchema):
    product_id = fields.Integer(load_default=None)
    lot_id = fields.Integer(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in VialStatus]))
    location = fields.String(load_default=None, validate=validate.Length(max=60))
    storage_unit_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1))
    usable = fields.Boolean(load_default=False)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class StockVialOut(Schema):
    id = fields.Integer()
    code = fields.String()
    product_id = fields.Integer()
    lot_id = fields.Integer()
    lot = fields.String()
    expiry = fields.Date()
    status = fields.String()
    remaining_ml = VolumeMl(attribute="remaining_ul", allow_zero=True)
    initial_ml = VolumeMl(attribute="initial_ul")
    opened_at = fields.DateTime(allow_none=True)
    usable_until = fields.DateTime()
    usable = fields.Boolean()
    blocked_reason = fields.String(allow_none=True)
    location = fields.String()
    storage_unit_id = fields.Integer(allow_none=True)
    discarded_at = fields.DateTime(allow_none=True)
    discard_reason = fields.String(allow_none=True)
    waste_ml = VolumeMl(attribute="waste_ul", allow_zero=True)
    waste_cost = Money(attribute="waste_cost_minor")


class StockVialList(Schema):
    items = fields.List(fields.Nested(StockVialOut))
    next = fields.Integer(allow_none=True)


class VialDiscardIn(InputSchema):
    reason = fields.String(required=True, validate=validate.OneOf([r.value for r in DiscardReason]))
    note = fields.String(load_default="", allow_none=True, validate=validate.Length(max=500))


class LotReasonIn(InputSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class StockLotDetailOut(StockLotOut):
    vials = fields.List(fields.Nested(StockVialOut))


class StockExpiringQuery(QuerySchema):
    days = fields.Integer(load_default=30, validate=validate.Range(min=0, max=3650))
    storage_unit_id = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "COLD-01: only what is in this storage unit"},
    )


class StockExpiringItemOut(Schema):
    kind = fields.String()
    id = fields.Integer()
    code = fields.String()
    product_id = fields.Integer(allow_none=True)
    until = fields.DateTime()
    label = fields.String()
    passed = fields.Boolean()


class StockExpiringList(Schema):
    items = fields.List(fields.Nested(StockExpiringItemOut))


class StockLotQuery(QuerySchema):
    product_id = fields.Integer(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in LotStatus]))


def vial_dict(vial: Vial, state: VialState) -> dict[str, Any]:
    lot = vial.lot
    return {
        "id": vial.id,
        "code": vial.code,
        "product_id": lot.product_id,
        "lot_id": lot.id,
        "lot": lot.number,
        "expiry": lot.expiry,
        "status": vial.status,
        "remaining_ul": vial.remaining_ul,
        "initial_ul": vial.initial_ul,
        "opened_at": vial.opened_at,
        "usable_until": state.usable_until,
        "usable": state.usable,
        "blocked_reason": state.blocked_reason,
        "location": vial.location,
        "storage_unit_id": vial.storage_unit_id,
        "discarded_at": vial.discarded_at,
        "discard_reason": vial.discard_reason,
        "waste_ul": vial.waste_ul,
        "waste_cost_minor": vial.waste_cost_minor,
    }


def _one_vial(vial: Vial) -> dict[str, Any]:
    return vial_dict(vial, usability.vial_states([vial])[vial.id])


#: For the cold-chain endpoints that answer a vial.
one_vial = _one_vial


def _lot_detail(lot: Lot) -> dict[str, Any]:
    rows, _more = stock.list_vials(VialFilter(lot_id=lot.id), per_page=500)
    return {**_lot_dict(lot), "vials": [vial_dict(vial, state) for vial, state in rows]}


def _lot_dict(lot: Lot) -> dict[str, Any]:
    return {column.key: getattr(lot, column.key) for column in Lot.__table__.columns}


@blp.route("/receipts", methods=["POST"])
@permission_required(Permission.MANAGE_STOCK)
@blp.arguments(StockReceiptIn)
@blp.response(201, StockReceiptOut)
def create_receipt(data: dict[str, Any]) -> dict[str, Any]:
    """Receive vials of a lot: from a GS1 `scan`, or `product_id`, `lot` and `expiry` typed by hand."""
    user = require(Permission.MANAGE_STOCK)
    result = receiving.receive(receiving.ReceiptRequest(**data), user=user)
    receipt = result.receipt
    return {
        "id": receipt.id,
        "receipt_id": receipt.id,
        "received_at": receipt.received_at,
        "supplier": receipt.supplier,
        "unit_cost_minor": receipt.unit_cost_minor,
        "gtin": receipt.gtin,
        "serial": receipt.serial,
        "lot": _lot_dict(result.lot),
        "vials": result.vials,
    }


@blp.route("/barcodes/parse", methods=["POST"])
@permission_required(Permission.READ_CATALOGUE)
@blp.arguments(BarcodeParseIn)
@blp.response(200, BarcodeParseOut)
def parse_barcode(data: dict[str, Any]) -> dict[str, Any]:
    """What a scan is: a manufacturer's pack code (GS1 DataMatrix square or DMRE, GS1 Digital Link,
    IFA/PPN: GTIN, lot, expiry, serial) or one of our S/V/B codes."""
    reading = receiving.read_scan(data["data"])
    if reading.gs1 is None:
        return {"kind": reading.kind, "code": reading.code, "id": reading.id}
    gs1 = reading.gs1
    return {
        "kind": "gs1",
        "gtin": gs1.gtin,
        "lot": gs1.lot,
        "expiry": gs1.expiry,
        "serial": gs1.serial,
        "production_date": gs1.production_date,
        "product_id": reading.product.id if reading.product else None,
        "source": gs1.source,
        "ppn": gs1.ppn,
        "lot_warnings": list(reading.lot_warnings),
    }


@blp.route("/vials", methods=["GET"])
@permission_required(Permission.READ_CATALOGUE)
@blp.arguments(StockVialQuery, location="query")
@blp.response(200, StockVialList)
def list_vials(query: dict[str, Any]) -> dict[str, Any]:
    """Vials by product, lot and status, earliest expiry first, each with `usable` computed now."""
    where = VialFilter(
        product_id=query["product_id"],
        lot_id=query["lot_id"],
        status=query["status"],
        location=query["location"],
        storage_unit_id=query["storage_unit_id"],
        usable_only=query["usable"],
    )
    rows, more = stock.list_vials(where, page=query["page"], per_page=query["per_page"])
    return {
        "items": [vial_dict(vial, state) for vial, state in rows],
        "next": query["page"] + 1 if more else None,
    }


@blp.route("/vials/<int:vial_id>", methods=["GET"])
@permission_required(Permission.READ_CATALOGUE)
@blp.response(200, StockVialOut)
def get_vial(vial_id: int) -> dict[str, Any]:
    return _one_vial(stock.get_vial(vial_id))


@blp.route("/vials/<int:vial_id>/discard", methods=["POST"])
@permission_required(Permission.MANAGE_STOCK)
@blp.arguments(VialDiscardIn)
@blp.response(200, StockVialOut)
def discard_vial(data: dict[str, Any], vial_id: int) -> dict[str, Any]:
    """Take a vial out of stock; what is left is recorded as waste."""
    user = require(Permission.MANAGE_STOCK)
    return _one_vial(stock.discard_vial(vial_id, data["reason"], data["note"] or "", user=user))


@blp.route("/lots", methods=["GET"])
@permission_required(Permission.READ_CATALOGUE)
@blp.arguments(StockLotQuery, location="query")
@blp.response(200, StockLotList)
def list_lots(query: dict[str, Any]) -> dict[str, Any]:
    return {"items": [_lot_dict(lot) for lot in stock.list_lots(**query)]}


@blp.route("/lots/<int:lot_id>", methods=["GET"])
@permission_required(Permission.READ_CATALOGUE)
@blp.response(200, StockLotDetailOut)
def get_lot(lot_id: int) -> dict[str, Any]:
    return _lot_detail(stock.get_lot(lot_id))


@blp.route("/lots/<int:lot_id>/quarantine", methods=["POST"])
@permission_required(Permission.QUALITY)
@blp.arguments(LotReasonIn)
@blp.response(200, StockLotDetailOut)
def quarantine_lot(data: dict[str, Any], lot_id: int) -> dict[str, Any]:
    """Nothing of the lot can be drawn until a second manager releases it (SAFE-03)."""
    user = require(Permission.QUALITY)
    return _lot_detail(stock.quarantine_lot(lot_id, data["reason"], user=user))


@blp.route("/lots/<int:lot_id>/release", methods=["POST"])
@permission_required(Permission.QUALITY)
@blp.arguments(LotReasonIn)
@blp.response(200, StockLotDetailOut)
def release_lot(data: dict[str, Any], lot_id: int) -> dict[str, Any]:
    """Release a quarantined lot: another manager than the one who quarantined it; never a recalled lot."""
    user = require(Permission.QUALITY)
    return _lot_detail(stock.release_lot(lot_id, data["reason"], user=user))


@blp.route("/stock/expiring", methods=["GET"])
@permission_required(Permission.READ_CATALOGUE)
@blp.arguments(StockExpiringQuery, location="query")
@blp.response(200, StockExpiringList)
def expiring(query: dict[str, Any]) -> dict[str, Any]:
    """Lots, opened vials and syringes whose expiry, in-use limit or BUD falls within `days`."""
    return {"items": stock.expiring(query["days"], storage_unit_id=query["storage_unit_id"])}
