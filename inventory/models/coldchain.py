"""Cold chain (domain.md §5): storage units and the moves of vials and syringes between them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory import clock
from inventory.extensions import Model
from inventory.models.base import UTCDateTime, enum_values, one_of
from inventory.models.compounding import Syringe
from inventory.models.stock import Vial
from inventory.models.users import User
from inventory.rules.policy import Storage


class MovedItem(StrEnum):
    VIAL = "vial"
    SYRINGE = "syringe"


class StorageUnit(Model):
    """A room shelf, a fridge or a freezer, with the range it must keep, in tenths of a degree Celsius
    (COLD-01; integers like every other quantity)."""

    __tablename__ = "storage_units"
    __table_args__ = (
        one_of("kind", enum_values(Storage)),
        CheckConstraint("min_dc < max_dc", name="range_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    min_dc: Mapped[int]
    max_dc: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    #: COLD-02: the columns of this unit's data-logger CSV, chosen once and kept.
    import_time_column: Mapped[str | None] = mapped_column(String(60))
    import_temperature_column: Mapped[str | None] = mapped_column(String(60))
    #: COLD-02: the MQTT topic a network sensor in this unit publishes its readings on (one unit per topic).
    mqtt_topic: Mapped[str | None] = mapped_column(String(200), unique=True)


class StorageMove(Model):
    """One vial or syringe put into a unit: at receiving (``from_unit_id`` None) or moved. Appended only."""

    __tablename__ = "storage_moves"
    __table_args__ = (
        one_of("item_type", enum_values(MovedItem)),
        CheckConstraint(
            "(vial_id IS NOT NULL AND syringe_id IS NULL) OR (vial_id IS NULL AND syringe_id IS NOT NULL)",
            name="one_item",
        ),
        Index("ix_storage_moves_to_unit_moved_at", "to_unit_id", "moved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_type: Mapped[str] = mapped_column(String(20))
    vial_id: Mapped[int | None] = mapped_column(ForeignKey("vials.id"), index=True)
    syringe_id: Mapped[int | None] = mapped_column(ForeignKey("syringes.id"), index=True)
    from_unit_id: Mapped[int | None] = mapped_column(ForeignKey("storage_units.id"))
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("storage_units.id"))
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    moved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    from_unit: Mapped[StorageUnit | None] = relationship(foreign_keys=[from_unit_id])
    to_unit: Mapped[StorageUnit] = relationship(foreign_keys=[to_unit_id])
    moved_by: Mapped[User] = relationship()
    vial: Mapped[Vial | None] = relationship()
    syringe: Mapped[Syringe | None] = relationship()


class ReadingSource(StrEnum):
    MANUAL = "manual"
    LOGGER = "logger"
    SENSOR = "sensor"


class TemperatureReading(Model):
    """COLD-02: one reading of a unit: the temperature now and, when the thermometer shows them, the
    lowest and highest since the last reading; tenths of a degree Celsius. Appended only."""

    __tablename__ = "temperature_readings"
    __table_args__ = (
        one_of("source", enum_values(ReadingSource)),
        UniqueConstraint("storage_unit_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    storage_unit_id: Mapped[int] = mapped_column(ForeignKey("storage_units.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    temperature_dc: Mapped[int]
    min_dc: Mapped[int | None]
    max_dc: Mapped[int | None]
    in_range: Mapped[bool]
    source: Mapped[str] = mapped_column(String(20), default=ReadingSource.MANUAL)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    recorded_by: Mapped[User] = relationship()


class ExcursionStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Decision(StrEnum):
    RELEASE = "release"
    DISCARD = "discard"


class Excursion(Model):
    """COLD-03: a unit out of its range from ``started_at`` (the first out-of-range reading) to
    ``ended_at`` (the first reading back in range); closed when every lot and batch held has a decision
    (COLD-04)."""

    __tablename__ = "excursions"
    __table_args__ = (one_of("status", enum_values(ExcursionStatus)),)

    id: Mapped[int] = mapped_column(primary_key=True)
    storage_unit_id: Mapped[int] = mapped_column(ForeignKey("storage_units.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Whether a reading went above the range (COLD-04: released syringes then get BUD-07).
    above: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=ExcursionStatus.OPEN, index=True)
    opened_by_reading_id: Mapped[int] = mapped_column(ForeignKey("temperature_readings.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    storage_unit: Mapped[StorageUnit] = relationship()

    @property
    def is_open(self) -> bool:
        """Not closed yet: still out of range, or lots and batches still waiting for a decision."""
        return self.status == ExcursionStatus.OPEN


class ExcursionHold(Model):
    """A vial or syringe that was in the unit during the excursion: on hold (SAFE-16) until its lot or
    batch has a decision. Appended only."""

    __tablename__ = "excursion_holds"
    __table_args__ = (
        CheckConstraint(
            "(vial_id IS NOT NULL AND lot_id IS NOT NULL AND syringe_id IS NULL AND batch_id IS NULL)"
            " OR (vial_id IS NULL AND lot_id IS NULL AND syringe_id IS NOT NULL AND batch_id IS NOT NULL)",
            name="one_item",
        ),
        UniqueConstraint("excursion_id", "vial_id"),
        UniqueConstraint("excursion_id", "syringe_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    excursion_id: Mapped[int] = mapped_column(ForeignKey("excursions.id"), index=True)
    vial_id: Mapped[int | None] = mapped_column(ForeignKey("vials.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    syringe_id: Mapped[int | None] = mapped_column(ForeignKey("syringes.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))


class ExcursionDecision(Model):
    """COLD-04: a manager's decision for one lot or one batch of an excursion. Appended only, once."""

    __tablename__ = "excursion_decisions"
    __table_args__ = (
        one_of("decision", enum_values(Decision)),
        CheckConstraint(
            "(lot_id IS NOT NULL AND batch_id IS NULL) OR (lot_id IS NULL AND batch_id IS NOT NULL)",
            name="one_item",
        ),
        UniqueConstraint("excursion_id", "lot_id"),
        UniqueConstraint("excursion_id", "batch_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    excursion_id: Mapped[int] = mapped_column(ForeignKey("excursions.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    decision: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    decided_by: Mapped[User] = relationship()

    @property
    def discards(self) -> bool:
        return self.decision == Decision.DISCARD
