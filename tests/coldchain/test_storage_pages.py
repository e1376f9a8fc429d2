"""COLD-01 on the pages: units listed and added, receiving asks where the vials go, moving by scanning."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from inventory.models import StorageMove, StorageUnit, Syringe, Vial
from tests import factories
from tests.support import csrf_from


def _post_form(client: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))})


def test_cold_01_the_units_page_has_a_helpful_empty_state(client: FlaskClient, login_as: Any) -> None:
    login_as("nurse")
    html = client.get("/cold/units").get_data(as_text=True)
    assert "No storage unit yet" in html
    assert "Add a unit" not in html, "only a manager adds units"


def test_cold_01_a_manager_adds_a_fridge_with_a_decimal_comma(
    client: FlaskClient, login_as: Any, db: Any
) -> None:
    login_as("manager")
    response = _post_form(
        client, "/cold/units", {"name": "Fridge 1", "kind": "fridge", "min_c": "2,5", "max_c": ""}
    )
    assert response.status_code == 302
    unit = db.session.scalar(select(StorageUnit))
    assert (unit.name, unit.kind, unit.min_dc, unit.max_dc) == ("Fridge 1", "fridge", 25, 80)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Fridge 1" in html
    assert "2.5 °C" in html


def test_cold_01_a_bad_temperature_keeps_what_was_typed(client: FlaskClient, login_as: Any, db: Any) -> None:
    login_as("manager")
    response = _post_form(client, "/cold/units", {"name": "Fridge 1", "kind": "fridge", "min_c": "cold"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Enter a temperature in °C" in html
    assert 'value="Fridge 1"' in html
    assert db.session.scalar(select(StorageUnit)) is None


def test_cold_01_receiving_by_hand_puts_the_vials_in_the_unit_picked(
    client: FlaskClient, login_as: Any, db: Any
) -> None:
    factories.StorageUnitFactory(name="Shelf A", kind="room", min_dc=200, max_dc=250)
    fridge = factories.StorageUnitFactory(name="Fridge 1")
    product = factories.ProductFactory(storage="room")
    login_as("nurse")
    page = client.get("/stock/receive/manual").get_data(as_text=True)
    assert "Where the vials go" in page
    assert "Fridge 1" in page
    response = client.post(
        "/stock/receive/manual",
        data={
            "csrf_token": csrf_from(page),
            "product_id": product.id,
            "lot": "L1",
            "expiry": "2027-01-31",
            "vials": "2",
            "storage_unit_id": fridge.id,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert {vial.storage_unit_id for vial in db.session.scalars(select(Vial))} == {fridge.id}


def test_cold_01_scanning_a_vial_moves_it_and_the_unit_lists_the_move(
    client: FlaskClient, login_as: Any, db: Any
) -> None:
    room = factories.StorageUnitFactory(name="Shelf A", kind="room", min_dc=200, max_dc=250)
    fridge = factories.StorageUnitFactory(name="Fridge 1")
    vial = factories.VialFactory(storage_unit_id=room.id)
    login_as("nurse")
    page = client.get("/cold/move").get_data(as_text=True)
    assert "autofocus" in page
    response = client.post(
        "/cold/move", data={"csrf_token": csrf_from(page), "code": vial.code, "storage_unit_id": fridge.id}
    )
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Vial {vial.code} is now in Fridge 1." in follow
    assert db.session.get(Vial, vial.id).storage_unit_id == fridge.id
    unit_page = client.get(f"/cold/units/{fridge.id}").get_data(as_text=True)
    assert vial.code in unit_page
    assert "Shelf A" in unit_page


def test_cold_01_scanning_a_syringe_moves_its_batchs_unused_syringes(
    client: FlaskClient, login_as: Any, db: Any
) -> None:
    fridge = factories.StorageUnitFactory(name="Fridge 1")
    batch = factories.BatchFactory(storage="room")
    factories.DrawFactory(batch=batch)
    first = factories.SyringeFactory(batch=batch, number=1)
    second = factories.SyringeFactory(batch=batch, number=2)
    login_as("nurse")
    page = client.get("/cold/move").get_data(as_text=True)
    response = client.post(
        "/cold/move", data={"csrf_token": csrf_from(page), "code": first.code, "storage_unit_id": fridge.id}
    )
    assert response.status_code == 302
    units = {
        s.storage_unit_id for s in db.session.scalars(select(Syringe).where(Syringe.batch_id == batch.id))
    }
    assert units == {fridge.id}
    assert len(list(db.session.scalars(select(StorageMove)))) == 2
    assert second.id in {m.syringe_id for m in db.session.scalars(select(StorageMove))}


def test_cold_01_a_move_without_a_unit_or_with_a_pack_code_says_why(
    client: FlaskClient, login_as: Any, db: Any
) -> None:
    fridge = factories.StorageUnitFactory(name="Fridge 1")
    vial = factories.VialFactory()
    login_as("nurse")
    no_unit = _post_form(client, "/cold/move", {"code": vial.code, "storage_unit_id": "0"})
    assert no_unit.status_code == 200
    assert "Choose a storage unit." in no_unit.get_data(as_text=True)
    unknown = _post_form(client, "/cold/move", {"code": "V-NOPE", "storage_unit_id": fridge.id})
    assert unknown.status_code == 200
    assert 'value="V-NOPE"' in unknown.get_data(as_text=True)
    assert db.session.scalar(select(StorageMove)) is None
