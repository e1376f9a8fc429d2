"""/api/v1/products: the catalogue, GTIN rules (GS1-03), volumes, audit of changes."""

from __future__ import annotations

import pytest

from inventory.models import AuditEntry

LIDOCAINE = {
    "name": "Lidocaine HCl 2% 20 mL",
    "category": "anaesthetic",
    "strength": "20 mg/mL",
    "container": "multi_dose",
    "volume_ml": 20,
    "storage": "room",
    "in_use_days": 28,
    "sterile": True,
    "biological": False,
    "gtin": "00363323208011",
    "reorder_point": 4,
    "reorder_quantity": 10,
    "lead_time_days": 7,
    "unit_cost": 12.5,
}


def test_manager_creates_a_product_as_in_api_md(api_as):
    response = api_as("manager").post("/api/v1/products", json=LIDOCAINE)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"] > 0
    assert body["volume_ml"] == 20
    assert body["unit_cost"] == 12.5
    assert body["stock"] == {"vials": 0, "volume_ml": 0}
    assert {key: body[key] for key in LIDOCAINE} == LIDOCAINE


def test_gs1_03_wrong_check_digit_is_invalid_gtin(api_as):
    response = api_as("manager").post("/api/v1/products", json={**LIDOCAINE, "gtin": "00363323208012"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_gtin"


def test_gtin_13_is_stored_as_14_digits(api_as):
    response = api_as("manager").post("/api/v1/products", json={**LIDOCAINE, "gtin": "9506000134352"})
    assert response.status_code == 201
    assert response.get_json()["gtin"] == "09506000134352"


def test_duplicate_gtin_is_409(api_as):
    api = api_as("manager")
    assert api.post("/api/v1/products", json=LIDOCAINE).status_code == 201
    response = api.post("/api/v1/products", json={**LIDOCAINE, "name": "Another"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "duplicate_gtin"


@pytest.mark.parametrize(
    ("volume", "message_part"),
    [
        (-1, "negative"),
        (0, "more than 0"),
        (2.0001, "3 decimals"),
        ("abc", "must be a number"),
        (True, "number"),
    ],
)
def test_bad_volume_is_422_with_the_field(api_as, volume, message_part):
    response = api_as("manager").post("/api/v1/products", json={**LIDOCAINE, "volume_ml": volume})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    assert message_part in error["fields"]["volume_ml"]


def test_missing_and_unknown_fields_are_named(api_as):
    response = api_as("manager").post("/api/v1/products", json={"name": "X", "colour": "red"})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert {"category", "container", "volume_ml", "storage", "colour"} <= set(fields)


def test_enum_outside_the_list_is_422(api_as):
    response = api_as("manager").post("/api/v1/products", json={**LIDOCAINE, "container": "bottle"})
    assert response.status_code == 422
    assert "container" in response.get_json()["error"]["fields"]


def test_safe_10_a_product_change_is_audited_with_user_and_changed_fields(api_as, db):
    api = api_as("manager", username="mehmet")
    product_id = api.post("/api/v1/products", json=LIDOCAINE).get_json()["id"]
    response = api.patch(f"/api/v1/products/{product_id}", json={"reorder_point": 6, "unit_cost": 13})
    assert response.status_code == 200
    assert response.get_json()["reorder_point"] == 6
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "product_updated")).one()
    assert entry.user.username == "mehmet"
    assert entry.entity_id == product_id
    assert entry.details["changed"] == {"reorder_point": [4, 6], "unit_cost_minor": [1250, 1300]}


def test_patch_with_nothing_changed_writes_no_audit_entry(api_as, db):
    api = api_as("manager")
    product_id = api.post("/api/v1/products", json=LIDOCAINE).get_json()["id"]
    assert api.patch(f"/api/v1/products/{product_id}", json={"reorder_point": 4}).status_code == 200
    assert db.session.scalar(db.select(db.func.count()).where(AuditEntry.action == "product_updated")) == 0


def test_everyone_reads_products_but_only_managers_edit(api_as):
    product_id = api_as("manager").post("/api/v1/products", json=LIDOCAINE).get_json()["id"]
    for role in ("nurse", "practitioner"):
        api = api_as(role)
        assert api.get(f"/api/v1/products/{product_id}").status_code == 200
        assert api.patch(f"/api/v1/products/{product_id}", json={"reorder_point": 1}).status_code == 403
    assert (
        api_as("admin").patch(f"/api/v1/products/{product_id}", json={"reorder_point": 1}).status_code == 200
    )


def test_unknown_product_is_404(api_as):
    response = api_as("nurse").get("/api/v1/products/9999")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_stock_counts_only_usable_vials(api_as):
    from datetime import timedelta

    from inventory import clock
    from tests import factories

    product = factories.ProductFactory(volume_ul=5000)
    good = factories.LotFactory(product=product)
    factories.VialFactory(lot=good)
    factories.VialFactory(lot=good, remaining_ul=2500, status="open", opened_at=clock.now())
    factories.VialFactory(lot=factories.LotFactory(product=product, status="quarantined"))
    factories.VialFactory(lot=factories.LotFactory(product=product, expiry=clock.today() - timedelta(days=1)))
    factories.VialFactory(lot=good, status="discarded", remaining_ul=0)
    body = api_as("nurse").get(f"/api/v1/products/{product.id}").get_json()
    assert body["stock"] == {"vials": 2, "volume_ml": 7.5}
