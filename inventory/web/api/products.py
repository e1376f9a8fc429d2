"""/api/v1/products: the catalogue."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from inventory.models import Product, ProductCategory
from inventory.permissions import Permission, permission_required
from inventory.rules.policy import Container, Storage
from inventory.services import catalogue, usability
from inventory.web.api import ApiBlueprint
from inventory.web.api.fields import InputSchema, Money, VolumeMl

blp = ApiBlueprint("api_products", __name__, url_prefix="/api/v1/products", description="Product catalogue")


class StockOut(Schema):
    vials = fields.Integer()
    volume_ml = VolumeMl(attribute="volume_ul", allow_zero=True)


class ProductIn(InputSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    category = fields.String(required=True, validate=validate.OneOf([c.value for c in ProductCategory]))
    strength = fields.String(load_default="", validate=validate.Length(max=80))
    label_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    container = fields.String(required=True, validate=validate.OneOf([c.value for c in Container]))
    volume_ul = VolumeMl(required=True, data_key="volume_ml")
    storage = fields.String(required=True, validate=validate.OneOf([s.value for s in Storage]))
    in_use_days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=365))
    sterile = fields.Boolean(load_default=True)
    biological = fields.Boolean(load_default=False)
    gtin = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    reorder_point = fields.Integer(load_default=0, validate=validate.Range(min=0))
    reorder_quantity = fields.Integer(load_default=0, validate=validate.Range(min=0))
    lead_time_days = fields.Integer(load_default=7, validate=validate.Range(min=0, max=365))
    unit_cost_minor = Money(load_default=0, data_key="unit_cost")
    active = fields.Boolean(load_default=True)
    substances = fields.List(
        fields.String(validate=validate.Length(max=80)), load_default=list, validate=validate.Length(max=30)
    )


class ProductPatch(ProductIn):
    """Every field optional; only the fields sent change."""


class ProductOut(Schema):
    id = fields.Integer()
    name = fields.String()
    label_name = fields.String(attribute="printed_name")
    category = fields.String()
    strength = fields.String()
    container = fields.String()
    volume_ml = VolumeMl(attribute="volume_ul")
    storage = fields.String()
    in_use_days = fields.Integer(allow_none=True)
    sterile = fields.Boolean()
    biological = fields.Boolean()
    gtin = fields.String(allow_none=True)
    reorder_point = fields.Integer()
    reorder_quantity = fields.Integer()
    lead_time_days = fields.Integer()
    unit_cost = Money(attribute="unit_cost_minor")
    active = fields.Boolean()
    substances = fields.List(fields.String())
    stock = fields.Nested(StockOut)


class ProductList(Schema):
    items = fields.List(fields.Nested(ProductOut))


def _with_stock(products: list[Product]) -> list[dict[str, Any]]:
    levels = usability.usable_stock([product.id for product in products])
    return [
        {**_as_dict(product), "stock": levels.get(product.id, usability.StockLevel())} for product in products
    ]


def _as_dict(product: Product) -> dict[str, Any]:
    return {
        **{column.key: getattr(product, column.key) for column in Product.__table__.columns},
        "printed_name": product.printed_name,
    }


@blp.route("", methods=["GET"])
@permission_required(Permission.READ_CATALOGUE)
@blp.response(200, ProductList)
def list_products() -> dict[str, Any]:
    """Every product with its usable stock."""
    return {"items": _with_stock(catalogue.list_products())}


@blp.route("", methods=["POST"])
@permission_required(Permission.EDIT_PRODUCTS)
@blp.arguments(ProductIn)
@blp.response(201, ProductOut)
def create_product(data: dict[str, Any]) -> dict[str, Any]:
    """Add a product to the catalogue (managers)."""
    return _with_stock([catalogue.create_product(data)])[0]


@blp.route("/<int:product_id>", methods=["GET"])
@permission_required(Permission.READ_CATALOGUE)
@blp.response(200, ProductOut)
def get_product(product_id: int) -> dict[str, Any]:
    return _with_stock([catalogue.get_product(product_id)])[0]


@blp.route("/<int:product_id>", methods=["PATCH"])
@permission_required(Permission.EDIT_PRODUCTS)
@blp.arguments(ProductPatch(partial=True))
@blp.response(200, ProductOut)
def update_product(data: dict[str, Any], product_id: int) -> dict[str, Any]:
    """Change some fields of a product; each change is audited."""
    product = catalogue.update_product(catalogue.get_product(product_id), data)
    return _with_stock([product])[0]
