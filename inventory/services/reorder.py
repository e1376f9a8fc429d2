"""The reorder list: the pure rule (rules/reorder.py) fed with a few set-based queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select, true

from inventory import clock
from inventory.extensions import db
from inventory.formatting import format_number
from inventory.models import DailyTotal, Draw, Lot, LotStatus, Product, Receipt, Vial, VialStatus
from inventory.models.purchasing import OPEN_STATUSES, PurchaseOrder, PurchaseOrderLine
from inventory.rules import expiry as expiry_rules
from inventory.rules.policy import Container
from inventory.rules.reorder import (
    Portion,
    ReorderInput,
    ReorderReason,
    Suggestion,
    observation_days,
    suggest,
)
from inventory.rules.units import ul_to_ml
from inventory.services import summaries
from inventory.services.policy import current_policy


@dataclass(frozen=True)
class ReorderLine:
    product: Product
    suggestion: Suggestion
    window_days: int
    observed_days: int
    supplier: str

    @property
    def reason_text(self) -> str:
        return reason_text(self.suggestion, self.observed_days)

    @property
    def daily_use_ul(self) -> int:
        return round(self.suggestion.daily_use_ul)

    @property
    def days_of_cover(self) -> float | None:
        cover = self.suggestion.days_of_cover
        return None if cover is None else round(float(cover), 1)

    @property
    def days_of_cover_text(self) -> str:
        return _days(self.suggestion.days_of_cover)


def window_days() -> int:
    return int(current_app.config.get("REORDER_WINDOW_DAYS", 90))


def _drawn_since(first_day: date, product_ids: list[int]) -> dict[int, int]:
    """µL drawn per product from `first_day` (a clinic day) on: the daily totals of the window."""
    query = (
        select(DailyTotal.key, func.sum(DailyTotal.volume_ul))
        .where(
            DailyTotal.metric == summaries.DRAWN,
            DailyTotal.day >= first_day,
            DailyTotal.key.in_([str(product_id) for product_id in product_ids]),
        )
        .group_by(DailyTotal.key)
    )
    return {int(key): int(total or 0) for key, total in db.session.execute(query)}


def _first_activity(product_ids: list[int], window_start: date) -> dict[int, datetime]:
    """The earliest of a product's first draw and first receipt, exact where it falls after the clinic
    day `window_start` (the only case where it changes the observation window): per product one look-up
    of the index on draws (product_id, drawn_at); only for a product not drawn before the window, per
    lot of it one look-up of the index on receipts (lot_id, received_at). The cost follows the products,
    not the lots of the years (PostgreSQL hash-joined every receipt per product)."""
    first_draw = (  # ORDER BY the index's own columns: PostgreSQL otherwise walks ix_draws_drawn_at
        select(Draw.drawn_at)
        .where(Draw.product_id == Product.id)
        .order_by(Draw.product_id, Draw.drawn_at)
        .limit(1)
        .correlate(Product)
        .scalar_subquery()
    )
    first: dict[int, datetime] = {}
    for product_id, moment in db.session.execute(
        select(Product.id, first_draw).where(Product.id.in_(product_ids))
    ):
        if moment is not None:
            first[product_id] = _aware(moment)
    zone = clock.clinic_zone()
    recent = [
        pid for pid in product_ids if pid not in first or first[pid].astimezone(zone).date() > window_start
    ]
    if not recent:
        return first
    first_of_lot = (  # each lot's first receipt: one probe of the index on receipts (lot_id, received_at)
        select(Receipt.received_at)
        .where(Receipt.lot_id == Lot.id)
        .order_by(Receipt.lot_id, Receipt.received_at)
        .limit(1)
        .correlate(Lot)
        .scalar_subquery()
    )
    first_receipt = (
        select(func.min(first_of_lot))
        .where(Lot.product_id == Product.id)
        .correlate(Product)
        .scalar_subquery()
    )
    for product_id, moment in db.session.execute(
        select(Product.id, first_receipt).where(Product.id.in_(recent))
    ):
        if moment is not None:
            received = _aware(moment)
            first[product_id] = min(first.get(product_id, received), received)
    return first


def _aware(moment: datetime) -> datetime:
    """min() over a UTCDateTime column comes back naive on SQLite."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def usable_portions(product_ids: list[int]) -> dict[int, list[Portion]]:
    """Every vial that can be drawn today, per product, with the last day it can be drawn."""
    now = clock.now()
    zone = clock.clinic_zone()
    policy = current_policy()
    query = (
        select(
            Vial.remaining_ul, Vial.opened_at, Lot.expiry, Product.id, Product.container, Product.in_use_days
        )
        .join(Lot, Vial.lot_id == Lot.id)
        .join(Product, Lot.product_id == Product.id)
        .where(
            Lot.status == LotStatus.AVAILABLE,
            Lot.expiry >= clock.today(),
            Vial.status.in_([VialStatus.SEALED, VialStatus.OPEN]),
            Vial.remaining_ul > 0,
            Product.id.in_(product_ids),
        )
    )
    portions: dict[int, list[Portion]] = defaultdict(list)
    for remaining, opened_at, expiry, product_id, container, in_use_days in db.session.execute(query):
        through = expiry
        if opened_at is not None:
            until = expiry_rules.in_use_until(
                Container(container), opened_at, expiry, zone, policy, in_use_days
            )
            if until < now:
                continue
            through = until.astimezone(zone).date()
        portions[product_id].append(Portion(usable_through=through, remaining_ul=remaining))
    return portions


def on_order(product_ids: list[int]) -> dict[int, int]:
    """Vials ordered (sent, not yet received) per product."""
    outstanding = func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.received_quantity)
    query = (
        select(PurchaseOrderLine.product_id, outstanding)
        .join(PurchaseOrder, PurchaseOrderLine.order_id == PurchaseOrder.id)
        .where(
            PurchaseOrder.status.in_(OPEN_STATUSES),
            PurchaseOrderLine.quantity > PurchaseOrderLine.received_quantity,
            PurchaseOrderLine.product_id.in_(product_ids),
        )
        .group_by(PurchaseOrderLine.product_id)
    )
    return {product_id: int(total or 0) for product_id, total in db.session.execute(query)}


def last_receipts(product_ids: list[int]) -> dict[int, tuple[str, int | None]]:
    """Per product, the supplier of its latest receipt and that lot's shelf life in days on arrival.

    Each lot's newest receipt is one look-up of the index on receipts (lot_id, received_at, id); the
    newest of those per product is kept here (a row per lot, never a row per receipt of history).
    PostgreSQL reads each lot's newest receipt laterally: joined on the newest receipt's id instead,
    it hashed every receipt of the years (SQLite has no LATERAL, and looks the ids up)."""
    newest = (
        select(Receipt.id, Receipt.supplier, Receipt.received_at)
        .where(Receipt.lot_id == Lot.id)
        .order_by(Receipt.lot_id.desc(), Receipt.received_at.desc(), Receipt.id.desc())
        .limit(1)
    )
    receipt: Any
    on: Any
    if db.session.get_bind().dialect.name == "postgresql":
        receipt, on = newest.lateral("newest"), true()
    else:
        receipt = Receipt.__table__
        on = Receipt.id == newest.with_only_columns(Receipt.id).correlate(Lot).scalar_subquery()
    query = (
        select(Lot.product_id, receipt.c.supplier, receipt.c.received_at, receipt.c.id, Lot.expiry)
        .select_from(Lot)
        .join(receipt, on)
        .where(Lot.product_id.in_(product_ids))
    )
    newest_of: dict[int, tuple[datetime, int, str, date]] = {}
    for product_id, supplier, received_at, receipt_id, expiry in db.session.execute(query):
        moment = _aware(received_at)
        known = newest_of.get(product_id)
        if known is None or (moment, receipt_id) > known[:2]:
            newest_of[product_id] = (moment, receipt_id, supplier or "", expiry)
    zone = clock.clinic_zone()
    return {
        product_id: (supplier, max(0, (expiry - moment.astimezone(zone).date()).days))
        for product_id, (moment, _id, supplier, expiry) in newest_of.items()
    }


def reorder_lines(*, products: list[Product] | None = None, only_needed: bool = False) -> list[ReorderLine]:
    """Every active product (or the ones given) with its suggestion, most urgent first."""
    if products is None:
        products = list(db.session.scalars(select(Product).where(Product.active.is_(True))))
    ids = [product.id for product in products]
    if not ids:
        return []
    today = clock.today()
    window = window_days()
    window_start = today - timedelta(days=window - 1)
    drawn = _drawn_since(window_start, ids)
    first = _first_activity(ids, window_start)
    portions = usable_portions(ids)
    ordered = on_order(ids)
    receipts = last_receipts(ids)
    lines = []
    for product in products:
        began = min(first.get(product.id, product.created_at), product.created_at)
        history = (today - began.astimezone(clock.clinic_zone()).date()).days + 1
        observed = observation_days(window, history)
        supplier, shelf_life = receipts.get(product.id, ("", None))
        result = suggest(
            ReorderInput(
                today=today,
                vial_volume_ul=product.volume_ul,
                reorder_point=product.reorder_point,
                reorder_quantity=product.reorder_quantity,
                lead_time_days=product.lead_time_days,
                drawn_ul=drawn.get(product.id, 0),
                observed_days=observed,
                portions=portions.get(product.id, []),
                on_order_vials=ordered.get(product.id, 0),
                shelf_life_days=shelf_life,
            )
        )
        if only_needed and not result.needs_reorder:
            continue
        lines.append(ReorderLine(product, result, window, observed, supplier))
    lines.sort(key=_urgency)
    return lines


def _urgency(line: ReorderLine) -> tuple[bool, float, str]:
    cover = line.suggestion.days_of_cover
    return (not line.suggestion.needs_reorder, float(cover) if cover is not None else 1e9, line.product.name)


def reason_text(result: Suggestion, observed_days: int) -> str:
    """The rule's reason code in words, with its figures."""
    reason = result.reason
    days = _days(result.days_of_cover)
    if reason is ReorderReason.NO_RECENT_USE:
        return str(
            ngettext(
                "Nothing drawn in the last %(num)d day: no reorder suggested.",
                "Nothing drawn in the last %(num)d days: no reorder suggested.",
                observed_days,
            )
        )
    if reason is ReorderReason.BELOW_REORDER_POINT and result.days_of_cover is None:
        return str(
            _(
                "No use recorded yet; %(vials)d in-date vials on hand, at or below the reorder point of "
                "%(point)d vials.",
                vials=result.on_hand_vials,
                point=result.reorder_point,
            )
        )
    if reason is ReorderReason.ENOUGH_COVER:
        text = _(
            "%(days)s days of cover, more than the %(lead)d-day lead time.",
            days=days,
            lead=result.lead_time_days,
        )
    elif reason is ReorderReason.RUNS_OUT_BEFORE_DELIVERY:
        text = _(
            "Runs out in %(days)s days, before a delivery could arrive (%(lead)d-day lead time).",
            days=days,
            lead=result.lead_time_days,
        )
    elif reason is ReorderReason.BELOW_REORDER_POINT:
        text = _(
            "Usable stock is at or below the reorder point of %(point)d vials.", point=result.reorder_point
        )
    else:
        text = _("No stock that will be used before it expires.")
    if result.expiring_unused_ul:
        text += " " + _(
            "%(ml)s mL will expire before use at the current rate.",
            ml=format_number(ul_to_ml(result.expiring_unused_ul)),
        )
    if result.capped_by_shelf_life:
        text += " " + _("Limited to what can be used before a new delivery expires.")
    return str(text)


def _days(value: Fraction | None) -> str:
    if value is None:
        return "—"
    return format_number(round(float(value), 1), "#,##0.#")
