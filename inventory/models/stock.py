"""Lots, receipts and vials."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory import clock
from inventory.extensions import Model
from inventory.models.base import UTCDateTime, enum_values, one_of
from inventory.models.catalogue import Product
from inventory.models.users import User

if TYPE_CHECKING:
    from inventory.models.coldchain import StorageUnit


class LotStatus(StrEnum):
    AVAILABLE = "available"
    QUARANTINED = "quarantined"
    RECALLED = "recalled"


class VialStatus(StrEnum):
    SEALED = "sealed"
    OPEN = "open"
    EMPTY = "empty"
    DISCARDED = "discarded"


class DiscardReason(StrEnum):
    EXPIRED = "expired"
    IN_USE_LIMIT = "in_use_limit"
    CONTAMINATED = "contaminated"
    DAMAGED = "damaged"
    RECALLED = "recalled"
    OTHER = "other"


class Lot(Model):
    __tablename__ = "lots"
    __table_args__ = (
        UniqueConstraint("product_id", "number"),
        one_of("status", enum_values(LotStatus)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), index=True)
    expiry: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default=LotStatus.AVAILABLE)
    quarantined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    quarantined_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    quarantine_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    product: Mapped[Product] = relationship(lazy="joined")
    vials: Mapped[list[Vial]] = relationship(back_populates="lot", order_by="Vial.id")


class Receipt(Model):
    """One delivery of vials of a lot; a pack serial is never received twice (SAFE-09)."""

    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("gtin", "serial"),
        # Each lot's newest receipt in one index look-up (the reorder list's supplier and shelf life).
        Index("ix_receipts_lot_id_received_at_id", "lot_id", "received_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    received_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    supplier: Mapped[str] = mapped_column(String(120), default="")
    unit_cost_minor: Mapped[int] = mapped_column(default=0)
    vial_count: Mapped[int]
    gtin: Mapped[str | None] = mapped_column(String(14))
    serial: Mapped[str | None] = mapped_column(String(20))

    lot: Mapped[Lot] = relationship()
    received_by: Mapped[User] = relationship()


class Vial(Model):
    __tablename__ = "vials"
    __table_args__ = (
        CheckConstraint("remaining_ul >= 0", name="remaining_not_negative"),
        CheckConstraint("remaining_ul <= initial_ul", name="remaining_within_initial"),
        one_of("status", enum_values(VialStatus)),
        Index("ix_vials_lot_status", "lot_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=VialStatus.SEALED)
    initial_ul: Mapped[int]
    remaining_ul: Mapped[int]
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    discarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    discarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    discard_reason: Mapped[str | None] = mapped_column(String(20))
    discard_note: Mapped[str | None] = mapped_column(Text)
    waste_ul: Mapped[int] = mapped_column(default=0)
    waste_cost_minor: Mapped[int] = mapped_column(default=0)
    location: Mapped[str] = mapped_column(String(60), default="", index=True)
    #: COLD-01: the storage unit it is in (``location`` stays the shelf inside it).
    storage_unit_id: Mapped[int | None] = mapped_column(ForeignKey("storage_units.id"), index=True)

    lot: Mapped[Lot] = relationship(back_populates="vials")
    receipt: Mapped[Receipt] = relationship()
    storage_unit: Mapped[StorageUnit | None] = relationship(lazy="selectin")


class CountStatus(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"


class CountDifference(StrEnum):
    MISSING = "missing"
    UNEXPECTED = "unexpected"


class StockCount(Model):
    """A count of the vials on one shelf (location), of one product or in one storage unit: what was
    expected, what was seen."""

    __tablename__ = "stock_counts"
    __table_args__ = (one_of("status", enum_values(CountStatus)),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location: Mapped[str] = mapped_column(String(60), default="")
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    #: COLD-01: a count of what is in one storage unit (with or without a shelf or product).
    storage_unit_id: Mapped[int | None] = mapped_column(ForeignKey("storage_units.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=CountStatus.OPEN)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    product: Mapped[Product | None] = relationship()
    storage_unit: Mapped[StorageUnit | None] = relationship()
    started_by: Mapped[User] = relationship(foreign_keys=[started_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])
    scans: Mapped[list[StockCountScan]] = relationship(back_populates="count", order_by="StockCountScan.id")
    lines: Mapped[list[StockCountLine]] = relationship(back_populates="count", order_by="StockCountLine.id")


class StockCountScan(Model):
    """One vial seen during a count (each vial once per count)."""

    __tablename__ = "stock_count_scans"
    __table_args__ = (UniqueConstraint("count_id", "vial_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_counts.id"), index=True)
    vial_id: Mapped[int] = mapped_column(ForeignKey("vials.id"), index=True)
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    scanned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    count: Mapped[StockCount] = relationship(back_populates="scans")
    vial: Mapped[Vial] = relationship()


class StockCountLine(Model):
    """A difference recorded when a count is confirmed: a vial missing, or one seen but not expected."""

    __tablename__ = "stock_count_lines"
    __table_args__ = (
        UniqueConstraint("count_id", "vial_id"),
        one_of("difference", enum_values(CountDifference)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_counts.id"), index=True)
    vial_id: Mapped[int] = mapped_column(ForeignKey("vials.id"), index=True)
    difference: Mapped[str] = mapped_column(String(20))
    vial_status: Mapped[str] = mapped_column(String(20))
    vial_location: Mapped[str] = mapped_column(String(60), default="")

    count: Mapped[StockCount] = relationship(back_populates="lines")
    vial: Mapped[Vial] = relationship()
