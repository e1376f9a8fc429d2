"""/api/v1 endpoints of the manager's desk (api.md, Managers)."""

from __future__ import annotations

from inventory.web.api import ApiBlueprint

blp = ApiBlueprint("api_manager", __name__, url_prefix="/api/v1", description="manager")
