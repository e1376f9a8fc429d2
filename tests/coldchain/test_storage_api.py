"""COLD-01 through the API: storage units, receiving into a unit, moves of vials and of a batch's syringes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from inventory.models import AuditEntry, StorageMove, StorageUnit, Vial
from tests import factories
from tests.coldchain.conftest import NOW, error_of


def test_cold_01_a_unit_gets_its_kinds_default_range(api_as: Any) -> None:
    api = api_as("manager")
    response = api.post("/api/v1/storage-units", json={"name": " Fridge  2 ", "kind": "fridge"})
    assert response.status_code == 201, response.get_json()
    unit = response.get_json()
    assert (unit["name"], unit["kind"], unit["min_c"], unit["max_c"]) == ("Fridge 2", "fridge", 2.0, 8.0)
    assert (unit["vials"], unit["syringes"]) == (0, 0)
    freezer = api.post("/api/v1/storage-units", json={"name": "Freezer", "kind": "freezer"}).get_json()
    assert (freezer["min_c"], freezer["max_c"]) == (-25.0, -10.0)
    listed = api.get("/api/v1/storage-units").get_json()["items"]
    assert {item["name"] for item in listed} == {"Fridge 2", "Freezer"}
    assert api.get(f"/api/v1/storage-units/{unit['id']}").get_json()["name"] == "Fridge 2"
    assert api.get("/api/v1/storage-units/999999").status_code == 404


def test_cold_01_the_clinic_may_narrow_a_range(api_as: Any) -> None:
    api = api_as("admin")
    response = api.post(
        "/api/v1/storage-units", json={"name": "Vaccine fridge", "kind": "fridge", "min_c": 2.5, "max_c": 7.5}
    )
    assert response.status_code == 201
    assert (response.get_json()["min_c"], response.get_json()["max_c"]) == (2.5, 7.5)


def test_cold_01_bad_units_are_refused_with_the_field(api_as: Any, fridge: StorageUnit) -> None:
    api = api_as("manager")
    upside_down = api.post(
        "/api/v1/storage-units", json={"name": "X", "kind": "fridge", "min_c": 8, "max_c": 2}
    )
    assert upside_down.status_code == 422
    assert error_of(upside_down)["code"] == "invalid_range"
    bad_kind = api.post("/api/v1/storage-units", json={"name": "X", "kind": "cellar"})
    assert bad_kind.status_code == 422
    assert "kind" in error_of(bad_kind)["fields"]
    too_hot = api.post("/api/v1/storage-units", json={"name": "X", "kind": "room", "max_c": 90})
    assert too_hot.status_code == 422
    assert "max_c" in error_of(too_hot)["fields"]
    same_name = api.post("/api/v1/storage-units", json={"name": "fridge 1", "kind": "fridge"})
    assert same_name.status_code == 409
    assert error_of(same_name)["code"] == "duplicate_name"


def test_cold_01_only_a_manager_or_admin_creates_units(api_as: Any) -> None:
    response = api_as("nurse").post("/api/v1/storage-units", json={"name": "Mine", "kind": "room"})
    assert response.status_code == 403


def test_cold_01_receiving_puts_the_vials_in_the_unit_chosen(
    api_as: Any, db: Any, room: StorageUnit, fridge: StorageUnit
) -> None:
    product = factories.ProductFactory(storage="room")
    api = api_as("nurse")
    response = api.post(
        "/api/v1/receipts",
        json={
            "product_id": product.id,
            "lot": "L1",
            "expiry": "2027-01-31",
            "vials": 2,
            "storage_unit_id": fridge.id,
        },
    )
    assert response.status_code == 201, response.get_json()
    assert [vial["storage_unit_id"] for vial in response.get_json()["vials"]] == [fridge.id] * 2
    moves = list(db.session.scalars(select(StorageMove)))
    assert [(m.from_unit_id, m.to_unit_id, m.moved_by_id) for m in moves] == [
        (None, fridge.id, api.user.id)
    ] * 2
    unit = api.get(f"/api/v1/storage-units/{fridge.id}").get_json()
    assert unit["vials"] == 2


def test_cold_01_receiving_defaults_to_a_unit_of_the_products_storage(
    api_as: Any, room: StorageUnit, fridge: StorageUnit
) -> None:
    enzyme = factories.ProductFactory(storage="fridge", name="Hyaluronidase 1 mL")
    response = api_as("nurse").post(
        "/api/v1/receipts", json={"product_id": enzyme.id, "lot": "H1", "expiry": "2027-01-31", "vials": 1}
    )
    assert response.status_code == 201
    assert response.get_json()["vials"][0]["storage_unit_id"] == fridge.id


def test_cold_01_receiving_into_an_unknown_unit_is_refused(api_as: Any, db: Any) -> None:
    product = factories.ProductFactory()
    response = api_as("nurse").post(
        "/api/v1/receipts",
        json={
            "product_id": product.id,
            "lot": "L1",
            "expiry": "2027-01-31",
            "vials": 1,
            "storage_unit_id": 4242,
        },
    )
    assert response.status_code == 422
    assert "storage_unit_id" in error_of(response)["fields"]
    assert db.session.scalar(select(Vial)) is None


def test_cold_01_a_vial_moves_and_the_move_is_recorded(
    api_as: Any, db: Any, room: StorageUnit, fridge: StorageUnit
) -> None:
    vial = factories.VialFactory(storage_unit_id=room.id)
    api = api_as("nurse")
    response = api.post(f"/api/v1/vials/{vial.id}/move", json={"storage_unit_id": fridge.id})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["storage_unit_id"] == fridge.id
    move = db.session.scalar(select(StorageMove))
    assert (move.item_type, move.vial_id, move.from_unit_id, move.to_unit_id) == (
        "vial",
        vial.id,
        room.id,
        fridge.id,
    )
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vial_moved"))
    assert entry.details["storage_unit_id"] == [room.id, fridge.id]
    again = api.post(f"/api/v1/vials/{vial.id}/move", json={"storage_unit_id": fridge.id})
    assert again.status_code == 409
    assert error_of(again)["code"] == "already_there"


def test_cold_01_an_empty_vial_or_an_unknown_unit_does_not_move(api_as: Any, fridge: StorageUnit) -> None:
    api = api_as("nurse")
    empty = factories.VialFactory(status="empty", remaining_ul=0)
    assert api.post(f"/api/v1/vials/{empty.id}/move", json={"storage_unit_id": fridge.id}).status_code == 409
    sealed = factories.VialFactory()
    nowhere = api.post(f"/api/v1/vials/{sealed.id}/move", json={"storage_unit_id": 999999})
    assert nowhere.status_code == 422
    assert "storage_unit_id" in error_of(nowhere)["fields"]
    assert api.post("/api/v1/vials/999999/move", json={"storage_unit_id": fridge.id}).status_code == 404
    assert api.post(f"/api/v1/vials/{sealed.id}/move", json={"storage_unit_id": "x"}).status_code == 422


def _fridge_batch(fridge: StorageUnit) -> tuple[Any, list[Any]]:
    prepared = NOW - timedelta(hours=2)
    batch = factories.BatchFactory(
        category="category_1", storage="fridge", prepared_at=prepared, bud=prepared + timedelta(hours=24)
    )
    factories.DrawFactory(batch=batch)
    syringes = [
        factories.SyringeFactory(batch=batch, number=1, storage="fridge", storage_unit_id=fridge.id),
        factories.SyringeFactory(batch=batch, number=2, storage="fridge", storage_unit_id=fridge.id),
        factories.SyringeFactory(
            batch=batch, number=3, storage="fridge", status="administered", storage_unit_id=fridge.id
        ),
    ]
    return batch, syringes


def test_bud_07_moving_a_batch_to_a_room_unit_shortens_the_bud_of_its_unused_syringes(
    api_as: Any, db: Any, room: StorageUnit, fridge: StorageUnit
) -> None:
    batch, syringes = _fridge_batch(fridge)
    api = api_as("nurse")
    response = api.post(f"/api/v1/batches/{batch.id}/move", json={"storage_unit_id": room.id})
    assert response.status_code == 200, response.get_json()
    by_number = {s["number"]: s for s in response.get_json()["syringes"]}
    room_bud = (batch.prepared_at + timedelta(hours=12)).isoformat()
    assert (by_number[1]["storage_unit_id"], by_number[1]["storage"], by_number[1]["bud"]) == (
        room.id,
        "room",
        room_bud,
    )
    assert by_number[2]["storage_unit_id"] == room.id
    assert by_number[3]["storage_unit_id"] == fridge.id, "a syringe given stays where it was given from"
    moves = list(db.session.scalars(select(StorageMove).order_by(StorageMove.id)))
    assert [(m.item_type, m.syringe_id, m.from_unit_id, m.to_unit_id) for m in moves] == [
        ("syringe", syringes[0].id, fridge.id, room.id),
        ("syringe", syringes[1].id, fridge.id, room.id),
    ]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "batch_moved")) is not None


def test_bud_07_moving_back_to_the_fridge_never_extends_the_bud(
    api_as: Any, room: StorageUnit, fridge: StorageUnit
) -> None:
    batch, _syringes = _fridge_batch(fridge)
    api = api_as("nurse")
    api.post(f"/api/v1/batches/{batch.id}/move", json={"storage_unit_id": room.id})
    back = api.post(f"/api/v1/batches/{batch.id}/move", json={"storage_unit_id": fridge.id}).get_json()
    first = next(s for s in back["syringes"] if s["number"] == 1)
    assert first["storage_unit_id"] == fridge.id
    assert first["bud"] == (batch.prepared_at + timedelta(hours=12)).isoformat()


def test_bud_04_a_category_1_batch_cannot_move_into_a_freezer(
    api_as: Any, fridge: StorageUnit, freezer: StorageUnit
) -> None:
    batch, _syringes = _fridge_batch(fridge)
    response = api_as("nurse").post(f"/api/v1/batches/{batch.id}/move", json={"storage_unit_id": freezer.id})
    assert response.status_code in (409, 422)
    assert error_of(response)["code"] == "storage_not_allowed"
