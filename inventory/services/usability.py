"""What may be used now, in one place: whether a vial can be drawn (SAFE-01..03, VIAL-01..04), whether a
syringe can be given or labelled (SAFE-01..03, 06, 08), whether a lot is on hold, and the status sets.

``vial_states`` decides for vials, ``syringe_reasons`` / ``syringe_verdicts`` for syringes, ``lot_hold``
and ``lot_recalled_clause`` for lots. The draw service, the scan (which adds only what depends on the
session), the batch API, traces, recalls, printing, the dashboard and every page ask here; templates get
the flags these answer, never a status string to compare.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, case, exists, func, or_, select
from sqlalchemy.orm import contains_eager, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from inventory import clock
from inventory.extensions import db
from inventory.models.catalogue import Product
from inventory.models.clinic import Administration, SessionStatus, TreatmentSession
from inventory.models.coldchain import ExcursionDecision, ExcursionHold
from inventory.models.compounding import Batch, BatchStatus, Draw, RecipeComponent, Syringe, SyringeStatus
from inventory.models.purchasing import OrderStatus, PurchaseOrder
from inventory.models.recall import Recall
from inventory.models.stock import (
    CountStatus,
    Lot,
    LotStatus,
    StockCount,
    Vial,
    VialStatus,
)
from inventory.rules import bud as rules_bud
from inventory.rules import expiry as expiry_rules
from inventory.rules.expiry import BlockReason
from inventory.rules.policy import Container, Policy
from inventory.services.policy import current_policy


@dataclass(frozen=True)
class StockLevel:
    vials: int = 0
    volume_ul: int = 0


# --- the status sets ----------------------------------------------------------------------------------

#: A vial still on the shelf: it may be drawn when nothing else blocks it, counted, discarded.
IN_STOCK: tuple[str, ...] = (VialStatus.SEALED.value, VialStatus.OPEN.value)
#: A syringe not used up: it may still be given, labelled, discarded, quarantined by a recall.
UNUSED_SYRINGE: tuple[str, ...] = (SyringeStatus.AWAITING_VERIFICATION.value, SyringeStatus.AVAILABLE.value)
#: A lot on hold: nothing of it may be drawn or given.
LOT_ON_HOLD: tuple[str, ...] = (LotStatus.QUARANTINED.value, LotStatus.RECALLED.value)


def vial_in_stock(vial: Vial) -> bool:
    return vial.status in IN_STOCK


def syringe_unused(syringe: Syringe) -> bool:
    return syringe.status in UNUSED_SYRINGE


def vial_discarded(vial: Vial) -> bool:
    return vial.status == VialStatus.DISCARDED


def lot_quarantined(lot: Lot) -> bool:
    """On hold by a manager (not recalled): it may be released by a second manager."""
    return lot.status == LotStatus.QUARANTINED


def status_on_hold(lot_status: str) -> bool:
    """A lot status (as a trace row carries it) that keeps the lot out of use."""
    return lot_status in LOT_ON_HOLD


def status_recalled(lot_status: str) -> bool:
    return lot_status == LotStatus.RECALLED


def batch_released(batch: Batch) -> bool:
    return batch.status == BatchStatus.RELEASED


def batch_awaiting_verification(batch: Batch) -> bool:
    return batch.status == BatchStatus.AWAITING_VERIFICATION


def batch_quarantined(batch: Batch) -> bool:
    return batch.status == BatchStatus.QUARANTINED


def session_open(session: TreatmentSession) -> bool:
    """A treatment session still taking scans."""
    return session.status == SessionStatus.OPEN


def order_cancellable(order: PurchaseOrder) -> bool:
    """A purchase order not yet received in full nor cancelled: a draft or one sent."""
    return order.status in (OrderStatus.DRAFT, OrderStatus.SENT)


def count_open(count: StockCount) -> bool:
    """A stock count still being scanned."""
    return count.status == CountStatus.OPEN


#: The flags pages get (``{% if syringe_unused(s) %}``): templates never compare status strings.
def template_flags() -> dict[str, Any]:
    return {
        "vial_in_stock": vial_in_stock,
        "vial_discarded": vial_discarded,
        "syringe_unused": syringe_unused,
        "lot_quarantined": lot_quarantined,
        "lot_hold": lot_hold,
        "status_on_hold": status_on_hold,
        "status_recalled": status_recalled,
        "batch_released": batch_released,
        "batch_awaiting_verification": batch_awaiting_verification,
        "batch_quarantined": batch_quarantined,
        "session_open": session_open,
        "order_cancellable": order_cancellable,
        "count_open": count_open,
    }


# --- is this lot on hold ----------------------------------------------------------------------------


def lot_recalled_clause() -> Any:
    """SQL: the lot (``Lot`` in the enclosing query) is recalled, by its status or by a recall naming it
    by id, or by product and number (RCL-01: exact match after trim and upper-case)."""
    named = exists().where(
        or_(
            Recall.lot_id == Lot.id,
            and_(
                Recall.product_id == Lot.product_id,
                func.upper(func.trim(Recall.lot_number)) == func.upper(func.trim(Lot.number)),
            ),
        )
    )
    return or_(Lot.status == LotStatus.RECALLED, named)


def lot_hold(lot: Lot, *, recalled: bool | None = None) -> str | None:
    """``recalled``, ``quarantined`` or None: why nothing of this lot may be used (SAFE-03). ``recalled``
    is the answer of :func:`recalled_lot_ids` when the caller has it already."""
    if recalled is None:
        recalled = lot.id in recalled_lot_ids([lot])
    if recalled or lot.status == LotStatus.RECALLED:
        return LotStatus.RECALLED.value
    if lot.status == LotStatus.QUARANTINED:
        return LotStatus.QUARANTINED.value
    return None


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
    """The lots among these that are recalled (:func:`lot_recalled_clause`), in one query."""
    ids = {lot.id for lot in lots}
    if not ids:
        return set()
    return set(db.session.scalars(select(Lot.id).where(Lot.id.in_(ids), lot_recalled_clause())))


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
    """Every vial's lot (with its product): the lots the vials were loaded with, the others in one
    query. Each vial's ``lot`` is set to it, so that reading ``vial.lot`` afterwards costs no query
    (the identity map holds objects weakly: a lot loaded here and dropped would be reloaded one by one)."""
    lots: dict[int, Lot] = {}
    missing: set[int] = set()
    for vial in vials:
        loaded = vial.__dict__.get("lot")
        if loaded is not None:
            lots[loaded.id] = loaded
        else:
            missing.add(vial.lot_id)
    missing -= lots.keys()
    if missing:
        lots.update((lot.id, lot) for lot in db.session.scalars(select(Lot).where(Lot.id.in_(missing))))
    for vial in vials:
        if "lot" not in vial.__dict__:
            set_committed_value(vial, "lot", lots[vial.lot_id])
    return lots


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
        lot_status=lot_hold(lot, recalled=recalled) or lot.status,
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
        .options(contains_eager(Vial.lot), lazyload(Vial.storage_unit))
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
    return lot_hold(lot) == LotStatus.RECALLED


# --- whether a syringe may be given ------------------------------------------------------------------

# api.md's fixed reasons that belong to the syringe itself, in the order a screen shows them;
# ``missing_lot`` (SAFE-08) is an addition. The scan adds the session's own (services.scanning).
NOT_RELEASED = "not_released"
BUD_PASSED = "bud_passed"
EXPIRED_COMPONENT = "expired_component"
QUARANTINED = "quarantined"
RECALLED = "recalled"
MISSING_LOT = "missing_lot"
ALREADY_ADMINISTERED = "already_administered"
DISCARDED = "discarded"

SYRINGE_REASONS: tuple[str, ...] = (
    NOT_RELEASED,
    BUD_PASSED,
    EXPIRED_COMPONENT,
    QUARANTINED,
    RECALLED,
    TEMPERATURE_HOLD,
    MISSING_LOT,
    ALREADY_ADMINISTERED,
    DISCARDED,
)

#: A label must not be printed for a syringe blocked for these (the scan would refuse it for good).
REFUSE_LABEL: tuple[str, ...] = (RECALLED, QUARANTINED)

#: api.md: a syringe's single `blocked_reason` is a vial's (recalled, quarantined, expired) plus bud_passed,
#: the gravest first.
_BLOCKED_REASON_OF = (
    (RECALLED, "recalled"),
    (QUARANTINED, "quarantined"),
    (EXPIRED_COMPONENT, "expired"),
    (TEMPERATURE_HOLD, TEMPERATURE_HOLD),
    (BUD_PASSED, "bud_passed"),
)

# Larger IN lists make SQLite's planner switch to scans (seconds instead of milliseconds at ~5,000 ids).
IDS_PER_QUERY = 1000


def bud_passed(bud: datetime, now: datetime | None = None) -> bool:
    """BUD-01: administration must not begin after the BUD, not even within its last minute (T8)."""
    return rules_bud.bud_passed(bud, now or clock.now())


def blocked_reason(reasons: Iterable[str]) -> str | None:
    """The one reason shown beside a syringe's status, the gravest first; None when nothing blocks it
    beyond its status (awaiting verification, administered, discarded)."""
    present = set(reasons)
    return next((shown for reason, shown in _BLOCKED_REASON_OF if reason in present), None)


@dataclass(frozen=True)
class SyringeVerdict:
    """Every reason a syringe cannot be given now whatever the session, and what follows from them."""

    status: str
    reasons: tuple[str, ...]

    @property
    def usable(self) -> bool:
        return not self.reasons

    @property
    def blocked_reason(self) -> str | None:
        return blocked_reason(self.reasons)

    @property
    def unused(self) -> bool:
        return self.status in UNUSED_SYRINGE

    @property
    def label_refusal(self) -> str | None:
        """Why no label may be printed for it (recalled, quarantined), else None."""
        return next((reason for reason in REFUSE_LABEL if reason in self.reasons), None)


def ordered(found: Iterable[str], order: Sequence[str] = SYRINGE_REASONS) -> list[str]:
    present = set(found)
    return [reason for reason in order if reason in present]


def _batches_asked() -> Any:
    """The batches of the syringes asked about (`ids`)."""
    return select(Syringe.batch_id).where(Syringe.id.in_(bindparam("ids", expanding=True)))


def _lot_facts(batches: Any = None) -> Any:
    """Per batch of the syringes asked about (`batches`, a select of their batch ids; by default
    `_batches_asked`): the earliest expiry, and whether a lot drawn is on hold or recalled."""
    if batches is None:
        batches = _batches_asked()
    return (
        select(
            Draw.batch_id.label("batch_id"),
            func.min(Lot.expiry).label("earliest_expiry"),
            func.max(case((Lot.status == LotStatus.QUARANTINED, 1), else_=0)).label("lot_quarantined"),
            func.max(case((lot_recalled_clause(), 1), else_=0)).label("lot_recalled"),
        )
        .join(Vial, Vial.id == Draw.vial_id)
        .join(Lot, Lot.id == Vial.lot_id)
        .where(Draw.batch_id.in_(batches))
        .group_by(Draw.batch_id)
        .subquery()
    )


def _biological_without_lot() -> Any:
    """SAFE-08: a biological product of the recipe with no draw (so no lot) in the batch."""
    drawn = (
        exists()
        .where(Draw.batch_id == Batch.id, Draw.product_id == RecipeComponent.product_id)
        .correlate(Batch, RecipeComponent)
    )
    return (
        exists()
        .where(
            RecipeComponent.recipe_version_id == Batch.recipe_version_id,
            Product.id == RecipeComponent.product_id,
            Product.biological.is_(True),
        )
        .where(~drawn)
        .correlate(Batch)
    )


def asked_by_id(syringes: Any) -> Any:
    """`syringes` (a select of syringes joined to their batch) narrowed to the ids asked about (`ids`,
    an expanding parameter)."""
    return (
        syringes.where(Syringe.id.in_(bindparam("ids", expanding=True)))
        # The same batches said twice: without it PostgreSQL hashes every batch of the years to join a
        # page's 200 syringes to their 20 (10 ms of the lot's page at five years).
        .where(Batch.id.in_(_batches_asked()))
    )


@cache
def _reasons_statement() -> Any:
    """Built once: the scan is the hot path, and building this statement costs more than running it."""
    return with_verdict(asked_by_id(select(Syringe.id).join(Batch, Batch.id == Syringe.batch_id)))


def with_verdict(syringes: Any, batches: Any = None) -> Any:
    """`syringes` (a select of syringes joined to their batch) with the columns `row_reasons` reads;
    `batches` selects the batch ids of the syringes it asks about (see `_lot_facts`). The scan asks
    by code this way, with the syringe's other columns, in one query."""
    facts = _lot_facts(batches)
    # Said on the syringe alone: a query that joins the syringe's administration keeps its own.
    administered = (
        exists().where(Administration.syringe_id == Syringe.id, Administration.given()).correlate(Syringe)
    )
    return syringes.add_columns(
        Syringe.status,
        Syringe.bud,
        Batch.status.label("batch_status"),
        facts.c.earliest_expiry,
        facts.c.lot_quarantined,
        facts.c.lot_recalled,
        administered.label("administered"),
        _biological_without_lot().label("missing_lot"),
        syringe_held(Syringe.id).label("temperature_hold"),
    ).outerjoin(facts, facts.c.batch_id == Syringe.batch_id)


def row_reasons(row: Any, now: datetime) -> list[str]:
    """Every reason the syringe of a row of `with_verdict` cannot be given now, whatever the session."""
    return _row_reasons(row, now, clock.clinic_zone())


def row_verdict(row: Any, now: datetime, zone: Any) -> SyringeVerdict:
    """The verdict of the syringe of a row of `with_verdict` (`zone`: the clinic's time zone)."""
    return SyringeVerdict(str(row.status), tuple(_row_reasons(row, now, zone)))


def _row_reasons(row: Any, now: datetime, zone: Any) -> list[str]:
    reasons = []
    if SyringeStatus.AWAITING_VERIFICATION in (row.status, row.batch_status):
        reasons.append(NOT_RELEASED)
    if bud_passed(row.bud, now):
        reasons.append(BUD_PASSED)
    if row.earliest_expiry is not None and expiry_rules.is_expired(row.earliest_expiry, now, zone):
        reasons.append(EXPIRED_COMPONENT)
    if row.batch_status == BatchStatus.QUARANTINED or row.lot_quarantined:
        reasons.append(QUARANTINED)
    if row.lot_recalled:
        reasons.append(RECALLED)
    if row.temperature_hold:
        reasons.append(TEMPERATURE_HOLD)
    if row.missing_lot:
        reasons.append(MISSING_LOT)
    if row.status == SyringeStatus.ADMINISTERED or row.administered:
        reasons.append(ALREADY_ADMINISTERED)
    if row.status == SyringeStatus.DISCARDED:
        reasons.append(DISCARDED)
    return ordered(reasons)


def syringe_verdicts(
    syringes: Iterable[int] | Iterable[Syringe], now: datetime | None = None
) -> dict[int, SyringeVerdict]:
    """Each syringe's verdict now, whatever the session (SAFE-01..03, 06, 08).

    One query per ``IDS_PER_QUERY`` syringes (joins through draws → vials → lots). A syringe id that
    does not exist is absent from the answer.
    """
    ids = list(dict.fromkeys(item.id if isinstance(item, Syringe) else int(item) for item in syringes))
    now = now or clock.now()
    zone = clock.clinic_zone()
    found: dict[int, SyringeVerdict] = {}
    for start in range(0, len(ids), IDS_PER_QUERY):
        rows = db.session.execute(_reasons_statement(), {"ids": ids[start : start + IDS_PER_QUERY]})
        found.update((row.id, row_verdict(row, now, zone)) for row in rows)
    return found


def syringe_reasons(
    syringes: Iterable[int] | Iterable[Syringe], now: datetime | None = None
) -> dict[int, list[str]]:
    """Every reason each syringe cannot be given now, whatever the session; an empty list: it may be."""
    return {sid: list(verdict.reasons) for sid, verdict in syringe_verdicts(syringes, now).items()}
