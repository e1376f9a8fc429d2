"""GET/PUT /api/v1/policy: the BUD table and the in-use limits the app computes with."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from inventory.permissions import Permission, permission_required
from inventory.services import policy as policy_service
from inventory.web.api import ApiBlueprint
from inventory.web.api.fields import InputSchema

blp = ApiBlueprint("api_policy", __name__, url_prefix="/api/v1/policy", description="The clinic's policy")

Hours = fields.Float(allow_none=True, validate=validate.Range(min=0, min_inclusive=False))


class InUse(InputSchema):
    single_dose_hours = fields.Float(required=True, validate=validate.Range(min=0))
    multi_dose_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class PolicyOut(Schema):
    bud_hours = fields.Dict(
        keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))
    )
    in_use = fields.Dict(keys=fields.String(), values=fields.Raw())


class PolicyIn(InputSchema):
    bud_hours = fields.Dict(
        keys=fields.String(), values=fields.Dict(keys=fields.String(), values=Hours), required=True
    )
    in_use = fields.Nested(InUse, required=True)
    reason = fields.String(load_default=None, validate=validate.Length(max=500))


@blp.route("", methods=["GET"])
@permission_required(Permission.POLICY)
@blp.response(200, PolicyOut)
def get_policy() -> dict[str, Any]:
    """The stored policy (USP <797> defaults until the clinic changes them)."""
    return policy_service.policy_document(policy_service.current_policy())


@blp.route("", methods=["PUT"])
@permission_required(Permission.POLICY)
@blp.arguments(PolicyIn)
@blp.response(200, PolicyOut)
def put_policy(document: dict[str, Any]) -> dict[str, Any]:
    """Replace the whole policy; a limit above USP <797> needs `reason`. Governs from now on."""
    reason = document.pop("reason", None)
    return policy_service.policy_document(policy_service.update_policy(document, reason=reason))
