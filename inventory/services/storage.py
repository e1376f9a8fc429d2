"""Storage units and the moves of vials and syringes between them (COLD-01); putting a thing into a
unit is `placement`'s."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from inventory import clock
from inventory.errors import Conflict, Invalid, NotFound
from inventory.extensions import db
from inventory.messages import rule_message
from inventory.models.coldchain import StorageMove, StorageUnit
from inventory.models.compounding import Batch, Syringe, SyringeStatus
from inventory.models.stock import Vial, VialStatus
from inventory.models.users import User
from inventory.rules import coldchain as cold_rules
from inventory.rules import sensors as sensor_rules
from inventory.rules.errors import RuleError
from inventory.rules.policy import Storage
from inventory.services import audit, batches, placement, transaction

NAME_MAX = 60
IN_STOCK = (VialStatus.SEALED, VialStatus.OPEN)
UNUSED_SYRINGE = (SyringeStatus.AWAITING_VERIFICATION, SyringeStatus.AVAILABLE)


@dataclass(frozen=True)
class UnitRequest:
    name: str
    kind: str
    #: The range in tenths of a degree Celsius; None keeps the kind's default (COLD-01).
    min_dc: int | None = None
    max_dc: int | None = None
    #: COLD-02: the topic a network sensor in the unit publishes on (None: no sensor).
    mqtt_topic: str | None = None


def _checked_topic(text: str | None, unit_id: int | None) -> str | None:
    """A topic no other unit has (checked, in the caller's transaction), or None for no sensor."""
    if text is None or not text.strip():
        return None
    try:
        topic = sensor_rules.check_topic(text)
    except RuleError as error:
        message = rule_message(error)
        raise Invalid("invalid_topic", message, fields={"mqtt_topic": message}) from None
    taken = db.session.scalar(select(StorageUnit).where(StorageUnit.mqtt_topic == topic))
    if taken is not None and taken.id != unit_id:
        message = _("%(unit)s listens on this topic already.", unit=taken.name)
        raise Conflict("duplicate_topic", message, fields={"mqtt_topic": message})
    return topic


def create_unit(request: UnitRequest, *, user: User) -> StorageUnit:
    """COLD-01: a unit with a name, a kind and its range (the kind's default unless narrowed)."""
    name = " ".join((request.name or "").split())
    if not name or len(name) > NAME_MAX:
        message = _("Give the unit a name of at most %(n)s characters.", n=NAME_MAX)
        raise Invalid("invalid_input", message, fields={"name": message})
    if request.kind not in {kind.value for kind in Storage}:
        message = _("Choose room, fridge or freezer.")
        raise Invalid("invalid_input", message, fields={"kind": message})
    kind = Storage(request.kind)
    try:
        min_dc, max_dc = cold_rules.unit_range(kind, request.min_dc, request.max_dc)
    except RuleError:
        message = _("The lowest temperature must be below the highest.")
        raise Invalid("invalid_range", message, fields={"min_c": message, "max_c": message}) from None
    with transaction():
        taken = db.session.scalar(select(StorageUnit.id).where(func.lower(StorageUnit.name) == name.lower()))
        if taken is not None:
            message = _("A unit is already called %(name)s.", name=name)
            raise Conflict("duplicate_name", message, fields={"name": message})
        topic = _checked_topic(request.mqtt_topic, None)
        unit = StorageUnit(
            name=name, kind=kind.value, min_dc=min_dc, max_dc=max_dc, mqtt_topic=topic, created_at=clock.now()
        )
        db.session.add(unit)
        db.session.flush()
        details: dict[str, object] = {"name": name, "kind": kind.value, "min_dc": min_dc, "max_dc": max_dc}
        if topic is not None:
            details["mqtt_topic"] = topic
        audit.record("storage_unit_created", "storage_unit", unit.id, details=details, user=user)
    return unit


def set_topic(unit_id: int, topic: str | None, *, user: User) -> StorageUnit:
    """COLD-02: the MQTT topic of the unit's network sensor (empty or None: no sensor), unique across
    units; audited as before → after. `flask coldchain listen` picks the change up at its next refresh."""
    try:
        return _set_topic(unit_id, topic, user)
    except IntegrityError:  # another unit took the topic at the same moment
        message = _("Another unit listens on this topic already.")
        raise Conflict("duplicate_topic", message, fields={"mqtt_topic": message}) from None


def _set_topic(unit_id: int, topic: str | None, user: User) -> StorageUnit:
    with transaction():
        unit = db.session.scalar(
            select(StorageUnit)
            .where(StorageUnit.id == unit_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if unit is None:
            raise NotFound("not_found", _("No storage unit with id %(id)s.", id=unit_id))
        checked = _checked_topic(topic, unit.id)
        if checked != unit.mqtt_topic:
            audit.record(
                "storage_unit_topic_set",
                "storage_unit",
                unit.id,
                details={"mqtt_topic": [unit.mqtt_topic, checked]},
                user=user,
            )
            unit.mqtt_topic = checked
    return unit


def list_units(*, include_inactive: bool = False) -> list[StorageUnit]:
    query = select(StorageUnit).order_by(StorageUnit.kind, StorageUnit.name)
    if not include_inactive:
        query = query.where(StorageUnit.active.is_(True))
    return list(db.session.scalars(query))


def get_unit(unit_id: int) -> StorageUnit:
    unit = db.session.get(StorageUnit, unit_id)
    if unit is None:
        raise NotFound("not_found", _("No storage unit with id %(id)s.", id=unit_id))
    return unit


def move_vial(vial_id: int, unit_id: int, *, user: User) -> Vial:
    """COLD-01: a vial in stock goes to another unit; the move is recorded and audited."""
    with transaction():
        unit = placement.unit_for_placing(unit_id)
        vial = db.session.scalar(
            select(Vial).where(Vial.id == vial_id).with_for_update().execution_options(populate_existing=True)
        )
        if vial is None:
            raise NotFound("not_found", _("No vial with id %(id)s.", id=vial_id))
        if vial.status not in IN_STOCK:
            raise Conflict("not_in_stock", _("Vial %(code)s is not in stock.", code=vial.code))
        if vial.storage_unit_id == unit.id:
            raise Conflict(
                "already_there", _("Vial %(code)s is in %(unit)s already.", code=vial.code, unit=unit.name)
            )
        before = placement.put(vial, unit, user)
        audit.record(
            "vial_moved",
            "vial",
            vial.id,
            details={"code": vial.code, "storage_unit_id": [before, unit.id]},
            user=user,
        )
    return vial


def move_batch(batch_id: int, unit_id: int, *, user: User) -> Batch:
    """COLD-01 with BUD-07: a batch's unused syringes go to another unit; a unit warmer than their
    storage shortens their BUD as a change of storage does, a colder one never extends it."""
    with transaction():
        unit = placement.unit_for_placing(unit_id)
        batch = batches.locked_batch(batch_id)
        syringes = batches.change_storage(batch, Storage(unit.kind), user)
        moved = [[syringe.code, placement.put(syringe, unit, user), unit.id] for syringe in syringes]
        audit.record(
            "batch_moved",
            "batch",
            batch.id,
            details={"code": batch.code, "storage_unit_id": unit.id, "syringes": moved},
            user=user,
        )
    return batch


@dataclass(frozen=True)
class UnitContents:
    vials: int
    syringes: int


def contents(unit_ids: Iterable[int]) -> dict[int, UnitContents]:
    """What each unit holds now: vials in stock and unused syringes, counted in two queries."""
    ids = list(unit_ids)
    vial_counts: dict[int | None, int] = dict(
        db.session.execute(
            select(Vial.storage_unit_id, func.count(Vial.id))
            .where(Vial.storage_unit_id.in_(ids), Vial.status.in_(IN_STOCK))
            .group_by(Vial.storage_unit_id)
        ).all()
    )
    syringe_counts: dict[int | None, int] = dict(
        db.session.execute(
            select(Syringe.storage_unit_id, func.count(Syringe.id))
            .where(Syringe.storage_unit_id.in_(ids), Syringe.status.in_(UNUSED_SYRINGE))
            .group_by(Syringe.storage_unit_id)
        ).all()
    )
    return {
        unit_id: UnitContents(vials=vial_counts.get(unit_id, 0), syringes=syringe_counts.get(unit_id, 0))
        for unit_id in ids
    }


def moves_of_unit(unit_id: int, limit: int = 100) -> list[StorageMove]:
    """The latest moves into or out of a unit, newest first."""
    return list(
        db.session.scalars(
            select(StorageMove)
            .where((StorageMove.to_unit_id == unit_id) | (StorageMove.from_unit_id == unit_id))
            .order_by(StorageMove.moved_at.desc(), StorageMove.id.desc())
            .limit(limit)
        )
    )
