"""Prints of vial labels (LBL-03): a row per vial per print — who, when, which layout and output,
from which receipt, and whether that vial's label was printed before. Syringe label prints are
LabelPrint (models/compounding.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory import clock
from inventory.extensions import Model
from inventory.models.base import UTCDateTime
from inventory.models.users import User


class VialLabelPrint(Model):
    __tablename__ = "vial_label_prints"

    id: Mapped[int] = mapped_column(primary_key=True)
    vial_id: Mapped[int] = mapped_column(ForeignKey("vials.id"), index=True)
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"), index=True)
    printed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    printed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    layout: Mapped[str] = mapped_column(String(40))
    output: Mapped[str] = mapped_column(String(20))
    reprint: Mapped[bool] = mapped_column(default=False)

    printed_by: Mapped[User] = relationship()
