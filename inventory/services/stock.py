"""Stock by lot and expiry: reading vials and lots, discards, quarantine, expiring soon.

What a vial may be used for now is decided in ``services.usability``; stock counts live in
``services.counts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import joinedload, lazyload

from inventory import clock
from inventory.errors import Conflict, Forbidden, Invalid, NotFound
from inventory.extensions import db
from inventory.models.compounding import Batch, Draw, RecipeVersion, Syringe, SyringeStatus
from inventory.models.stock import (
    DiscardReason,
    Lot,
    LotStatus,
    Receipt,
    Vial,
    VialStatus,
)
from inventory.models.users import User
from inventory.names import VIAL_STATUS_LABELS, describe_details, label
from inventory.rules import expiry as expiry_rules
from inventory.rules.codes import CodeKind, parse_code
from inventory.rules.units import format_ml
from inventory.services import audit, summaries, transaction
from inventory.services.paging import PER_PAGE, Page
from inventory.services.usability import IN_STOCK, VialState, is_lot_recalled, vial_states

# --- reading vials and lots -------------------------------------------------------------------------


def get_vial(vial_id: int) -> Vial:
    vial = db.session.get(Vial, vial_id)
    if vial is None:
        raise NotFound("not_found", _("No vial with id %(id)s.", id=vial_id))
    return vial


def get_lot(lot_id: int) -> Lot:
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("not_found", _("No lot with id %(id)s.", id=lot_id))
    return lot


def find_by_code(raw: str) -> tuple[CodeKind, str, int | None] | None:
    """One of our codes (S…, V…, B…) and the id of what it names (None when nothing has it)."""
    parsed = parse_code(raw)
    if parsed is None:
        return None
    kind, code = parsed
    model: Any = {CodeKind.VIAL: Vial, CodeKind.SYRINGE: Syringe, CodeKind.BATCH: Batch}[kind]
    return kind, code, db.session.scalar(select(model.id).where(model.code == code))


@dataclass(frozen=True)
class VialFilter:
    product_id: int | None = None
    lot_id: int | None = None
    lot_number: str | None = None
    status: str | None = None
    location: str | None = None
    storage_unit_id: int | None = None
    usable_only: bool = False


def _vial_query(where: VialFilter) -> Select[Any]:
    query = select(Vial).join(Lot, Vial.lot_id == Lot.id).options(joinedload(Vial.lot))
    if where.product_id is not None:
        query = query.where(Lot.product_id == where.product_id)
    if where.lot_id is not None:
        query = query.where(Vial.lot_id == where.lot_id)
    if where.lot_number:
        query = query.where(Lot.number == where.lot_number.strip().upper())
    if where.status:
        query = query.where(Vial.status == where.status)
    if where.location:
        query = query.where(Vial.location == where.location.strip())
    if where.storage_unit_id is not None:
        query = query.where(Vial.storage_unit_id == where.storage_unit_id)
    if where.usable_only:
        query = query.where(
            Lot.status == LotStatus.AVAILABLE,
            Lot.expiry >= clock.today(),
            Vial.status.in_(IN_STOCK),
            Vial.remaining_ul > 0,
        )
    return query.order_by(Lot.expiry, Vial.lot_id, Vial.id)


def list_vials(
    where: VialFilter, *, page: int = 1, per_page: int = 100
) -> tuple[list[tuple[Vial, VialState]], bool]:
    """A page of vials (earliest expiry first) with their state, and whether there is a next page."""
    if where.status and where.status not in set(VialStatus):
        raise Invalid(
            "invalid_input",
            _("Unknown vial status."),
            fields={"status": _("One of sealed, open, empty, discarded.")},
        )
    page, per_page = max(page, 1), min(max(per_page, 1), 500)
    query = _vial_query(where)
    if where.usable_only:
        vials = list(db.session.scalars(query))
        states = vial_states(vials)
        rows = [(vial, states[vial.id]) for vial in vials if states[vial.id].usable]
        start = (page - 1) * per_page
        return rows[start : start + per_page], len(rows) > start + per_page
    vials = list(db.session.scalars(query.offset((page - 1) * per_page).limit(per_page + 1)))
    more = len(vials) > per_page
    vials = vials[:per_page]
    states = vial_states(vials)
    return [(vial, states[vial.id]) for vial in vials], more


def _lots_where(query: Select[Any], product_id: int | None, status: str | None) -> Select[Any]:
    if product_id is not None:
        query = query.where(Lot.product_id == product_id)
    if status:
        query = query.where(Lot.status == status)
    return query


def list_lots(*, product_id: int | None = None, status: str | None = None) -> list[Lot]:
    return list(db.session.scalars(_lots_where(select(Lot), product_id, status).order_by(Lot.expiry, Lot.id)))


def lots_page(
    number: int | None, *, product_id: int | None = None, status: str | None = None, per_page: int = PER_PAGE
) -> Page[Lot]:
    """One page of the lots (earliest expiry first) with the count of them all: the page's lots alone
    are loaded, never every lot of the years."""
    total = db.session.scalar(_lots_where(select(func.count(Lot.id)), product_id, status)) or 0
    pages = max(1, -(-total // per_page))
    number = min(max(1, number or 1), pages)
    query = _lots_where(select(Lot), product_id, status).order_by(Lot.expiry, Lot.id)
    items = list(db.session.scalars(query.offset((number - 1) * per_page).limit(per_page)))
    return Page(items, number, pages, int(total))


@dataclass(frozen=True)
class LotSummary:
    in_stock: int
    remaining_ul: int


def lot_summaries(lot_ids: Sequence[int]) -> dict[int, LotSummary]:
    """Vials in stock and what is left in them, per lot: only the vials in stock are read (the index on
    vials (status, lot_id)), never the lot's whole history of empty and discarded vials."""
    if not lot_ids:
        return {}
    rows = db.session.execute(
        select(Vial.lot_id, func.count(Vial.id), func.coalesce(func.sum(Vial.remaining_ul), 0))
        .where(Vial.status.in_(IN_STOCK), Vial.lot_id.in_(lot_ids))
        .group_by(Vial.lot_id)
    )
    return {lot_id: LotSummary(int(stocked), int(ul)) for lot_id, stocked, ul in rows}


@dataclass(frozen=True)
class HistoryEvent:
    """One line of a vial's history: ``action`` is a code (names.AUDIT_ACTION_LABELS has its words),
    ``details`` lines for a person ("field: before → after"), ``batch`` the batch it went into."""

    at: datetime
    action: str
    user: User | None
    details: list[str]
    batch: Batch | None = None
    reason: str | None = None


def vial_history(vial: Vial) -> list[HistoryEvent]:
    """Received, opened, drawn by which batch (Draw rows), and each audited change of the vial and its lot."""
    receipt = vial.receipt
    events = [
        HistoryEvent(
            receipt.received_at,
            "received",
            receipt.received_by,
            [_("Received from %(supplier)s", supplier=receipt.supplier or "—")],
        )
    ]
    draws = db.session.scalars(
        select(Draw).where(Draw.vial_id == vial.id).options(joinedload(Draw.batch)).order_by(Draw.drawn_at)
    ).all()
    users = _users({draw.drawn_by_id for draw in draws})
    for draw in draws:
        events.append(
            HistoryEvent(
                draw.drawn_at,
                "drawn",
                users.get(draw.drawn_by_id),
                [_("%(volume)s drawn", volume=format_ml(draw.volume_ul))],
                batch=draw.batch,
                reason=draw.override_reason,
            )
        )
    if vial.opened_at is not None:
        events.append(HistoryEvent(vial.opened_at, "opened", None, [_("First puncture")]))
    entries, _more = audit.entries(audit.AuditFilter(entity_type="vial", entity_id=vial.id), per_page=200)
    lot_entries, _more = audit.entries(
        audit.AuditFilter(entity_type="lot", entity_id=vial.lot_id), per_page=200
    )
    for entry in [*entries, *lot_entries]:
        events.append(
            HistoryEvent(
                entry.at,
                entry.action,
                entry.user,
                describe_details(entry.details, entry.entity_type),
                reason=entry.reason,
            )
        )
    return sorted(events, key=lambda event: event.at)


def _users(ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))}


# --- discard ----------------------------------------------------------------------------------------


def discard_vial(vial_id: int, reason: str, note: str = "", *, user: User | None = None) -> Vial:
    """Take a vial out of stock; what is left is recorded as waste, with its share of the unit cost."""
    if reason not in set(DiscardReason):
        raise Invalid(
            "invalid_input",
            _("Choose why the vial is discarded."),
            fields={"reason": _("One of expired, in_use_limit, contaminated, damaged, recalled, other.")},
        )
    note = (note or "").strip()
    if len(note) > 500:
        raise Invalid(
            "invalid_input", _("The note is too long."), fields={"note": _("At most 500 characters.")}
        )
    with transaction():
        vial = get_vial(vial_id)
        discard_in_transaction(vial, reason, note, user)
    return vial


def waste_cost_minor(unit_cost_minor: int, waste_ul: int, initial_ul: int) -> int:
    """The waste's share of the vial's cost, in minor units, rounded half up (integers only)."""
    if initial_ul <= 0:
        return 0
    return (unit_cost_minor * waste_ul * 2 + initial_ul) // (initial_ul * 2)


def discard_in_transaction(vial: Vial, reason: str, note: str, user: User | None) -> None:
    user_id = user.id if user is not None else audit._acting_user_id(None)
    moment = clock.now()
    # One guarded statement: a draw at the same moment either happens before (less waste) or fails.
    result = db.session.execute(
        update(Vial)
        .where(Vial.id == vial.id, Vial.status.in_(IN_STOCK))
        .values(
            status=VialStatus.DISCARDED,
            waste_ul=Vial.remaining_ul,
            remaining_ul=0,
            discarded_at=moment,
            discarded_by_id=user_id,
            discard_reason=reason,
            discard_note=note or None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.refresh(vial)
        raise Conflict(
            "not_in_stock",
            _(
                "Vial %(code)s is %(status)s: it can no longer be discarded.",
                code=vial.code,
                status=label(VIAL_STATUS_LABELS, vial.status),
            ),
        )
    db.session.refresh(vial)
    unit_cost = db.session.scalar(select(Receipt.unit_cost_minor).where(Receipt.id == vial.receipt_id)) or 0
    vial.waste_cost_minor = waste_cost_minor(unit_cost, vial.waste_ul, vial.initial_ul)
    summaries.vial_wasted(vial)
    audit.record(
        "vial_discarded",
        "vial",
        vial.id,
        details={
            "code": vial.code,
            "discard_reason": reason,
            "waste_ul": vial.waste_ul,
            "waste_cost_minor": vial.waste_cost_minor,
        },
        reason=note or reason,
        user=user,
    )


# --- quarantine (SAFE-03) ---------------------------------------------------------------------------


def _reason_required(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("invalid_input", _("Give a reason."), fields={"reason": _("A reason is required.")})
    if len(reason) > 500:
        raise Invalid(
            "invalid_input", _("The reason is too long."), fields={"reason": _("At most 500 characters.")}
        )
    return reason


def _lot_for_update(lot_id: int) -> Lot:
    lot = db.session.scalar(
        select(Lot).where(Lot.id == lot_id).with_for_update(of=Lot).execution_options(populate_existing=True)
    )
    if lot is None:
        raise NotFound("not_found", _("No lot with id %(id)s.", id=lot_id))
    return lot


def quarantine_lot(lot_id: int, reason: str, *, user: User) -> Lot:
    """Nothing of the lot can be drawn until a second manager releases it."""
    reason = _reason_required(reason)
    with transaction():
        lot = _lot_for_update(lot_id)
        if is_lot_recalled(lot):
            raise Conflict("recalled_lot", _("Lot %(lot)s is recalled: it stays out of use.", lot=lot.number))
        if lot.status == LotStatus.QUARANTINED:
            raise Conflict("already_quarantined", _("Lot %(lot)s is already in quarantine.", lot=lot.number))
        lot.status = LotStatus.QUARANTINED
        lot.quarantined_at = clock.now()
        lot.quarantined_by_id = user.id
        lot.quarantine_reason = reason
        audit.record(
            "lot_quarantined",
            "lot",
            lot.id,
            details={"lot": lot.number, "product_id": lot.product_id},
            reason=reason,
            user=user,
        )
    return lot


def release_lot(lot_id: int, reason: str, *, user: User) -> Lot:
    """Release a quarantined lot: a second manager, never the one who quarantined it; never a recalled lot."""
    reason = _reason_required(reason)
    with transaction():
        lot = _lot_for_update(lot_id)
        if is_lot_recalled(lot):
            raise Conflict(
                "recalled_lot",
                _("Lot %(lot)s is recalled: a recalled lot can never be released.", lot=lot.number),
            )
        if lot.status != LotStatus.QUARANTINED:
            raise Conflict("not_quarantined", _("Lot %(lot)s is not in quarantine.", lot=lot.number))
        if lot.quarantined_by_id == user.id:
            raise Forbidden(
                "second_person_required",
                _("You put lot %(lot)s in quarantine: another manager must release it.", lot=lot.number),
            )
        lot.status = LotStatus.AVAILABLE
        audit.record(
            "lot_released",
            "lot",
            lot.id,
            details={
                "lot": lot.number,
                "product_id": lot.product_id,
                "quarantined_by_id": lot.quarantined_by_id,
                "quarantine_reason": lot.quarantine_reason,
            },
            reason=reason,
            user=user,
        )
    return lot


def lot_history(lot: Lot) -> list[Any]:
    entries, _more = audit.entries(audit.AuditFilter(entity_type="lot", entity_id=lot.id), per_page=200)
    return entries


def receipts_of_lot(lot_id: int) -> list[Receipt]:
    return list(
        db.session.scalars(select(Receipt).where(Receipt.lot_id == lot_id).order_by(Receipt.received_at))
    )


# --- expiring soon ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpiringItem:
    kind: str  # lot, vial, syringe
    id: int
    code: str
    product_id: int | None
    until: datetime
    label: str

    @property
    def passed(self) -> bool:
        return self.until < clock.now()


def expiring(days: int, *, storage_unit_id: int | None = None) -> list[ExpiringItem]:
    """Lots in stock, opened vials and unused syringes whose expiry, in-use limit or BUD falls before
    now + ``days`` (what has already passed is listed too: it needs discarding), soonest first; with
    ``storage_unit_id``, only what is in that unit (a lot: some of its vials are)."""
    if not 0 <= days <= 3650:
        raise Invalid(
            "invalid_input", _("Days must be between 0 and 3650."), fields={"days": _("Between 0 and 3650.")}
        )
    end = clock.now() + timedelta(days=days)
    zone = clock.clinic_zone()
    last_expiry = end.astimezone(zone).date()
    return sorted(
        [
            *_expiring_lots(last_expiry, zone, storage_unit_id),
            *_expiring_open_vials(end, storage_unit_id),
            *_expiring_syringes(end, storage_unit_id),
        ],
        key=lambda item: (item.until, item.kind, item.id),
    )


def _expiring_lots(last_expiry: date, zone: Any, unit_id: int | None) -> list[ExpiringItem]:
    in_stock = select(Vial.lot_id).where(Vial.status.in_(IN_STOCK), Vial.remaining_ul > 0)
    if unit_id is not None:
        in_stock = in_stock.where(Vial.storage_unit_id == unit_id)
    lots = db.session.scalars(
        select(Lot).where(Lot.expiry <= last_expiry, Lot.id.in_(in_stock), Lot.status != LotStatus.RECALLED)
    )
    return [
        ExpiringItem(
            "lot",
            lot.id,
            lot.number,
            lot.product_id,
            expiry_rules.expiry_end(lot.expiry, zone),
            lot.product.name,
        )
        for lot in lots
    ]


def _expiring_open_vials(end: datetime, unit_id: int | None) -> list[ExpiringItem]:
    query = select(Vial).where(Vial.status == VialStatus.OPEN, Vial.remaining_ul > 0)
    if unit_id is not None:
        query = query.where(Vial.storage_unit_id == unit_id)
    vials = list(db.session.scalars(query.options(joinedload(Vial.lot), lazyload(Vial.storage_unit))))
    states = vial_states(vials)
    return [
        ExpiringItem(
            "vial",
            vial.id,
            vial.code,
            vial.lot.product_id,
            states[vial.id].usable_until,
            vial.lot.product.name,
        )
        for vial in vials
        if states[vial.id].usable_until <= end
    ]


def _expiring_syringes(end: datetime, unit_id: int | None) -> list[ExpiringItem]:
    """One query of columns: a syringe's label is its recipe version's name (no batch or recipe loaded)."""
    query = (
        select(Syringe.id, Syringe.code, Syringe.bud, RecipeVersion.name)
        .join(Batch, Batch.id == Syringe.batch_id)
        .join(RecipeVersion, RecipeVersion.id == Batch.recipe_version_id)
        .where(
            Syringe.status.in_([SyringeStatus.AVAILABLE, SyringeStatus.AWAITING_VERIFICATION]),
            Syringe.bud <= end,
        )
    )
    if unit_id is not None:
        query = query.where(Syringe.storage_unit_id == unit_id)
    return [
        ExpiringItem("syringe", sid, code, None, bud, name)
        for sid, code, bud, name in db.session.execute(query)
    ]
