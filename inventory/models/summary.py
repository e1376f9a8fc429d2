"""Summary rows kept beside the raw rows for the windows that cannot be bounded (a report of years).

Not traceability: derived figures, maintained in the same transaction as each change by
`inventory.services.summaries` and checked against the raw rows by tests.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from inventory.extensions import Model
from inventory.models.clinic import Administration
from inventory.models.compounding import Draw, Syringe
from inventory.models.stock import Vial


class DailyTotal(Model):
    """One figure of one clinic day: `metric` says what is counted, `key` for what (a product id, a
    reason, an indication); `cost_nano` is in billionths of a minor unit (exact enough to sum years)."""

    __tablename__ = "daily_totals"

    metric: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    volume_ul: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_nano: Mapped[int] = mapped_column(BigInteger, default=0)


class MonthlyTotal(Model):
    """The daily totals of one calendar month (clinic days), kept beside them by the same upsert: a
    report of years by month reads a row per month instead of one per day."""

    __tablename__ = "monthly_totals"

    metric: Mapped[str] = mapped_column(String(20), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    volume_ul: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_nano: Mapped[int] = mapped_column(BigInteger, default=0)


class AdverseEventLot(Model):
    """AE-02's summary: a lot something of which was given in the session of an adverse event, and the
    event's patient. Signals count patients per lot here instead of walking administrations and draws;
    replaced for an event whenever what it was exposed to changes (services/summaries.py)."""

    __tablename__ = "adverse_event_lots"
    __table_args__ = (Index("ix_adverse_event_lots_lot_id_patient_id", "lot_id", "patient_id"),)

    event_id: Mapped[int] = mapped_column(ForeignKey("adverse_events.id"), primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)


class LotExposure(Model):
    """RCL-03's summary: a lot something of which was in the syringe of an administration given (not
    voided), and the administration's patient; a cocktail's administration has a row for each of its lots.
    The lot trace, the recalls and the CSV count and page a lot's administrations and patients here
    instead of walking vials, draws, syringes and administrations (services/summaries.py keeps it)."""

    __tablename__ = "lot_exposures"
    __table_args__ = (Index("ix_lot_exposures_lot_id_patient_id", "lot_id", "patient_id"),)

    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), primary_key=True)
    administration_id: Mapped[int] = mapped_column(
        ForeignKey("administrations.id"), primary_key=True, index=True
    )
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))


# Indexes of the hot filters (date windows of reorder and administrations, the scan's SAFE-08 check,
# stock by status), declared here beside the migration that made them (i16_flat_at_scale).
Index("ix_draws_batch_id_product_id", Draw.batch_id, Draw.product_id)
Index("ix_draws_product_id_drawn_at", Draw.product_id, Draw.drawn_at)
Index("ix_administrations_administered_at", Administration.administered_at)
Index("ix_syringes_status_batch_id", Syringe.status, Syringe.batch_id)
Index("ix_vials_status_lot_id", Vial.status, Vial.lot_id)
