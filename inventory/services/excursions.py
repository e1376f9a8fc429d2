"""Temperature excursions (COLD-03, COLD-04, SAFE-16): opened by an out-of-range reading, everything in
the unit on hold at once, closed by a manager's decision per lot and per batch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from inventory import clock
from inventory.errors import Conflict, Invalid, NotFound
from inventory.extensions import db
from inventory.models.clinic import Administration, Patient, TreatmentSession
from inventory.models.coldchain import (
    Decision,
    Excursion,
    ExcursionDecision,
    ExcursionHold,
    ExcursionStatus,
    StorageUnit,
    TemperatureReading,
)
from inventory.models.compounding import Batch, Syringe, SyringeStatus
from inventory.models.stock import DiscardReason, Lot, Vial, VialStatus
from inventory.models.users import User
from inventory.rules import coldchain as cold_rules
from inventory.rules.policy import WARMTH, Storage
from inventory.services import audit, batches, placement, transaction
from inventory.services import stock as stock_service

REASON_MAX = 500
IN_STOCK = (VialStatus.SEALED, VialStatus.OPEN)
UNUSED = (SyringeStatus.AWAITING_VERIFICATION, SyringeStatus.AVAILABLE)


def _went_above(unit: StorageUnit, reading: TemperatureReading) -> bool:
    values = [reading.temperature_dc, reading.min_dc, reading.max_dc]
    return any(value > unit.max_dc for value in values if value is not None)


def on_reading(unit: StorageUnit, reading: TemperatureReading, user: User) -> Excursion | None:
    """COLD-03 inside the reading's transaction: an out-of-range reading opens an excursion (or continues
    the open one) and holds everything in the unit at once; the first reading back in range ends it."""
    current = placement.open_excursion_of(unit.id)
    if not reading.in_range:
        if current is not None:
            current.above = current.above or _went_above(unit, reading)
            return current
        excursion = Excursion(
            storage_unit_id=unit.id,
            started_at=reading.at,
            above=_went_above(unit, reading),
            status=ExcursionStatus.OPEN,
            opened_by_reading_id=reading.id,
        )
        db.session.add(excursion)
        db.session.flush()
        held = _hold_contents(excursion)
        audit.record(
            "excursion_opened",
            "excursion",
            excursion.id,
            details={"storage_unit_id": unit.id, "reading_id": reading.id, "start": reading.at, **held},
            user=user,
        )
        return excursion
    if current is not None:
        current.ended_at = reading.at
        audit.record(
            "excursion_ended",
            "excursion",
            current.id,
            details={"end": reading.at, "reading_id": reading.id},
            user=user,
        )
        _close_if_decided(current, user)
        return current
    return None


def _hold_contents(excursion: Excursion) -> dict[str, Any]:
    vials = list(
        db.session.execute(
            select(Vial.id, Vial.lot_id).where(
                Vial.storage_unit_id == excursion.storage_unit_id, Vial.status.in_(IN_STOCK)
            )
        ).all()
    )
    syringes = list(
        db.session.execute(
            select(Syringe.id, Syringe.batch_id).where(
                Syringe.storage_unit_id == excursion.storage_unit_id, Syringe.status.in_(UNUSED)
            )
        ).all()
    )
    db.session.add_all(ExcursionHold(excursion_id=excursion.id, vial_id=v, lot_id=lot) for v, lot in vials)
    db.session.add_all(
        ExcursionHold(excursion_id=excursion.id, syringe_id=s, batch_id=batch) for s, batch in syringes
    )
    return {"vials": [v for v, _lot in vials], "syringes": [s for s, _b in syringes]}


# --- what a manager sees and decides -------------------------------------------------------------------


@dataclass(frozen=True)
class ItemDecision:
    id: int
    decision: str | None
    reason: str | None


@dataclass(frozen=True)
class ExcursionView:
    excursion: Excursion
    lots: list[ItemDecision]
    batches: list[ItemDecision]


def list_excursions(status: str | None = None) -> list[Excursion]:
    query = select(Excursion).order_by(Excursion.started_at.desc(), Excursion.id.desc())
    if status:
        query = query.where(Excursion.status == status)
    return list(db.session.scalars(query))


def get_excursion(excursion_id: int) -> Excursion:
    excursion = db.session.get(Excursion, excursion_id)
    if excursion is None:
        raise NotFound("not_found", _("No excursion with id %(id)s.", id=excursion_id))
    return excursion


def view(excursion: Excursion) -> ExcursionView:
    """The lots and batches held, each with its decision (None until decided)."""
    held = db.session.execute(
        select(ExcursionHold.lot_id, ExcursionHold.batch_id).where(ExcursionHold.excursion_id == excursion.id)
    ).all()
    decided = {
        (row.lot_id, row.batch_id): row
        for row in db.session.scalars(
            select(ExcursionDecision).where(ExcursionDecision.excursion_id == excursion.id)
        )
    }
    lot_ids = sorted({lot for lot, _b in held if lot is not None})
    batch_ids = sorted({batch for _l, batch in held if batch is not None})

    def item(key: tuple[int | None, int | None], item_id: int) -> ItemDecision:
        row = decided.get(key)
        return ItemDecision(item_id, row.decision if row else None, row.reason if row else None)

    return ExcursionView(
        excursion,
        lots=[item((lot, None), lot) for lot in lot_ids],
        batches=[item((None, batch), batch) for batch in batch_ids],
    )


def _close_if_decided(excursion: Excursion, user: User) -> None:
    """COLD-04: closed when back in range and every lot and batch held has a decision."""
    if excursion.ended_at is None or excursion.status == ExcursionStatus.CLOSED:
        return
    shown = view(excursion)
    if all(item.decision is not None for item in [*shown.lots, *shown.batches]):
        excursion.status = ExcursionStatus.CLOSED
        excursion.closed_at = clock.now()
        audit.record("excursion_closed", "excursion", excursion.id, details={}, user=user)


def _next_warmer(kind: str) -> Storage:
    """COLD-04: fridge → room, freezer → fridge; room stays room."""
    ordered = sorted(WARMTH, key=WARMTH.__getitem__)
    index = ordered.index(Storage(kind))
    warmer: Storage = ordered[min(index + 1, len(ordered) - 1)]
    return warmer


@dataclass(frozen=True)
class DecisionRequest:
    decision: str
    reason: str
    lot_id: int | None = None
    batch_id: int | None = None


def _check(request: DecisionRequest) -> str:
    if (request.lot_id is None) == (request.batch_id is None):
        message = _("Name one lot or one batch.")
        raise Invalid("invalid_input", message, fields={"lot_id": message, "batch_id": message})
    if request.decision not in {decision.value for decision in Decision}:
        message = _("Choose release or discard.")
        raise Invalid("invalid_input", message, fields={"decision": message})
    reason = " ".join((request.reason or "").split())
    if not reason or len(reason) > REASON_MAX:
        message = _(
            "Say why: the manufacturer's reference or the stability reasoning (at most %(n)s characters).",
            n=REASON_MAX,
        )
        raise Invalid("invalid_input", message, fields={"reason": message})
    return reason


def decide(excursion_id: int, request: DecisionRequest, *, user: User) -> Excursion:
    """COLD-04: release (with the reference or reasoning) or discard (waste recorded) one lot or batch."""
    reason = _check(request)
    with transaction():
        excursion = db.session.scalar(
            select(Excursion)
            .where(Excursion.id == excursion_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if excursion is None:
            raise NotFound("not_found", _("No excursion with id %(id)s.", id=excursion_id))
        if excursion.status == ExcursionStatus.CLOSED:
            raise Conflict("excursion_closed", _("This excursion is closed."))
        holds = list(
            db.session.scalars(
                select(ExcursionHold).where(
                    ExcursionHold.excursion_id == excursion.id,
                    ExcursionHold.lot_id == request.lot_id
                    if request.lot_id is not None
                    else ExcursionHold.batch_id == request.batch_id,
                )
            )
        )
        if not holds:
            message = _("That lot or batch was not in the unit during this excursion.")
            raise Invalid(
                "not_in_excursion", message, fields={"lot_id" if request.lot_id else "batch_id": message}
            )
        taken = db.session.scalar(
            select(ExcursionDecision.id).where(
                ExcursionDecision.excursion_id == excursion.id,
                ExcursionDecision.lot_id == request.lot_id
                if request.lot_id is not None
                else ExcursionDecision.batch_id == request.batch_id,
            )
        )
        if taken is not None:
            raise Conflict("already_decided", _("That lot or batch has its decision already."))
        db.session.add(
            ExcursionDecision(
                excursion_id=excursion.id,
                lot_id=request.lot_id,
                batch_id=request.batch_id,
                decision=request.decision,
                reason=reason,
                decided_by_id=user.id,
                decided_at=clock.now(),
            )
        )
        changed = _apply(excursion, holds, request, reason, user)
        audit.record(
            "excursion_decided",
            "excursion",
            excursion.id,
            details={
                "lot_id": request.lot_id,
                "batch_id": request.batch_id,
                "decision": request.decision,
                **changed,
            },
            reason=reason,
            user=user,
        )
        db.session.flush()
        _close_if_decided(excursion, user)
    return excursion


def _apply(
    excursion: Excursion, holds: list[ExcursionHold], request: DecisionRequest, reason: str, user: User
) -> dict[str, Any]:
    note = _("Temperature excursion #%(id)s: %(reason)s", id=excursion.id, reason=reason)
    if request.lot_id is not None:
        if request.decision == Decision.RELEASE:
            return {}
        vials = [db.session.get(Vial, hold.vial_id) for hold in holds]
        discarded = []
        for vial in vials:
            if vial is not None and vial.status in IN_STOCK:
                stock_service.discard_in_transaction(vial, DiscardReason.OTHER, note[:500], user)
                discarded.append(vial.code)
        return {"vials_discarded": discarded}
    syringes = [
        syringe
        for syringe in (db.session.get(Syringe, hold.syringe_id) for hold in holds)
        if syringe is not None and syringe.status in UNUSED
    ]
    if request.decision == Decision.DISCARD:
        for syringe in syringes:
            batches.discard_syringe_in_transaction(syringe, DiscardReason.OTHER, note[:500], user)
        return {"syringes_discarded": [syringe.code for syringe in syringes]}
    if not excursion.above:
        return {}
    return {"buds": _rewarm(excursion, syringes)}


def _rewarm(excursion: Excursion, syringes: list[Syringe]) -> list[list[Any]]:
    """COLD-04 with BUD-07: released syringes of an excursion above the range get the BUD of the next
    warmer storage, counted from preparation; a BUD is never extended."""
    warmer = _next_warmer(excursion.storage_unit.kind)
    changed: list[list[Any]] = []
    for syringe in syringes:
        batch: Batch = syringe.batch
        new_bud = batches.rewarmed_bud(batch, syringe, warmer, all_sterile=batches.all_sterile(batch))
        changed.append([syringe.code, syringe.bud, new_bud])
        syringe.bud = new_bud
        batch.bud = min(batch.bud, new_bud)
    return changed


@dataclass(frozen=True)
class ExposedPatient:
    patient_id: int
    name: str
    date_of_birth: Any
    phone: str
    syringe_code: str
    batch_id: int
    administered_at: Any


def exposed_patients(excursion: Excursion) -> list[ExposedPatient]:
    """COLD-05: syringes given from the unit during the excursion (start to end, or now) whose batch was
    decided "discard", with their patients, as a recall lists them; a voided administration exposes
    nobody. One query."""
    until = excursion.ended_at or clock.now()
    discarded = select(ExcursionDecision.batch_id).where(
        ExcursionDecision.excursion_id == excursion.id, ExcursionDecision.decision == Decision.DISCARD
    )
    rows = db.session.execute(
        select(Patient, Syringe.code, Syringe.batch_id, Administration.administered_at)
        .join(TreatmentSession, TreatmentSession.patient_id == Patient.id)
        .join(Administration, Administration.session_id == TreatmentSession.id)
        .join(Syringe, Syringe.id == Administration.syringe_id)
        .where(
            Syringe.storage_unit_id == excursion.storage_unit_id,
            Syringe.batch_id.in_(discarded),
            Administration.administered_at >= excursion.started_at,
            Administration.administered_at <= until,
            Administration.given(),
        )
        .order_by(Administration.administered_at)
    ).all()
    return [
        ExposedPatient(patient.id, patient.name, patient.date_of_birth, patient.phone, code, batch_id, at)
        for patient, code, batch_id, at in rows
    ]


# --- the manager's pages: the list and one excursion ------------------------------------------------------

OVERVIEW_LIMIT = 500


@dataclass(frozen=True)
class ExcursionRow:
    excursion: Excursion
    #: COLD-03: how far the readings went outside the unit's range, tenths of a degree.
    out_dc: int
    #: Lots and batches held still waiting for a decision (COLD-04).
    undecided: int


def _extremes(excursion_ids: list[int]) -> dict[int, tuple[int | None, ...]]:
    """The lowest and highest values of each excursion's readings (now, min, max), in one query."""
    reading = TemperatureReading
    rows = db.session.execute(
        select(
            Excursion.id,
            func.min(reading.temperature_dc),
            func.min(reading.min_dc),
            func.max(reading.temperature_dc),
            func.max(reading.max_dc),
        )
        .join(reading, reading.storage_unit_id == Excursion.storage_unit_id)
        .where(
            Excursion.id.in_(excursion_ids),
            reading.at >= Excursion.started_at,
            or_(Excursion.ended_at.is_(None), reading.at <= Excursion.ended_at),
        )
        .group_by(Excursion.id)
    ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def _undecided(excursion_ids: list[int]) -> dict[int, int]:
    """Lots and batches held minus those decided, per excursion, in two grouped queries."""
    held = db.session.execute(
        select(
            ExcursionHold.excursion_id,
            func.count(func.distinct(ExcursionHold.lot_id))
            + func.count(func.distinct(ExcursionHold.batch_id)),
        )
        .where(ExcursionHold.excursion_id.in_(excursion_ids))
        .group_by(ExcursionHold.excursion_id)
    ).all()
    decided: dict[int, int] = {
        row[0]: row[1]
        for row in db.session.execute(
            select(ExcursionDecision.excursion_id, func.count(ExcursionDecision.id))
            .where(ExcursionDecision.excursion_id.in_(excursion_ids))
            .group_by(ExcursionDecision.excursion_id)
        ).all()
    }
    return {excursion_id: count - decided.get(excursion_id, 0) for excursion_id, count in held}


def overview() -> list[ExcursionRow]:
    """COLD-03/04 for the manager's list: open excursions first, then closed, newest first, each with how
    far out of range it went and how many lots and batches wait for a decision. Four queries."""
    found = list(
        db.session.scalars(
            select(Excursion)
            .options(selectinload(Excursion.storage_unit))
            .order_by(
                case((Excursion.status == ExcursionStatus.OPEN, 0), else_=1),
                Excursion.started_at.desc(),
                Excursion.id.desc(),
            )
            .limit(OVERVIEW_LIMIT)
        )
    )
    ids = [excursion.id for excursion in found]
    extremes = _extremes(ids)
    undecided = _undecided(ids)
    return [
        ExcursionRow(
            excursion,
            cold_rules.degrees_out(
                excursion.storage_unit.min_dc, excursion.storage_unit.max_dc, extremes.get(excursion.id, ())
            ),
            undecided.get(excursion.id, 0),
        )
        for excursion in found
    ]


def open_of_unit(unit_id: int) -> list[Excursion]:
    """The unit's excursions not closed yet (still out of range, or waiting for decisions)."""
    return list(
        db.session.scalars(
            select(Excursion)
            .where(Excursion.storage_unit_id == unit_id, Excursion.status == ExcursionStatus.OPEN)
            .order_by(Excursion.started_at.desc())
        )
    )


@dataclass(frozen=True)
class HeldLot:
    lot: Lot
    vials: int
    decision: ExcursionDecision | None


@dataclass(frozen=True)
class HeldBatch:
    batch: Batch
    syringes: int
    decision: ExcursionDecision | None


@dataclass(frozen=True)
class ExcursionDetail:
    excursion: Excursion
    out_dc: int
    readings: list[TemperatureReading]
    lots: list[HeldLot]
    batches: list[HeldBatch]
    patients: list[ExposedPatient]

    @property
    def undecided(self) -> int:
        waiting = [held for held in self.lots if held.decision is None]
        return len(waiting) + sum(1 for held in self.batches if held.decision is None)


def detail(excursion: Excursion) -> ExcursionDetail:
    """One excursion for its page: the readings during it, every lot and batch held (how many vials or
    syringes) with its decision, who decided and when, and the exposed patients (COLD-05)."""
    unit = excursion.storage_unit
    reading = TemperatureReading
    shown = list(
        db.session.scalars(
            select(reading)
            .options(selectinload(reading.recorded_by))
            .where(
                reading.storage_unit_id == unit.id,
                reading.at >= excursion.started_at,
                reading.at <= (excursion.ended_at or clock.now()),
            )
            .order_by(reading.at)
        )
    )
    held = db.session.execute(
        select(ExcursionHold.lot_id, ExcursionHold.batch_id, func.count(ExcursionHold.id))
        .where(ExcursionHold.excursion_id == excursion.id)
        .group_by(ExcursionHold.lot_id, ExcursionHold.batch_id)
    ).all()
    decided = {
        (row.lot_id, row.batch_id): row
        for row in db.session.scalars(
            select(ExcursionDecision)
            .options(selectinload(ExcursionDecision.decided_by))
            .where(ExcursionDecision.excursion_id == excursion.id)
        )
    }
    lot_counts = {lot: n for lot, _b, n in held if lot is not None}
    batch_counts = {batch: n for _l, batch, n in held if batch is not None}
    lots = db.session.scalars(select(Lot).where(Lot.id.in_(lot_counts))).all()
    held_batches = db.session.scalars(select(Batch).where(Batch.id.in_(batch_counts))).all()
    values = [value for r in shown for value in (r.temperature_dc, r.min_dc, r.max_dc)]
    return ExcursionDetail(
        excursion,
        out_dc=cold_rules.degrees_out(unit.min_dc, unit.max_dc, values),
        readings=shown,
        lots=[
            HeldLot(lot, lot_counts[lot.id], decided.get((lot.id, None)))
            for lot in sorted(lots, key=lambda lot: (lot.product.name, lot.number, lot.id))
        ],
        batches=[
            HeldBatch(batch, batch_counts[batch.id], decided.get((None, batch.id)))
            for batch in sorted(held_batches, key=lambda batch: batch.id)
        ],
        patients=exposed_patients(excursion),
    )
