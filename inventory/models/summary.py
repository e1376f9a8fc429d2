"""Summary rows kept beside the raw rows for the windows that cannot be bounded (a report of years).

Not traceability: derived figures, maintained in the same transaction as each change by
`inventory.services.summaries` and checked against the raw rows by tests.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Index, Integer, String
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


# Indexes of the hot filters (date windows of reorder and administrations, the scan's SAFE-08 check,
# stock by status), declared here beside the migration that made them (i16_flat_at_scale).
Index("ix_draws_batch_id_product_id", Draw.batch_id, Draw.product_id)
Index("ix_draws_product_id_drawn_at", Draw.product_id, Draw.drawn_at)
Index("ix_administrations_administered_at", Administration.administered_at)
Index("ix_syringes_status_batch_id", Syringe.status, Syringe.batch_id)
Index("ix_vials_status_lot_id", Vial.status, Vial.lot_id)
