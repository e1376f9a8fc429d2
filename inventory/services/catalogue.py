"""The product catalogue: create, edit (audited field by field), list with usable stock."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from inventory.errors import Conflict, NotFound, from_rule
from inventory.extensions import db
from inventory.models import Product
from inventory.rules import substances
from inventory.rules.errors import RuleError
from inventory.rules.gtin import normalize_gtin
from inventory.services import audit, transaction

EDITABLE = (
    "name",
    "label_name",
    "category",
    "strength",
    "container",
    "volume_ul",
    "storage",
    "in_use_days",
    "sterile",
    "biological",
    "gtin",
    "reorder_point",
    "reorder_quantity",
    "lead_time_days",
    "unit_cost_minor",
    "active",
    "substances",
)


def get_product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound("not_found", _("No product with id %(id)s.", id=product_id))
    return product


def list_products(*, include_inactive: bool = True) -> list[Product]:
    query = select(Product).order_by(Product.name)
    if not include_inactive:
        query = query.where(Product.active.is_(True))
    return list(db.session.scalars(query))


def _normalized(data: dict[str, Any]) -> dict[str, Any]:
    data = {key: value for key, value in data.items() if key in EDITABLE}
    if "name" in data:
        data["name"] = " ".join(str(data["name"]).split())
    if "label_name" in data:  # empty: labels print the name without its pack size
        data["label_name"] = " ".join(str(data["label_name"] or "").split()) or None
    if data.get("gtin"):
        try:
            data["gtin"] = normalize_gtin(str(data["gtin"]))
        except RuleError as error:
            raise from_rule(error) from None
    elif "gtin" in data:
        data["gtin"] = None
    if "substances" in data:
        data["substances"] = substances.normalise_all(data["substances"] or [])
    return data


def _check_unique(data: dict[str, Any], product_id: int | None) -> None:
    if gtin := data.get("gtin"):
        other = db.session.scalar(
            select(Product).where(Product.gtin == gtin, Product.id != (product_id or -1))
        )
        if other:
            raise Conflict(
                "duplicate_gtin",
                _("The GTIN %(gtin)s already belongs to %(name)s.", gtin=gtin, name=other.name),
                fields={"gtin": _("Already used by %(name)s.", name=other.name)},
            )
    if name := data.get("name"):
        other = db.session.scalar(
            select(Product).where(Product.name == name, Product.id != (product_id or -1))
        )
        if other:
            raise Conflict(
                "duplicate_name",
                _("A product named %(name)s exists.", name=name),
                fields={"name": _("This name is taken.")},
            )


def create_product(data: dict[str, Any]) -> Product:
    data = _normalized(data)
    with transaction():
        _check_unique(data, None)
        product = Product(**data)
        db.session.add(product)
        db.session.flush()
        audit.record("product_created", "product", product.id, details={"fields": data})
    return product


def update_product(product: Product, data: dict[str, Any]) -> Product:
    data = _normalized(data)
    with transaction():
        _check_unique(data, product.id)
        before = {key: getattr(product, key) for key in data}
        changed = audit.changes(before, data)
        if not changed:
            return product
        for key, (_old, new) in changed.items():
            setattr(product, key, new)
        audit.record("product_updated", "product", product.id, details={"changed": changed})
    return product
