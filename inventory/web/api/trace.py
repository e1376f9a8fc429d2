"""/api/v1 endpoints of the trace area (api.md)."""

from __future__ import annotations

from inventory.web.api import ApiBlueprint

blp = ApiBlueprint("api_trace", __name__, url_prefix="/api/v1", description="trace")
