"""/api/v1/recipes (api.md "Compounding")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from inventory.models import AuditEntry
from tests import factories


def _body(*products: Any, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Hair cocktail",
        "indication": "hair",
        "route": "intradermal",
        "storage": "room",
        "components": [{"product_id": p.id, "volume_ml": v} for p, v in products],
        **extra,
    }


def test_create_and_read_a_recipe_with_its_volume_per_syringe(api_as: Any, app: Any) -> None:
    dex, silicon = factories.ProductFactory(), factories.ProductFactory()
    api = api_as("practitioner")
    response = api.post("/api/v1/recipes", json=_body((dex, 1.0), (silicon, 2.5)))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["volume_ml"] == 3.5
    assert [(c["product_id"], c["volume_ml"]) for c in body["components"]] == [(dex.id, 1), (silicon.id, 2.5)]
    assert api.get(f"/api/v1/recipes/{body['id']}").get_json() == body
    assert [r["id"] for r in api.get("/api/v1/recipes").get_json()["items"]] == [body["id"]]


def test_recipe_validation(api_as: Any, app: Any) -> None:
    product = factories.ProductFactory()
    api = api_as("manager")
    assert api.post("/api/v1/recipes", json=_body((product, 0))).status_code == 422
    assert api.post("/api/v1/recipes", json=_body((product, 1.0001))).status_code == 422
    assert api.post("/api/v1/recipes", json=_body()).status_code == 422
    twice = api.post("/api/v1/recipes", json=_body((product, 1), (product, 1)))
    assert twice.get_json()["error"]["code"] == "duplicate_component"
    unknown = api.post(
        "/api/v1/recipes", json={**_body(), "components": [{"product_id": 999, "volume_ml": 1}]}
    )
    assert unknown.get_json()["error"]["code"] == "unknown_product"
    assert api.post("/api/v1/recipes", json=_body((product, 1), route="oral")).status_code == 422
    assert api.post("/api/v1/recipes", json=_body((product, 1))).status_code == 201
    assert api.post("/api/v1/recipes", json=_body((product, 1))).status_code == 409


def test_nurses_read_recipes_but_cannot_write_them(api_as: Any, app: Any) -> None:
    product = factories.ProductFactory()
    nurse = api_as("nurse")
    assert nurse.post("/api/v1/recipes", json=_body((product, 1))).status_code == 403
    assert nurse.get("/api/v1/recipes").status_code == 200


def test_recipe_edits_are_audited(api_as: Any, db: Any) -> None:
    product = factories.ProductFactory()
    api = api_as("practitioner")
    recipe = api.post("/api/v1/recipes", json=_body((product, 1))).get_json()
    response = api.patch(
        f"/api/v1/recipes/{recipe['id']}", json={"components": [{"product_id": product.id, "volume_ml": 2}]}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["volume_ml"] == 2
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "recipe_updated"))
    assert entry.details["changed"]["components"] == [[[product.id, 1000]], [[product.id, 2000]]]
