"""GET /api/v1/openapi.json: public, OpenAPI 3, every endpoint of the API."""

from __future__ import annotations

import re


def test_openapi_document_is_public_and_covers_every_api_route(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    documented = {
        (path, method.upper()) for path, operations in spec["paths"].items() for method in operations
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        routed |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed, "no API routes found"
    assert routed <= documented, f"undocumented: {sorted(routed - documented)}"


def test_request_schemas_in_the_document_are_the_validating_ones(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    product_in = spec["components"]["schemas"]["ProductIn"]
    assert set(product_in["required"]) >= {"name", "category", "container", "volume_ml", "storage"}
    assert product_in["properties"]["volume_ml"]["type"] == "number"
    assert "bearer" in spec["components"]["securitySchemes"]
