"""Receiving packs into stock (GS1-06, SAFE-09, RCL-04) and reading what a scanner typed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from inventory import clock
from inventory.errors import Conflict, Invalid, NotFound
from inventory.extensions import db
from inventory.messages import rule_message
from inventory.models.catalogue import Product
from inventory.models.stock import Lot, LotStatus, Receipt, Vial, VialStatus
from inventory.models.users import User
from inventory.names import CODE_KIND_LABELS, label
from inventory.rules.codes import CodeKind, new_code
from inventory.rules.gs1 import CSET82, Gs1Data, InvalidBarcode, NotGs1
from inventory.rules.gs1_digital_link import is_digital_link
from inventory.rules.lots import normalize_lot_number
from inventory.rules.pack_codes import lot_warnings, read_pack_code
from inventory.services import audit, placement, purchasing, recalls, transaction
from inventory.services.stock import find_by_code

MAX_VIALS_PER_RECEIPT = 1000
LOT_MAX_LENGTH = 20


# --- reading scans ------------------------------------------------------------------------------------


def _invalid_barcode(error: InvalidBarcode | NotGs1, field_name: str) -> Invalid:
    message = rule_message(error)
    return Invalid(
        "invalid_barcode", message, fields={field_name: message, "reason": error.reason or error.code}
    )


def read_gs1(raw: str, *, field_name: str = "scan") -> Gs1Data:
    """A manufacturer's pack code (domain.md §4.3: GS1 element string, GS1 Digital Link, IFA), or
    422 invalid_barcode saying what is wrong."""
    try:
        return read_pack_code(
            raw, today=clock.today(), gs_substitute=current_app.config.get("GS1_GS_SUBSTITUTE", "~")
        )
    except (InvalidBarcode, NotGs1) as error:
        raise _invalid_barcode(error, field_name) from None


def product_by_gtin(gtin: str) -> Product | None:
    return db.session.scalar(select(Product).where(Product.gtin == gtin))


@dataclass(frozen=True)
class ScanReading:
    """What a scan is: ``kind`` gs1 (``gs1``, ``product``) or syringe, vial, batch (``code``, ``id``)."""

    kind: str
    gs1: Gs1Data | None = None
    product: Product | None = None
    code: str | None = None
    id: int | None = None
    lot_warnings: tuple[str, ...] = ()


def read_scan(raw: str) -> ScanReading:
    """POST /barcodes/parse and the scan fields: one of our codes, else a GS1 code."""
    if not (raw or "").strip():
        raise Invalid(
            "invalid_barcode", _("Nothing was scanned."), fields={"data": _("Nothing was scanned.")}
        )
    # A Digital Link's last path segment (a serial) could look like one of our codes: packs first.
    found = None if is_digital_link(raw) else find_by_code(raw)
    if found is not None:
        kind, code, entity_id = found
        if entity_id is None:
            raise NotFound(
                "unknown_code",
                _("No %(kind)s has the code %(code)s.", kind=label(CODE_KIND_LABELS, kind.value), code=code),
                fields={"data": _("Unknown code.")},
            )
        return ScanReading(kind=kind.value, code=code, id=entity_id)
    data = read_gs1(raw, field_name="data")
    return ScanReading(
        kind="gs1", gs1=data, product=product_by_gtin(data.gtin), lot_warnings=lot_warnings(data)
    )


@dataclass(frozen=True)
class PackPreview:
    """What a pack's code says, for the nurse to confirm before any stock exists (GS1-06)."""

    gs1: Gs1Data
    product: Product | None
    lot: str | None
    existing_lot: Lot | None
    #: Why the lot read may be wrong (pack_codes.SERIAL_IN_LOT, ASTERISK_IN_LOT): compare with the pack.
    lot_warnings: tuple[str, ...] = ()


def preview_scan(raw: str) -> PackPreview:
    """Read a pack's code and refuse early what receiving would refuse (expired, recalled, known serial)."""
    data = read_gs1(raw)
    product = product_by_gtin(data.gtin)
    lot_number = normalize_lot_number(data.lot) if data.lot is not None else None
    if data.expiry is not None:
        _check_not_expired(data.expiry)
    existing = None
    if product is not None and lot_number and data.expiry is not None:
        existing = _check_pack(_Pack(product, lot_number, data.expiry, data.gtin, data.serial, False))
    return PackPreview(
        gs1=data, product=product, lot=lot_number, existing_lot=existing, lot_warnings=lot_warnings(data)
    )


# --- receiving ----------------------------------------------------------------------------------------


@dataclass
class ReceiptRequest:
    """A delivery to receive: from a GS1 ``scan`` (GTIN, lot, expiry, serial) or typed by hand."""

    vials: int
    product_id: int | None = None
    lot: str | None = None
    expiry: date | None = None
    scan: str | None = None
    supplier: str = ""
    unit_cost_minor: int | None = None
    location: str = ""
    remember_gtin: bool = False
    order_line_id: int | None = None
    #: Receive more than the order line still waits for (else 409 over_receipt).
    confirm_over: bool = False
    #: COLD-01: where the vials go; None puts them in the default unit of the product's storage.
    storage_unit_id: int | None = None


@dataclass
class ReceiptResult:
    receipt: Receipt
    lot: Lot
    vials: list[Vial] = field(default_factory=list)
    lot_created: bool = False


@dataclass(frozen=True)
class _Pack:
    product: Product
    lot: str
    expiry: date
    gtin: str | None
    serial: str | None
    learn_gtin: bool


def _check_lot(number: str) -> None:
    if not number:
        raise Invalid(
            "invalid_input", _("Enter the lot number."), fields={"lot": _("The lot number is required.")}
        )
    if len(number) > LOT_MAX_LENGTH:
        message = _("A lot number has at most %(n)s characters.", n=LOT_MAX_LENGTH)
        raise Invalid("invalid_input", message, fields={"lot": message})
    bad = sorted({char for char in number if char not in CSET82})
    if bad:
        message = _(
            "A lot number contains only letters, digits and - . / _ signs; not %(chars)s.",
            chars=" ".join(repr(char) for char in bad),
        )
        raise Invalid("invalid_input", message, fields={"lot": message})


def _check_request(request: ReceiptRequest) -> None:
    if not 1 <= request.vials <= MAX_VIALS_PER_RECEIPT:
        message = _("Between 1 and %(n)s vials.", n=MAX_VIALS_PER_RECEIPT)
        raise Invalid("invalid_input", message, fields={"vials": message})
    if len(request.supplier or "") > 120:
        raise Invalid(
            "invalid_input", _("The supplier's name is too long."), fields={"supplier": _("At most 120.")}
        )
    if len(request.location or "") > 60:
        raise Invalid(
            "invalid_input", _("The shelf name is too long."), fields={"location": _("At most 60.")}
        )


def _product(product_id: int | None) -> Product:
    product = db.session.get(Product, product_id) if product_id is not None else None
    if product is None:
        raise Invalid(
            "invalid_input",
            _("Choose the product."),
            fields={"product_id": _("Choose a product of the catalogue.")},
        )
    return product


def _product_of_scan(data: Gs1Data, request: ReceiptRequest) -> tuple[Product, bool]:
    """The product whose GTIN the pack carries; or, for a GTIN the catalogue does not know, the one the
    nurse picked, which learns the GTIN when asked to and has none yet (audited)."""
    known = product_by_gtin(data.gtin)
    if known is not None:
        if request.product_id is not None and request.product_id != known.id:
            message = _("This pack's GTIN %(gtin)s belongs to %(name)s.", gtin=data.gtin, name=known.name)
            raise Invalid("gtin_mismatch", message, fields={"product_id": message})
        return known, False
    if request.product_id is None:
        raise Invalid(
            "unknown_gtin",
            _("No product of the catalogue has the GTIN %(gtin)s: choose the product.", gtin=data.gtin),
            fields={
                "scan": _("Unknown GTIN %(gtin)s.", gtin=data.gtin),
                "product_id": _("Choose the product of this pack."),
            },
        )
    product = _product(request.product_id)
    # A product keeps the GTIN it has (another pack size may carry another one); one without learns it.
    return product, request.remember_gtin and product.gtin is None


def _pack_of(request: ReceiptRequest) -> _Pack:
    if request.scan:
        data = read_gs1(request.scan)
        product, learn = _product_of_scan(data, request)
        lot = data.lot if data.lot is not None else request.lot
        expiry = data.expiry if data.expiry is not None else request.expiry
        if expiry is None:
            message = _("The code carries no expiry date: enter it.")
            raise Invalid("invalid_input", message, fields={"expiry": message})
        return _Pack(product, normalize_lot_number(lot), expiry, data.gtin, data.serial, learn)
    if request.expiry is None:
        raise Invalid(
            "invalid_input", _("Enter the expiry date."), fields={"expiry": _("The expiry is required.")}
        )
    product = _product(request.product_id)
    return _Pack(product, normalize_lot_number(request.lot), request.expiry, product.gtin, None, False)


def is_recalled(product_id: int, lot_number: str) -> bool:
    """RCL-04: a recall entered for a lot the clinic has not received yet refuses it later."""
    return recalls.recall_for(product_id, lot_number) is not None


def _check_not_expired(expiry: date) -> None:
    """EXP-01: a lot is usable through its expiry day; from the next day it cannot be received."""
    if expiry < clock.today():
        message = _("This lot expired on %(date)s: it cannot be received.", date=expiry.isoformat())
        raise Invalid("expired", message, fields={"expiry": message})


def _check_pack(pack: _Pack) -> Lot | None:
    """The refusals of api.md, in order; the lot of this number when the clinic has it already."""
    _check_lot(pack.lot)
    _check_not_expired(pack.expiry)
    lot = db.session.scalar(select(Lot).where(Lot.product_id == pack.product.id, Lot.number == pack.lot))
    if is_recalled(pack.product.id, pack.lot) or (lot is not None and lot.status == LotStatus.RECALLED):
        raise Conflict(
            "recalled_lot",
            _(
                "Lot %(lot)s of %(name)s is recalled: do not receive it; set the pack aside.",
                lot=pack.lot,
                name=pack.product.name,
            ),
            fields={"lot": _("Recalled.")},
        )
    if lot is not None and lot.expiry != pack.expiry:
        raise Conflict(
            "lot_expiry_mismatch",
            _(
                "Lot %(lot)s of %(name)s is in stock with expiry %(known)s, not %(given)s: check the pack.",
                lot=pack.lot,
                name=pack.product.name,
                known=lot.expiry.isoformat(),
                given=pack.expiry.isoformat(),
            ),
            fields={"expiry": _("The lot in stock expires on %(date)s.", date=lot.expiry.isoformat())},
        )
    _check_serial(pack)
    return lot


def _serial_taken(gtin: str, serial: str) -> bool:
    return (
        db.session.scalar(select(Receipt.id).where(Receipt.gtin == gtin, Receipt.serial == serial))
        is not None
    )


def _duplicate_serial(pack: _Pack) -> Conflict:
    return Conflict(
        "duplicate_serial",
        _(
            "The pack with serial %(serial)s (GTIN %(gtin)s) was received already: the same pack never comes "
            "twice. Set it aside and tell the manager (possible falsified pack).",
            serial=pack.serial,
            gtin=pack.gtin,
        ),
        fields={"scan": _("Serial %(serial)s already received.", serial=pack.serial)},
    )


def _check_serial(pack: _Pack) -> None:
    """SAFE-09: checked first for a clear message; the unique constraint stays as the last line."""
    if pack.gtin and pack.serial and _serial_taken(pack.gtin, pack.serial):
        raise _duplicate_serial(pack)


def receive(request: ReceiptRequest, *, user: User) -> ReceiptResult:
    """Create the lot (if new), the receipt and one sealed vial per container, each with its code."""
    _check_request(request)
    pack: _Pack | None = None
    try:
        with transaction():
            pack = _pack_of(request)
            lot = _check_pack(pack)
            return _create(pack, lot, request, user)
    except IntegrityError:
        if pack is not None and pack.gtin and pack.serial and _serial_taken(pack.gtin, pack.serial):
            raise _duplicate_serial(pack) from None
        raise Conflict(
            "receipt_conflict", _("The same lot was being received at the same moment: scan the pack again.")
        ) from None


def _create(pack: _Pack, lot: Lot | None, request: ReceiptRequest, user: User) -> ReceiptResult:
    lot_created = lot is None
    if lot is None:
        lot = Lot(product_id=pack.product.id, number=pack.lot, expiry=pack.expiry, created_at=clock.now())
        db.session.add(lot)
        db.session.flush()
        audit.record(
            "lot_created",
            "lot",
            lot.id,
            details={"product_id": pack.product.id, "lot": lot.number, "expiry": lot.expiry},
            user=user,
        )
    if pack.learn_gtin and pack.gtin:
        _learn_gtin(pack.product, pack.gtin, user)
    unit_cost = (
        request.unit_cost_minor if request.unit_cost_minor is not None else pack.product.unit_cost_minor
    )
    receipt = Receipt(
        lot_id=lot.id,
        received_at=clock.now(),
        received_by_id=user.id,
        supplier=(request.supplier or "").strip(),
        unit_cost_minor=unit_cost,
        vial_count=request.vials,
        gtin=pack.gtin,
        serial=pack.serial,
    )
    db.session.add(receipt)
    db.session.flush()
    if request.order_line_id:
        purchasing.record_receipt(request.order_line_id, receipt, confirm_over=request.confirm_over)
    unit = (
        placement.unit_for_placing(request.storage_unit_id)
        if request.storage_unit_id is not None
        else placement.default_unit(pack.product.storage)
    )
    vials = [_new_vial(lot, receipt, pack.product, request.location) for _ in range(request.vials)]
    db.session.add_all(vials)
    db.session.flush()
    if unit is not None:
        placement.place(vials, unit, user=user)
    audit.record(
        "stock_received",
        "receipt",
        receipt.id,
        details=_receipt_details(pack, lot, receipt, vials),
        user=user,
    )
    return ReceiptResult(receipt=receipt, lot=lot, vials=vials, lot_created=lot_created)


def _new_vial(lot: Lot, receipt: Receipt, product: Product, location: str) -> Vial:
    return Vial(
        code=new_code(CodeKind.VIAL),
        lot_id=lot.id,
        receipt_id=receipt.id,
        status=VialStatus.SEALED,
        initial_ul=product.volume_ul,
        remaining_ul=product.volume_ul,
        location=" ".join((location or "").split()),
    )


def _receipt_details(pack: _Pack, lot: Lot, receipt: Receipt, vials: list[Vial]) -> dict[str, Any]:
    return {
        "product_id": pack.product.id,
        "lot_id": lot.id,
        "lot": lot.number,
        "expiry": lot.expiry,
        "gtin": pack.gtin,
        "serial": pack.serial,
        "supplier": receipt.supplier,
        "unit_cost_minor": receipt.unit_cost_minor,
        "vials": [vial.code for vial in vials],
        "storage_unit_id": vials[0].storage_unit_id if vials else None,
    }


def _learn_gtin(product: Product, gtin: str, user: User) -> None:
    product.gtin = gtin
    audit.record(
        "product_updated",
        "product",
        product.id,
        details={"changed": {"gtin": [None, gtin]}},
        reason=_("GTIN learnt from a pack at receiving"),
        user=user,
    )


def get_receipt(receipt_id: int) -> Receipt:
    receipt = db.session.get(Receipt, receipt_id)
    if receipt is None:
        raise NotFound("not_found", _("No receipt with id %(id)s.", id=receipt_id))
    return receipt


def vials_of_receipt(receipt_id: int) -> list[Vial]:
    return list(db.session.scalars(select(Vial).where(Vial.receipt_id == receipt_id).order_by(Vial.id)))
