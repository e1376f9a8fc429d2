"""Purchase orders to suppliers, their lines, and what was received against each line."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory import clock
from inventory.extensions import Model
from inventory.models.base import UTCDateTime, enum_values, one_of
from inventory.models.catalogue import Product
from inventory.models.stock import Receipt
from inventory.models.users import User


class OrderStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"


#: Orders whose lines are still expected from the supplier.
OPEN_STATUSES = (OrderStatus.SENT, OrderStatus.PARTIALLY_RECEIVED)


class Supplier(Model):
    """Whom the clinic buys from: the address and contact printed on its orders."""

    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    #: The name normalised for finding it again whatever the case (Turkish letters included).
    name_key: Mapped[str] = mapped_column(String(120), unique=True)
    address: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(Text, default="")
    lead_time_days: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class PurchaseOrder(Model):
    __tablename__ = "purchase_orders"
    __table_args__ = (one_of("status", enum_values(OrderStatus)),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    #: The supplier's name as it stood when the order was made; `supplier_record` has the rest.
    supplier: Mapped[str] = mapped_column(String(120), default="")
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.DRAFT, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_demo: Mapped[bool] = mapped_column(default=False)

    created_by: Mapped[User | None] = relationship()
    supplier_record: Mapped[Supplier | None] = relationship()
    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="order", order_by="PurchaseOrderLine.id", lazy="selectin"
    )

    @property
    def total_minor(self) -> int:
        return sum(line.total_minor for line in self.lines)

    @property
    def editable(self) -> bool:
        return self.status == OrderStatus.DRAFT

    @property
    def receivable(self) -> bool:
        return self.status in OPEN_STATUSES


class PurchaseOrderLine(Model):
    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("received_quantity >= 0", name="received_not_negative"),
        CheckConstraint("unit_cost_minor >= 0", name="unit_cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int]
    unit_cost_minor: Mapped[int] = mapped_column(default=0)
    received_quantity: Mapped[int] = mapped_column(default=0)

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship(lazy="joined")
    receipts: Mapped[list[PurchaseOrderReceipt]] = relationship(
        back_populates="line", order_by="PurchaseOrderReceipt.id", lazy="selectin"
    )

    @property
    def outstanding(self) -> int:
        return max(0, self.quantity - self.received_quantity)

    @property
    def total_minor(self) -> int:
        return self.quantity * self.unit_cost_minor


class PurchaseOrderReceipt(Model):
    """Vials received against an order line: from a stock receipt, or counted on the order page
    (no receipt yet: the vials are entered into stock by receiving)."""

    __tablename__ = "purchase_order_receipts"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_lines.id"), index=True)
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"), index=True, unique=True)
    quantity: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    line: Mapped[PurchaseOrderLine] = relationship(back_populates="receipts")
    receipt: Mapped[Receipt | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()
