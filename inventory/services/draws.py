"""Drawing volume from vials: which vials (FEFO, SAFE-04), whether they may be drawn (SAFE-01..03),
and the guarded decrement that never over-draws, even when two nurses draw at once (SAFE-11).

The caller owns the transaction (`services.batches.prepare_batch`): every draw of a preparation
happens in it, or none does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, func, select, update

from inventory import clock
from inventory.errors import Conflict, Invalid, from_rule
from inventory.extensions import db
from inventory.models.catalogue import Product
from inventory.models.stock import DiscardReason, Lot, Receipt, Vial, VialStatus
from inventory.models.users import User
from inventory.names import BLOCK_LABELS, label
from inventory.rules import fefo
from inventory.rules.codes import CodeKind, parse_code
from inventory.rules.errors import RuleError
from inventory.rules.units import ul_to_ml
from inventory.services import stock as stock_service
from inventory.services import usability
from inventory.services.usability import VialState


@dataclass(frozen=True)
class StockVial:
    """A candidate vial with what the nurse must see: lot, expiry, remaining, state."""

    vial: Vial
    lot: Lot
    product: Product
    received_at: datetime
    state: VialState

    @property
    def opened(self) -> bool:
        return self.vial.opened_at is not None

    def candidate(self) -> fefo.Candidate:
        return fefo.Candidate(
            vial_id=self.vial.id,
            remaining_ul=self.vial.remaining_ul,
            opened=self.opened and self.state.usable,
            expiry=self.lot.expiry,
            received_at=self.received_at,
            usable=self.state.usable,
        )


@dataclass(frozen=True)
class PlannedDraw:
    """One line of a draw plan: take ``volume_ul`` from this vial."""

    stock: StockVial
    volume_ul: int

    @property
    def vial(self) -> Vial:
        return self.stock.vial


@dataclass
class DrawPlan:
    """What will be drawn for every product, and whether it departs from FEFO (needs a reason)."""

    lines: list[PlannedDraw] = field(default_factory=list)
    departs_from_fefo: bool = False

    @property
    def vial_ids(self) -> list[int]:
        return [line.vial.id for line in self.lines]


def _vial_states(vials: Sequence[Vial], now: datetime) -> dict[int, VialState]:
    """SAFE-01..03 for each vial, decided in one place: services.usability (recalls included)."""
    return usability.vial_states(vials, now=now)


def load_stock(
    product_ids: Sequence[int], *, extra_vial_ids: Sequence[int] = (), lock: bool = False
) -> list[StockVial]:
    """Every non-empty sealed or open vial of these products (usable or not), plus the vials named.

    With ``lock`` the vial rows are locked (``SELECT … FOR UPDATE`` on PostgreSQL, fresh values);
    SQLite has already taken its write lock at ``BEGIN IMMEDIATE``.
    """
    in_stock = Vial.status.in_(usability.IN_STOCK) & (Vial.remaining_ul > 0)
    wanted = Lot.product_id.in_(list(product_ids)) & in_stock
    if extra_vial_ids:
        wanted = wanted | Vial.id.in_(list(extra_vial_ids))
    query = (
        select(Vial, Lot, Product, Receipt.received_at)
        .join(Lot, Vial.lot_id == Lot.id)
        .join(Product, Lot.product_id == Product.id)
        .join(Receipt, Vial.receipt_id == Receipt.id)
        .where(wanted)
        .order_by(Vial.id)
    )
    if lock:
        query = query.with_for_update(of=Vial).execution_options(populate_existing=True)
    rows = list(db.session.execute(query))
    states = _vial_states([row[0] for row in rows], clock.now())
    return [
        StockVial(vial, lot, product, received_at, states[vial.id])
        for vial, lot, product, received_at in rows
    ]


def find_vial_id(scan: str) -> int:
    """The id of the vial whose code was scanned or typed; 422 when it is not one of our vial codes."""
    parsed = parse_code(scan)
    if parsed is None or parsed[0] is not CodeKind.VIAL:
        raise Invalid("not_a_vial_code", _("“%(scan)s” is not a vial code (V…).", scan=scan.strip()))
    vial_id = db.session.scalar(select(Vial.id).where(Vial.code == parsed[1]))
    if vial_id is None:
        raise Invalid("unknown_vial", _("No vial has the code %(code)s.", code=parsed[1]))
    return int(vial_id)


def plan(
    needs: Mapping[int, int],
    stock: Sequence[StockVial],
    chosen_vial_ids: Sequence[int] | None = None,
) -> DrawPlan:
    """Plan the draws for every needed product (product_id → µL), FEFO unless vials are chosen.

    A chosen vial applies to its own product; a product with no chosen vial is drawn FEFO.
    Raises Conflict ``vial_unusable`` (a chosen vial blocked, empty or not needed) and Conflict
    ``insufficient_stock`` naming every product that is short.
    """
    chosen = list(dict.fromkeys(chosen_vial_ids or ()))
    by_vial = {item.vial.id: item for item in stock}
    _check_chosen(chosen, by_vial, needs)
    result = DrawPlan()
    shortages: list[dict[str, Any]] = []
    for product_id, needed_ul in needs.items():
        items = [item for item in stock if item.product.id == product_id]
        candidates = [item.candidate() for item in items]
        mine = [vial_id for vial_id in chosen if by_vial[vial_id].product.id == product_id]
        try:
            steps = (
                fefo.plan_draw_from(mine, candidates, needed_ul)
                if mine
                else fefo.plan_draw(candidates, needed_ul)
            )
        except fefo.InsufficientStock as error:
            shortages.append(_shortage(product_id, items, error))
            continue
        except RuleError as error:
            raise from_rule(error) from None
        if mine and fefo.departs_from_fefo(steps, candidates, needed_ul):
            result.departs_from_fefo = True
        result.lines.extend(PlannedDraw(by_vial[vial_id], volume) for vial_id, volume in steps)
    if shortages:
        raise _insufficient(shortages)
    return result


def _check_chosen(chosen: Sequence[int], by_vial: Mapping[int, StockVial], needs: Mapping[int, int]) -> None:
    for vial_id in chosen:
        item = by_vial.get(vial_id)
        if item is None or item.product.id not in needs or not item.state.usable:
            raise _unusable(vial_id, item, needs)


def _unusable(vial_id: int, item: StockVial | None, needs: Mapping[int, int]) -> Conflict:
    if item is None:
        message = _("Vial %(id)s is empty, discarded or does not exist.", id=vial_id)
    elif item.product.id not in needs:
        message = _(
            "Vial %(code)s holds %(product)s, which this recipe does not use.",
            code=item.vial.code,
            product=item.product.name,
        )
    else:
        message = _(
            "Vial %(code)s cannot be drawn: %(reason)s.",
            code=item.vial.code,
            reason=label(BLOCK_LABELS, item.state.blocked_reason) or _("it is empty"),
        )
    fields = {"vial_id": str(vial_id)}
    if item is not None and item.state.blocked_reason:
        fields["blocked_reason"] = item.state.blocked_reason
    return Conflict("vial_unusable", message, fields=fields)


def _shortage(product_id: int, items: Sequence[StockVial], error: fefo.InsufficientStock) -> dict[str, Any]:
    name = items[0].product.name if items else db.session.get(Product, product_id).name  # type: ignore[union-attr]
    return {
        "product_id": product_id,
        "product": name,
        "needed_ml": ul_to_ml(error.needed_ul),
        "available_ml": ul_to_ml(error.available_ul),
        "short_ml": ul_to_ml(error.short_ul),
    }


def _insufficient(shortages: list[dict[str, Any]]) -> Conflict:
    text = "; ".join(
        _(
            "%(product)s: %(needed)s mL needed, %(available)s mL usable",
            product=short["product"],
            needed=short["needed_ml"],
            available=short["available_ml"],
        )
        for short in shortages
    )
    first = shortages[0]
    return Conflict(
        "insufficient_stock",
        _("Not enough usable stock. %(what)s.", what=text),
        fields={key: str(value) for key, value in first.items()},
        extra={
            "short": [
                {**short, **{key: float(short[key]) for key in ("needed_ml", "available_ml", "short_ml")}}
                for short in shortages
            ]
        },
    )


@dataclass(frozen=True)
class DrawnVial:
    """A vial after its draw, with what the BUD needs to know about it (BUD-03)."""

    stock: StockVial
    volume_ul: int
    was_open: bool
    in_use_until_before: datetime | None

    @property
    def expiry(self) -> date:
        return self.stock.lot.expiry


def execute(plan_: DrawPlan, *, now: datetime) -> list[DrawnVial]:
    """Take every planned volume with a guarded decrement; the first that cannot be covered raises
    ``insufficient_stock`` and the caller's transaction rolls everything back (SAFE-11).

    A vial is opened (punctured) by its first draw and becomes empty at 0 µL.
    """
    drawn: list[DrawnVial] = []
    for line in plan_.lines:
        vial = line.vial
        was_open = vial.opened_at is not None
        until_before = line.stock.state.usable_until if was_open else None
        left = Vial.remaining_ul - line.volume_ul
        result = db.session.execute(
            update(Vial)
            .where(
                Vial.id == vial.id,
                Vial.remaining_ul >= line.volume_ul,
                Vial.status.in_(usability.IN_STOCK),
            )
            .values(
                remaining_ul=left,
                opened_at=func.coalesce(Vial.opened_at, now),
                status=case((left == 0, VialStatus.EMPTY.value), else_=VialStatus.OPEN.value),
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise _raced(line)
        drawn.append(DrawnVial(line.stock, line.volume_ul, was_open, until_before))
    for item in drawn:
        db.session.refresh(item.stock.vial)
    return drawn


@dataclass(frozen=True)
class DrawResult:
    plan: DrawPlan
    drawn: list[DrawnVial]
    override_reason: str | None  # recorded on each draw when the plan departs from FEFO


def draw(
    needs: Mapping[int, int],
    *,
    chosen_vial_ids: Sequence[int] | None = None,
    override_reason: str | None = None,
    now: datetime,
) -> DrawResult:
    """The draw use case inside the caller's transaction: lock the candidate vials, plan (FEFO, or the
    vials chosen, SAFE-04), insist on a reason for a departure from FEFO, take every volume (SAFE-11).

    Raises Conflict ``insufficient_stock`` / ``vial_unusable`` and Invalid ``override_reason_required``;
    the caller's transaction then rolls back whatever was drawn.
    """
    stock = load_stock(list(needs), extra_vial_ids=chosen_vial_ids or (), lock=True)
    planned = plan(needs, stock, chosen_vial_ids)
    reason = (override_reason or "").strip() or None
    if planned.departs_from_fefo and reason is None:
        raise Invalid(
            "override_reason_required",
            _("These vials are not the first to expire: say why you chose them."),
            fields={"override_reason": _("A reason is required when not following FEFO.")},
        )
    return DrawResult(planned, execute(planned, now=now), reason if planned.departs_from_fefo else None)


def _raced(line: PlannedDraw) -> Conflict:
    remaining = db.session.scalar(select(Vial.remaining_ul).where(Vial.id == line.vial.id)) or 0
    return _insufficient(
        [
            {
                "product_id": line.stock.product.id,
                "product": line.stock.product.name,
                "needed_ml": ul_to_ml(line.volume_ul),
                "available_ml": ul_to_ml(remaining),
                "short_ml": ul_to_ml(max(line.volume_ul - remaining, 0)),
            }
        ]
    )


def discard_remainder(vial: Vial, *, note: str, user: User) -> int:
    """Discard what is left in a vial as waste (VIAL-02, BUD-06), the way the stock service discards
    any vial (waste and its cost); returns the µL discarded."""
    if vial.status not in usability.IN_STOCK:
        return 0
    stock_service.discard_in_transaction(vial, DiscardReason.IN_USE_LIMIT.value, note, user)
    return vial.waste_ul
