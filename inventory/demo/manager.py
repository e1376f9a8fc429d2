"""Demo purchasing: a draft order for the manager, drafted from the reorder list when it suggests
something, else for two demo products. Load after the catalogue (and after the stock, if any)."""

from __future__ import annotations

from sqlalchemy import select

from inventory.extensions import db
from inventory.models import Product, User
from inventory.services import purchasing, transaction
from inventory.services import reorder as reorder_service

FALLBACK_SUPPLIER = "Medikal Depo A.Ş."
FALLBACK_PRODUCTS = ("Lidocaine", "Hyaluronidase")


def _fallback_lines() -> list[purchasing.LineInput]:
    products = db.session.scalars(select(Product).where(Product.is_demo.is_(True)).order_by(Product.name))
    return [
        purchasing.LineInput(product.id, product.reorder_quantity or 5)
        for product in products
        if product.name.startswith(FALLBACK_PRODUCTS)
    ]


def load() -> None:
    suggested = [line.product.id for line in reorder_service.reorder_lines(only_needed=True)]
    if suggested:
        orders = purchasing.create_from_suggestions(
            suggested, note="Demo order drafted from the reorder list."
        )
    else:
        orders = [purchasing.create_order(FALLBACK_SUPPLIER, "Demo order.", _fallback_lines())]
    manager = db.session.scalar(select(User).where(User.username == "manager"))
    with transaction():
        for order in orders:
            order.is_demo = True
            if manager is not None:
                order.created_by_id = manager.id
