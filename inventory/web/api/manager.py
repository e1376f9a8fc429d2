"""/api/v1 endpoints of the manager's desk (api.md, Managers): the reorder list and purchase orders."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from inventory.models.purchasing import OrderStatus, PurchaseOrder
from inventory.permissions import Permission, permission_required
from inventory.rules.units import ml_number
from inventory.services import purchasing
from inventory.services import reorder as reorder_service
from inventory.web.api import ApiBlueprint
from inventory.web.api.fields import Money, QuerySchema, VolumeMl

blp = ApiBlueprint("api_manager", __name__, url_prefix="/api/v1", description="manager")


class ReorderListQuery(QuerySchema):
    all = fields.Boolean(load_default=True, metadata={"description": "false: only products to reorder"})


class ReorderItemOut(Schema):
    product_id = fields.Integer()
    name = fields.String()
    usable_vials = fields.Integer()
    usable_ml = VolumeMl(allow_zero=True)
    on_hand_vials = fields.Integer()
    on_hand_ml = VolumeMl(allow_zero=True)
    daily_use_ml = fields.Float()
    days_of_cover = fields.Float(allow_none=True)
    expiring_unused_ml = VolumeMl(allow_zero=True)
    reorder_point = fields.Integer()
    lead_time_days = fields.Integer()
    on_order_vials = fields.Integer()
    needs_reorder = fields.Boolean()
    suggested_vials = fields.Integer()
    reason = fields.String(metadata={"description": "machine code of the reason"})
    reason_text = fields.String(metadata={"description": "the reason in words, in the user's language"})
    supplier = fields.String()


class ReorderListOut(Schema):
    items = fields.List(fields.Nested(ReorderItemOut))
    window_days = fields.Integer()


def _reorder_item(line: reorder_service.ReorderLine) -> dict[str, Any]:
    result = line.suggestion
    return {
        "product_id": line.product.id,
        "name": line.product.name,
        "usable_vials": result.usable_vials,
        "usable_ml": result.usable_ul,
        "on_hand_vials": result.on_hand_vials,
        "on_hand_ml": result.on_hand_ul,
        "daily_use_ml": ml_number(line.daily_use_ul),
        "days_of_cover": line.days_of_cover,
        "expiring_unused_ml": result.expiring_unused_ul,
        "reorder_point": result.reorder_point,
        "lead_time_days": result.lead_time_days,
        "on_order_vials": result.on_order_vials,
        "needs_reorder": result.needs_reorder,
        "suggested_vials": result.suggested_vials,
        "reason": result.reason.value,
        "reason_text": line.reason_text,
        "supplier": line.supplier,
    }


@blp.route("/reorder", methods=["GET"])
@permission_required(Permission.REPORTS)
@blp.arguments(ReorderListQuery, location="query")
@blp.response(200, ReorderListOut)
def reorder_list(query: dict[str, Any]) -> dict[str, Any]:
    """Per active product: usable stock first-expiry-first-out at the current rate of use, what will
    expire unused, days of cover, and the suggested vials to order with the reason."""
    lines = reorder_service.reorder_lines(only_needed=not query["all"])
    return {"items": [_reorder_item(line) for line in lines], "window_days": reorder_service.window_days()}


class PurchaseOrderQuery(QuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in OrderStatus]))


class PurchaseOrderLineOut(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    product = fields.Function(lambda line: line.product.name)
    quantity = fields.Integer()
    unit_cost = Money(attribute="unit_cost_minor")
    received_quantity = fields.Integer()


class PurchaseOrderOut(Schema):
    id = fields.Integer()
    number = fields.String()
    supplier = fields.String()
    status = fields.String()
    note = fields.String()
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    received_at = fields.AwareDateTime(allow_none=True)
    total = Money(attribute="total_minor")
    lines = fields.List(fields.Nested(PurchaseOrderLineOut))


class PurchaseOrderListOut(Schema):
    items = fields.List(fields.Nested(PurchaseOrderOut))


@blp.route("/purchase-orders", methods=["GET"])
@permission_required(Permission.REPORTS)
@blp.arguments(PurchaseOrderQuery, location="query")
@blp.response(200, PurchaseOrderListOut)
def list_orders(query: dict[str, Any]) -> dict[str, list[PurchaseOrder]]:
    """Purchase orders, newest first, optionally of one status."""
    return {"items": purchasing.list_orders(query["status"])}


@blp.route("/purchase-orders/<int:order_id>", methods=["GET"])
@permission_required(Permission.REPORTS)
@blp.response(200, PurchaseOrderOut)
def get_order(order_id: int) -> PurchaseOrder:
    return purchasing.get_order(order_id)
