"""GET /api/v1/audit: the audit trail."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from inventory.permissions import Permission, permission_required
from inventory.services import audit
from inventory.web.api import ApiBlueprint
from inventory.web.api.fields import QuerySchema

blp = ApiBlueprint("api_audit", __name__, url_prefix="/api/v1/audit", description="Audit trail")


class AuditQuery(QuerySchema):
    entity_type = fields.String(load_default=None)
    entity_id = fields.Integer(load_default=None)
    action = fields.String(load_default=None)
    user_id = fields.Integer(load_default=None)
    since = fields.AwareDateTime(load_default=None)
    until = fields.AwareDateTime(load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class AuditEntryOut(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    user = fields.Function(lambda entry: entry.user.username if entry.user else None)
    action = fields.String()
    entity_type = fields.String()
    entity_id = fields.Integer(allow_none=True)
    details = fields.Dict()
    reason = fields.String(allow_none=True)


class AuditPage(Schema):
    items = fields.List(fields.Nested(AuditEntryOut))
    next = fields.Integer(allow_none=True)


@blp.route("", methods=["GET"])
@permission_required(Permission.REPORTS)
@blp.arguments(AuditQuery, location="query")
@blp.response(200, AuditPage)
def list_entries(query: dict[str, Any]) -> dict[str, Any]:
    """Audit entries, newest first, filtered by entity, action, user and time."""
    page, per_page = query.pop("page"), query.pop("per_page")
    rows, more = audit.entries(audit.AuditFilter(**query), page=page, per_page=per_page)
    result: dict[str, Any] = {"items": rows}
    if more:
        result["next"] = page + 1
    return result
