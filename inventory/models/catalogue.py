"""The product catalogue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from inventory import clock
from inventory.extensions import Model
from inventory.models.base import UTCDateTime, enum_values, one_of
from inventory.rules.labelling import default_label_name
from inventory.rules.policy import Container, Storage


class ProductCategory(StrEnum):
    VITAMIN = "vitamin"
    HYALURONIC_ACID = "hyaluronic_acid"
    ENZYME = "enzyme"
    EXTRACT = "extract"
    ANAESTHETIC = "anaesthetic"
    DILUENT = "diluent"
    OTHER = "other"


class Product(Model):
    __tablename__ = "products"
    __table_args__ = (
        one_of("category", enum_values(ProductCategory)),
        one_of("container", enum_values(Container)),
        one_of("storage", enum_values(Storage)),
        CheckConstraint("volume_ul > 0", name="volume_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # What labels print; None: the name without a trailing pack size (see printed_name).
    label_name: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))
    strength: Mapped[str] = mapped_column(String(80), default="")
    container: Mapped[str] = mapped_column(String(20))
    volume_ul: Mapped[int]
    storage: Mapped[str] = mapped_column(String(20))
    in_use_days: Mapped[int | None]
    sterile: Mapped[bool] = mapped_column(default=True)
    biological: Mapped[bool] = mapped_column(default=False)
    gtin: Mapped[str | None] = mapped_column(String(14), unique=True)
    reorder_point: Mapped[int] = mapped_column(default=0)
    reorder_quantity: Mapped[int] = mapped_column(default=0)
    lead_time_days: Mapped[int] = mapped_column(default=7)
    unit_cost_minor: Mapped[int] = mapped_column(default=0)
    #: SAFE-12: active substances, normalised (trimmed, lower case), e.g. ["lidocaine"].
    substances: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    @property
    def printed_name(self) -> str:
        """The name labels print (api.md "label_name"): never the pack size next to a dose (LBL-01)."""
        return self.label_name or default_label_name(self.name)

    def __repr__(self) -> str:
        return f"<Product {self.name}>"
