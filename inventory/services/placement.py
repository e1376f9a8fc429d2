"""Putting vials and syringes into a storage unit (COLD-01), one place for receiving, preparing and
moving: the unit asked for (or the default), the move appended, and the hold of an excursion still open
in that unit (SAFE-16). Everything here runs inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import func, select

from inventory import clock
from inventory.errors import Invalid
from inventory.extensions import db
from inventory.models.coldchain import (
    Excursion,
    ExcursionHold,
    ExcursionStatus,
    MovedItem,
    StorageMove,
    StorageUnit,
)
from inventory.models.compounding import Syringe
from inventory.models.stock import Vial
from inventory.models.users import User
from inventory.rules.policy import WARMTH, Storage


def unit_for_placing(unit_id: int | None, field_name: str = "storage_unit_id") -> StorageUnit:
    """An active unit to put things in, or 422 on the field naming it."""
    unit = db.session.get(StorageUnit, unit_id) if unit_id else None
    if unit is None or not unit.active:
        message = _("Choose a storage unit.")
        raise Invalid("invalid_input", message, fields={field_name: message})
    return unit


def default_unit(storage: str) -> StorageUnit | None:
    """Where receiving puts a product by default: the first active unit of its storage kind."""
    return db.session.scalar(
        select(StorageUnit)
        .where(StorageUnit.kind == storage, StorageUnit.active.is_(True))
        .order_by(StorageUnit.id)
        .limit(1)
    )


def only_unit(storage: str) -> StorageUnit | None:
    """Where a new batch's syringes go unless the nurse chose: the clinic's one active unit of the
    batch's storage kind, or None when it has none or several (then the nurse chooses)."""
    active = (StorageUnit.kind == storage, StorageUnit.active.is_(True))
    if db.session.scalar(select(func.count(StorageUnit.id)).where(*active)) != 1:
        return None
    return db.session.scalar(select(StorageUnit).where(*active))


def unit_for_syringes(unit_id: int | None, storage: Storage) -> StorageUnit | None:
    """COLD-01 at preparation: the unit chosen (422 when unknown, inactive or warmer than the batch's
    storage: its BUD assumes that storage), else the only unit of that kind."""
    if unit_id is None:
        return only_unit(storage.value)
    unit = unit_for_placing(unit_id)
    if WARMTH[Storage(unit.kind)] > WARMTH[storage]:
        message = _(
            "%(unit)s is warmer than the batch's storage: choose a unit that keeps it cold enough.",
            unit=unit.name,
        )
        raise Invalid("storage_unit_too_warm", message, fields={"storage_unit_id": message})
    return unit


def open_excursion_of(unit_id: int) -> Excursion | None:
    """The unit's excursion still out of range (no reading back in range yet), if any."""
    return db.session.scalar(
        select(Excursion).where(
            Excursion.storage_unit_id == unit_id,
            Excursion.status == ExcursionStatus.OPEN,
            Excursion.ended_at.is_(None),
        )
    )


def hold_if_open(unit_id: int, item: Vial | Syringe) -> None:
    """SAFE-16: what is put into a unit during its excursion is on hold too."""
    excursion = open_excursion_of(unit_id)
    if excursion is None:
        return
    if isinstance(item, Vial):
        db.session.add(ExcursionHold(excursion_id=excursion.id, vial_id=item.id, lot_id=item.lot_id))
    else:
        db.session.add(ExcursionHold(excursion_id=excursion.id, syringe_id=item.id, batch_id=item.batch_id))


def put(item: Vial | Syringe, unit: StorageUnit, user: User) -> int | None:
    """Put a vial or syringe (flushed: it has its id) into a unit, append the move and hold it if the
    unit's excursion is open; the unit it was in before."""
    before = item.storage_unit_id
    item.storage_unit_id = unit.id
    is_vial = isinstance(item, Vial)
    db.session.add(
        StorageMove(
            item_type=MovedItem.VIAL if is_vial else MovedItem.SYRINGE,
            vial_id=item.id if is_vial else None,
            syringe_id=None if is_vial else item.id,
            from_unit_id=before,
            to_unit_id=unit.id,
            moved_at=clock.now(),
            moved_by_id=user.id,
        )
    )
    hold_if_open(unit.id, item)
    return before


def place(items: Iterable[Vial | Syringe], unit: StorageUnit, *, user: User) -> None:
    """New vials (receiving) or syringes (preparing) go into a unit: each a move from nowhere."""
    for item in items:
        put(item, unit, user)
