"""The demo has a draft purchase order for the manager to look at."""

from __future__ import annotations

from inventory.demo import catalogue, manager
from inventory.extensions import db
from inventory.models import Product
from inventory.models.purchasing import PurchaseOrder


def test_demo_loads_a_draft_order(app, in_request):
    catalogue.load()
    manager.load()
    order = db.session.scalars(db.select(PurchaseOrder)).one()
    assert order.status == "draft"
    assert order.is_demo
    assert order.created_by is not None
    assert order.created_by.username == "manager"
    # No stock and no use yet: every demo product is at or below its reorder point of 4 (REORDER from
    # day one), so the order is drafted from the reorder list rather than the two fallback products.
    products = db.session.scalars(db.select(Product).where(Product.is_demo.is_(True))).all()
    assert {line.product_id for line in order.lines} == {product.id for product in products}
