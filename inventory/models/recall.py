"""Recalls and the follow-up of every exposed patient."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory import clock
from inventory.extensions import Model
from inventory.models.base import UTCDateTime, enum_values, one_of
from inventory.models.catalogue import Product
from inventory.models.clinic import Patient, TreatmentSession
from inventory.models.compounding import Draw
from inventory.models.stock import Lot, Vial
from inventory.models.users import User


class RecallClass(StrEnum):
    I = "I"  # noqa: E741 - the regulators' name
    II = "II"
    III = "III"


class FollowUpStatus(StrEnum):
    PENDING = "pending"
    CONTACTED = "contacted"
    UNREACHABLE = "unreachable"
    NOT_REQUIRED = "not_required"


class Recall(Model):
    """A recall of one lot number of one product, received yet or not (RCL-01, RCL-04)."""

    __tablename__ = "recalls"
    __table_args__ = (one_of("classification", enum_values(RecallClass)),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), index=True)
    lot_number: Mapped[str] = mapped_column(String(20), index=True)
    classification: Mapped[str] = mapped_column(String(4))
    reason: Mapped[str] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    product: Mapped[Product] = relationship()
    lot: Mapped[Lot | None] = relationship()
    patients: Mapped[list[RecallPatient]] = relationship(back_populates="recall", order_by="RecallPatient.id")


class RecallPatient(Model):
    __tablename__ = "recall_patients"
    __table_args__ = (
        UniqueConstraint("recall_id", "patient_id"),
        one_of("status", enum_values(FollowUpStatus)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recall_id: Mapped[int] = mapped_column(ForeignKey("recalls.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    administrations: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default=FollowUpStatus.PENDING)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    recall: Mapped[Recall] = relationship(back_populates="patients")
    patient: Mapped[Patient] = relationship(lazy="joined")


class AdverseEventSeverity(StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"
    LIFE_THREATENING = "life_threatening"


class AdverseEvent(Model):
    __tablename__ = "adverse_events"
    __table_args__ = (one_of("severity", enum_values(AdverseEventSeverity)),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    onset_at: Mapped[datetime] = mapped_column(UTCDateTime)
    severity: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text, default="")
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    session: Mapped[TreatmentSession] = relationship()
    reporter: Mapped[User] = relationship()
    updates: Mapped[list[AdverseEventUpdate]] = relationship(
        back_populates="event", order_by="AdverseEventUpdate.id", lazy="selectin"
    )

    @property
    def current_outcome(self) -> str:
        """The outcome of the latest follow-up, else the one recorded with the event."""
        return self.updates[-1].outcome if self.updates else self.outcome


class AdverseEventUpdate(Model):
    """A follow-up of an adverse event, appended (never edited): the outcome then, a note, who, when."""

    __tablename__ = "adverse_event_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("adverse_events.id"), index=True)
    outcome: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    event: Mapped[AdverseEvent] = relationship(back_populates="updates")
    by: Mapped[User] = relationship()


# The trace's hot path, lot → vials → draws → batches, answered from indexes alone (no table reads):
# without them PostgreSQL scans every draw to trace one lot. They belong to the tables of stock.py and
# compounding.py; declared here, by the module that needs them.
Index("ix_vials_lot_id_id", Vial.lot_id, Vial.id)
Index("ix_draws_vial_id_batch_id", Draw.vial_id, Draw.batch_id)
