"""Stock counts: count a shelf, a product or a storage unit by scanning, compare with what the app
expects, confirm differences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from inventory import clock
from inventory.errors import Conflict, Invalid, NotFound
from inventory.extensions import db
from inventory.models.catalogue import Product
from inventory.models.stock import (
    CountDifference,
    CountStatus,
    DiscardReason,
    Lot,
    StockCount,
    StockCountLine,
    StockCountScan,
    Vial,
)
from inventory.models.users import User
from inventory.rules.codes import CodeKind
from inventory.services import audit, placement, transaction
from inventory.services.stock import discard_in_transaction, find_by_code, get_vial
from inventory.services.usability import IN_STOCK

# --- stock counts -----------------------------------------------------------------------------------


def get_count(count_id: int) -> StockCount:
    count = db.session.get(StockCount, count_id)
    if count is None:
        raise NotFound("not_found", _("No stock count with id %(id)s.", id=count_id))
    return count


def list_counts(limit: int = 50) -> list[StockCount]:
    return list(db.session.scalars(select(StockCount).order_by(StockCount.started_at.desc()).limit(limit)))


def locations() -> list[str]:
    """Every shelf a vial in stock sits on."""
    query = (
        select(Vial.location)
        .where(Vial.status.in_(IN_STOCK), Vial.location != "")
        .group_by(Vial.location)
        .order_by(Vial.location)
    )
    return list(db.session.scalars(query))


def start_count(
    *, user: User, location: str = "", product_id: int | None = None, storage_unit_id: int | None = None
) -> StockCount:
    """A count of one shelf, one product or one storage unit (COLD-01), or of their intersection."""
    location = " ".join((location or "").split())
    if not location and product_id is None and storage_unit_id is None:
        raise Invalid(
            "invalid_input",
            _("Choose a shelf, a product or a storage unit to count."),
            fields={"location": _("A shelf, a product or a storage unit is required.")},
        )
    if len(location) > 60:
        raise Invalid(
            "invalid_input", _("The shelf name is too long."), fields={"location": _("At most 60.")}
        )
    with transaction():
        if product_id is not None and db.session.get(Product, product_id) is None:
            raise Invalid(
                "invalid_input", _("Unknown product."), fields={"product_id": _("Unknown product.")}
            )
        if storage_unit_id is not None:
            placement.unit_for_placing(storage_unit_id)
        count = StockCount(
            location=location,
            product_id=product_id,
            storage_unit_id=storage_unit_id,
            started_by_id=user.id,
            started_at=clock.now(),
        )
        db.session.add(count)
        db.session.flush()
        details: dict[str, Any] = {"location": location, "product_id": product_id}
        if storage_unit_id is not None:
            details["storage_unit_id"] = storage_unit_id
        audit.record("stock_count_started", "stock_count", count.id, details=details, user=user)
    return count


def _expected_query(count: StockCount) -> Select[Any]:
    query = select(Vial).join(Lot, Vial.lot_id == Lot.id).where(Vial.status.in_(IN_STOCK))
    if count.location:
        query = query.where(Vial.location == count.location)
    if count.product_id is not None:
        query = query.where(Lot.product_id == count.product_id)
    if count.storage_unit_id is not None:
        query = query.where(Vial.storage_unit_id == count.storage_unit_id)
    return query.options(joinedload(Vial.lot)).order_by(Lot.expiry, Vial.id)


@dataclass(frozen=True)
class CountReport:
    expected: list[Vial]
    seen: list[Vial]
    missing: list[Vial]
    unexpected: list[Vial]


def count_report(count: StockCount) -> CountReport:
    """What the count expected (in stock within its scope) and what was scanned; the differences."""
    expected = list(db.session.scalars(_expected_query(count)))
    seen = list(
        db.session.scalars(
            select(Vial)
            .join(StockCountScan, StockCountScan.vial_id == Vial.id)
            .where(StockCountScan.count_id == count.id)
            .options(joinedload(Vial.lot))
            .order_by(StockCountScan.id.desc())
        )
    )
    expected_ids = {vial.id for vial in expected}
    seen_ids = {vial.id for vial in seen}
    return CountReport(
        expected=expected,
        seen=seen,
        missing=[vial for vial in expected if vial.id not in seen_ids],
        unexpected=[vial for vial in seen if vial.id not in expected_ids],
    )


def _open_count(count_id: int) -> StockCount:
    count = get_count(count_id)
    if count.status != CountStatus.OPEN:
        raise Conflict("count_closed", _("This count is confirmed: start a new one to count again."))
    return count


@dataclass(frozen=True)
class CountScanResult:
    vial: Vial
    already_seen: bool


def scan_for_count(count_id: int, raw: str, *, user: User) -> CountScanResult:
    """Record one vial seen; the same vial scanned twice counts once."""
    found = find_by_code(raw or "")
    if found is None or found[0] is not CodeKind.VIAL:
        raise Invalid(
            "not_a_vial_code",
            _(
                "“%(scan)s” is not a vial code: scan the vial's own label (V…).",
                scan=(raw or "").strip()[:40],
            ),
            fields={"code": _("Not a vial code.")},
        )
    _kind, code, vial_id = found
    if vial_id is None:
        raise Invalid(
            "unknown_code",
            _("No vial has the code %(code)s.", code=code),
            fields={"code": _("Unknown vial code.")},
        )
    with transaction():
        count = _open_count(count_id)
        vial = get_vial(vial_id)
        already = db.session.scalar(
            select(StockCountScan.id).where(
                StockCountScan.count_id == count.id, StockCountScan.vial_id == vial.id
            )
        )
        if already is None:
            db.session.add(
                StockCountScan(
                    count_id=count.id, vial_id=vial.id, scanned_by_id=user.id, scanned_at=clock.now()
                )
            )
        audit.record(
            "stock_count_scanned",
            "stock_count",
            count.id,
            details={"vial": vial.code, "seen_before": already is not None},
            user=user,
        )
    return CountScanResult(vial, already_seen=already is not None)


def confirm_count(count_id: int, *, user: User, note: str = "") -> StockCount:
    """Freeze the differences; an in-stock vial found on this shelf but booked elsewhere moves here."""
    with transaction():
        count = _open_count(count_id)
        report = count_report(count)
        for difference, vials in (
            (CountDifference.MISSING, report.missing),
            (CountDifference.UNEXPECTED, report.unexpected),
        ):
            for vial in vials:
                db.session.add(
                    StockCountLine(
                        count_id=count.id,
                        vial_id=vial.id,
                        difference=difference,
                        vial_status=vial.status,
                        vial_location=vial.location,
                    )
                )
        moved = _move_found_vials(count, report.unexpected, user)
        count.status = CountStatus.CONFIRMED
        count.confirmed_at = clock.now()
        count.confirmed_by_id = user.id
        count.note = (note or "").strip()[:500]
        audit.record(
            "stock_count_confirmed",
            "stock_count",
            count.id,
            details={
                "location": count.location,
                "product_id": count.product_id,
                "storage_unit_id": count.storage_unit_id,
                "expected": len(report.expected),
                "seen": len(report.seen),
                "missing": [vial.code for vial in report.missing],
                "unexpected": [vial.code for vial in report.unexpected],
                "moved": moved,
            },
            reason=count.note or None,
            user=user,
        )
    return count


def _move_found_vials(count: StockCount, unexpected: list[Vial], user: User) -> list[str]:
    """A vial in stock found where the count looked but booked elsewhere is moved there: to the count's
    shelf, and into the count's storage unit (a storage move, COLD-01)."""
    unit = count.storage_unit
    moved = []
    for vial in unexpected:
        if vial.status not in IN_STOCK:
            continue
        changed: dict[str, Any] = {}
        if count.location and vial.location != count.location:
            changed["location"] = [vial.location, count.location]
            vial.location = count.location
        if unit is not None and vial.storage_unit_id != unit.id:
            changed["storage_unit_id"] = [placement.put(vial, unit, user), unit.id]
        if changed:
            audit.record(
                "vial_moved",
                "vial",
                vial.id,
                details={"code": vial.code, **changed, "stock_count": count.id},
                user=user,
            )
            moved.append(vial.code)
    return moved


MISSING_DISCARD_REASONS = (DiscardReason.OTHER, DiscardReason.DAMAGED)


def discard_missing(count_id: int, vial_id: int, reason: str, *, user: User) -> Vial:
    """A vial a confirmed count did not find is written off (reason other or damaged)."""
    if reason not in MISSING_DISCARD_REASONS:
        raise Invalid(
            "invalid_input", _("Choose other or damaged."), fields={"reason": _("other or damaged.")}
        )
    with transaction():
        line = db.session.scalar(
            select(StockCountLine).where(
                StockCountLine.count_id == count_id,
                StockCountLine.vial_id == vial_id,
                StockCountLine.difference == CountDifference.MISSING,
            )
        )
        if line is None:
            raise NotFound("not_found", _("This vial is not missing in that count."))
        vial = get_vial(vial_id)
        discard_in_transaction(vial, reason, _("Missing at stock count #%(id)s", id=count_id), user)
    return vial


def count_lines(count: StockCount) -> list[StockCountLine]:
    return list(
        db.session.scalars(
            select(StockCountLine)
            .where(StockCountLine.count_id == count.id)
            .options(joinedload(StockCountLine.vial).joinedload(Vial.lot))
            .order_by(StockCountLine.difference, StockCountLine.id)
        )
    )
