"""What may be used now: whether a vial can be drawn (SAFE-01..03, VIAL-01..04), which lots are
recalled, and the usable stock per product.

``vial_states`` is the one place that decides whether a vial can be drawn: the draw service, the product
stock summary and every page call it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, tuple_

from inventory import clock
from inventory.extensions import db
from inventory.models.catalogue import Product
from inventory.models.coldchain import ExcursionDecision, ExcursionHold
from inventory.models.compounding import Syringe
from inventory.models.recall import Recall
from inventory.models.stock import (
    Lot,
    LotStatus,
    Vial,
    VialStatus,
)
from inventory.rules import expiry as expiry_rules
from inventory.rules.expiry import BlockReason
from inventory.rules.policy import Container, Policy
from inventory.services.policy import current_policy


@dataclass(frozen=True)
class StockLevel:
    vials: int = 0
    volume_ul: int = 0


IN_STOCK = (VialStatus.SEALED, VialStatus.OPEN)
#: SAFE-16: a vial or syringe in a unit during a temperature excursion, until a manager decides.
TEMPERATURE_HOLD = "temperature_hold"


# --- what a vial may be used for now ----------------------------------------------------------------


@dataclass(frozen=True)
class VialState:
    """``usable``: it can be drawn now. ``blocked_reason``: why not, when a rule blocks it (recalled,
    quarantined, expired, in_use_limit), else None (an empty or discarded vial is not usable either,
    without a blocked reason). ``usable_until``: its last usable instant, the in-use limit of an opened
    vial or the end of its lot's expiry day."""

    usable: bool
    blocked_reason: str | None
    usable_until: datetime


def recalled_lot_ids(lots: Iterable[Lot]) -> set[int]:
    """Lots named by a recall, whatever their status says (RCL-01: exact match after trim/upper-case)."""
    keys = {(lot.product_id, lot.number.strip().upper()): lot.id for lot in lots}
    if not keys:
        return set()
    recall_key = tuple_(Recall.product_id, func.upper(func.trim(Recall.lot_number)))
    rows = db.session.execute(
        select(Recall.product_id, func.upper(func.trim(Recall.lot_number))).where(
            Recall.product_id.in_({product_id for product_id, _n in keys}),
            recall_key.in_(list(keys)),
        )
    )
    return {keys[(product_id, number)] for product_id, number in rows if (product_id, number) in keys}


def _undecided(decided: Any, group: Any) -> Any:
    return ~exists().where(ExcursionDecision.excursion_id == ExcursionHold.excursion_id, decided == group)


def temperature_held_vial_ids(vial_ids: Iterable[int]) -> set[int]:
    """SAFE-16: vials held by a temperature excursion (COLD-03) whose lot has no decision yet."""
    wanted = list(set(vial_ids))
    if not wanted:
        return set()
    undecided = _undecided(ExcursionDecision.lot_id, ExcursionHold.lot_id)
    return set(
        db.session.scalars(select(ExcursionHold.vial_id).where(ExcursionHold.vial_id.in_(wanted), undecided))
    )


def syringe_held(syringe_id: Any) -> Any:
    """SAFE-16 as a SQL condition on a syringe id column: held by a temperature excursion (COLD-03) whose
    decision for its batch is still to come. The scan's one query embeds it."""
    return exists().where(
        ExcursionHold.syringe_id == syringe_id,
        _undecided(ExcursionDecision.batch_id, ExcursionHold.batch_id),
    )


def held_syringe_ids(syringe_ids: Iterable[int]) -> set[int]:
    """SAFE-16: the syringes among these on temperature hold."""
    wanted = list(set(syringe_ids))
    if not wanted:
        return set()
    return set(db.session.scalars(select(Syringe.id).where(Syringe.id.in_(wanted), syringe_held(Syringe.id))))


def _load_lots(vials: Sequence[Vial]) -> dict[int, Lot]:
    """Every vial's lot (with its product) in one query, into the session's identity map."""
    lot_ids = {vial.lot_id for vial in vials}
    if not lot_ids:
        return {}
    return {lot.id: lot for lot in db.session.scalars(select(Lot).where(Lot.id.in_(lot_ids)))}


def vial_state(
    vial: Vial,
    lot: Lot,
    *,
    recalled: bool,
    now: datetime,
    policy: Policy,
    product: Product | None = None,
    held: bool = False,
) -> VialState:
    zone = clock.clinic_zone()
    product = product or lot.product
    if vial.opened_at is not None:
        until = expiry_rules.in_use_until(
            Container(product.container), vial.opened_at, lot.expiry, zone, policy, product.in_use_days
        )
    else:
        until = expiry_rules.expiry_end(lot.expiry, zone)
    reason: str | None = expiry_rules.vial_blocked_reason(
        now=now,
        expiry=lot.expiry,
        tz=zone,
        lot_status=LotStatus.RECALLED if recalled else lot.status,
        opened_at=vial.opened_at,
        in_use_until=until if vial.opened_at is not None else None,
    )
    if reason is None and vial.status == VialStatus.OPEN and vial.opened_at is None:
        reason = BlockReason.IN_USE_LIMIT  # VIAL-04: opened without a recorded puncture time
    if reason is None and held:
        reason = TEMPERATURE_HOLD  # SAFE-16: until a manager decides on its lot
    usable = reason is None and vial.status in IN_STOCK and vial.remaining_ul > 0
    return VialState(
        usable=usable, blocked_reason=None if reason is None else str(reason), usable_until=until
    )


def vial_states(vials: Iterable[Vial], *, now: datetime | None = None) -> dict[int, VialState]:
    """{vial_id: VialState} computed now under the clinic's policy; a few queries whatever the number."""
    vials = list(vials)
    now = now or clock.now()
    policy = current_policy()
    lots = _load_lots(vials)
    recalled = recalled_lot_ids(lots.values())
    held = temperature_held_vial_ids(vial.id for vial in vials)
    return {
        vial.id: vial_state(
            vial,
            lots[vial.lot_id],
            recalled=vial.lot_id in recalled,
            now=now,
            policy=policy,
            held=vial.id in held,
        )
        for vial in vials
    }


def usable_stock(product_ids: list[int] | None = None) -> dict[int, StockLevel]:
    """Vials that can be drawn now, per product (vial_states decides), with their volume."""
    query = (
        select(Vial)
        .join(Lot, Vial.lot_id == Lot.id)
        .where(
            Lot.status == LotStatus.AVAILABLE,
            Lot.expiry >= clock.today(),
            Vial.status.in_(IN_STOCK),
            Vial.remaining_ul > 0,
        )
    )
    if product_ids is not None:
        query = query.where(Lot.product_id.in_(product_ids))
    vials = list(db.session.scalars(query))
    states = vial_states(vials)
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for vial in vials:
        if states[vial.id].usable:
            totals[vial.lot.product_id][0] += 1
            totals[vial.lot.product_id][1] += vial.remaining_ul
    return {product_id: StockLevel(*values) for product_id, values in totals.items()}


def is_lot_recalled(lot: Lot) -> bool:
    """SAFE-03: recalled by its status or by a recall naming its number; never released."""
    return lot.status == LotStatus.RECALLED or lot.id in recalled_lot_ids([lot])
