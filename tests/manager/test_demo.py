"""The demo has a draft purchase order for the manager to look at."""

from __future__ import annotations

from inventory.demo import catalogue, manager
from inventory.extensions import db
from inventory.models.purchasing import PurchaseOrder


def test_demo_loads_a_draft_order(app, in_request):
    catalogue.load()
    manager.load()
    order = db.session.scalars(db.select(PurchaseOrder)).one()
    assert order.status == "draft"
    assert order.is_demo
    assert order.created_by is not None
    assert order.created_by.username == "manager"
    assert sorted(line.product.name.split()[0] for line in order.lines) == ["Hyaluronidase", "Lidocaine"]
