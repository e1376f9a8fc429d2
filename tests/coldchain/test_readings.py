"""COLD-02: manual readings through the API and the phone page; units overdue for a reading."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from inventory import clock
from inventory.models import AuditEntry, StorageUnit, TemperatureReading
from inventory.services import readings
from tests import factories
from tests.coldchain.conftest import NOW, error_of
from tests.support import csrf_from


def test_cold_02_a_reading_in_range_is_kept_with_who_and_when(
    api_as: Any, db: Any, fridge: StorageUnit
) -> None:
    api = api_as("nurse")
    response = api.post(
        f"/api/v1/storage-units/{fridge.id}/readings",
        json={"at": "2026-03-10T11:30:00+03:00", "temperature_c": 4.5, "min_c": 3.1, "max_c": 6},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["in_range"], body["excursion_id"], body["temperature_c"], body["min_c"]) == (
        True,
        None,
        4.5,
        3.1,
    )
    reading = db.session.get(TemperatureReading, body["id"])
    assert reading.at == NOW - timedelta(minutes=30)
    assert reading.recorded_by_id == api.user.id
    assert (
        db.session.scalar(select(AuditEntry).where(AuditEntry.action == "temperature_recorded")) is not None
    )


def test_cold_02_a_reading_without_a_time_is_now(api_as: Any, db: Any, fridge: StorageUnit) -> None:
    response = api_as("manager").post(
        f"/api/v1/storage-units/{fridge.id}/readings", json={"temperature_c": "5,0"}
    )
    assert response.status_code == 201, response.get_json()
    assert db.session.get(TemperatureReading, response.get_json()["id"]).at == NOW


def test_cold_03_a_maximum_above_the_range_makes_the_reading_out_of_range(
    api_as: Any, fridge: StorageUnit
) -> None:
    response = api_as("nurse").post(
        f"/api/v1/storage-units/{fridge.id}/readings", json={"temperature_c": 5, "max_c": 9.5}
    )
    assert response.status_code == 201
    assert response.get_json()["in_range"] is False


def test_cold_03_a_reading_on_the_limit_is_in_range(api_as: Any, fridge: StorageUnit) -> None:
    response = api_as("nurse").post(
        f"/api/v1/storage-units/{fridge.id}/readings", json={"temperature_c": 8.0, "min_c": 2.0}
    )
    assert response.get_json()["in_range"] is True


def test_cold_02_impossible_readings_are_refused_with_the_field(api_as: Any, fridge: StorageUnit) -> None:
    api = api_as("nurse")
    url = f"/api/v1/storage-units/{fridge.id}/readings"
    future = api.post(url, json={"temperature_c": 5, "at": (NOW + timedelta(hours=1)).isoformat()})
    assert future.status_code == 422
    assert "at" in error_of(future)["fields"]
    naive = api.post(url, json={"temperature_c": 5, "at": "2026-03-10T08:00:00"})
    assert naive.status_code == 422
    min_above = api.post(url, json={"temperature_c": 5, "min_c": 6})
    assert min_above.status_code == 422
    assert "min_c" in error_of(min_above)["fields"]
    nonsense = api.post(url, json={"temperature_c": "warm"})
    assert nonsense.status_code == 422
    assert "temperature_c" in error_of(nonsense)["fields"]
    assert api.post("/api/v1/storage-units/999999/readings", json={"temperature_c": 5}).status_code == 404


def test_cold_02_the_same_unit_and_time_is_one_reading(api_as: Any, fridge: StorageUnit) -> None:
    api = api_as("nurse")
    url = f"/api/v1/storage-units/{fridge.id}/readings"
    assert api.post(url, json={"temperature_c": 5}).status_code == 201
    again = api.post(url, json={"temperature_c": 5})
    assert again.status_code == 409
    assert error_of(again)["code"] == "duplicate_reading"


def test_cold_02_a_practitioner_does_not_record_readings(api_as: Any, fridge: StorageUnit) -> None:
    response = api_as("practitioner").post(
        f"/api/v1/storage-units/{fridge.id}/readings", json={"temperature_c": 5}
    )
    assert response.status_code == 403


def test_cold_02_units_without_a_reading_within_the_interval_are_overdue(
    app: Any, fridge: StorageUnit
) -> None:
    freezer = factories.StorageUnitFactory(name="Freezer 1", kind="freezer", min_dc=-250, max_dc=-100)
    never = factories.StorageUnitFactory(name="Shelf", kind="room", min_dc=200, max_dc=250)
    nurse = factories.UserFactory()
    with clock.frozen_at(NOW - timedelta(hours=13)):
        readings.record_reading(fridge.id, readings.ReadingRequest(temperature_dc=50), user=nurse)
    with clock.frozen_at(NOW - timedelta(hours=11)):
        readings.record_reading(freezer.id, readings.ReadingRequest(temperature_dc=-180), user=nurse)
    overdue = readings.overdue_units()
    assert [(item.unit.name, item.last_at) for item in overdue] == [
        (never.name, None),
        (fridge.name, NOW - timedelta(hours=13)),
    ]
    app.config["READING_INTERVAL_HOURS"] = 14
    try:
        assert [item.unit.name for item in readings.overdue_units()] == [never.name]
    finally:
        app.config["READING_INTERVAL_HOURS"] = 12


def test_cold_02_the_dashboard_flags_a_fridge_not_read_for_too_long(
    client: FlaskClient, login_as: Any, fridge: StorageUnit
) -> None:
    login_as("manager")
    html = client.get("/manager/").get_data(as_text=True)
    assert 'id="tile-readings"' in html
    assert "Fridge 1" in html
    assert "never read" in html


def test_cold_02_the_phone_page_records_a_reading_and_says_out_of_range_in_red(
    client: FlaskClient, login_as: Any, db: Any, fridge: StorageUnit
) -> None:
    login_as("nurse")
    url = f"/cold/units/{fridge.id}/reading"
    page = client.get(url).get_data(as_text=True)
    assert "autofocus" in page
    assert 'inputmode="decimal"' in page
    response = client.post(
        url, data={"csrf_token": csrf_from(page), "temperature_c": "9,5", "min_c": "4", "max_c": "11"}
    )
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "OUT OF RANGE" in follow
    assert "out of range" in follow
    reading = db.session.scalar(select(TemperatureReading))
    assert (reading.temperature_dc, reading.min_dc, reading.max_dc, reading.in_range) == (95, 40, 110, False)


def test_cold_02_the_phone_page_keeps_what_was_typed_when_it_is_wrong(
    client: FlaskClient, login_as: Any, db: Any, fridge: StorageUnit
) -> None:
    login_as("nurse")
    url = f"/cold/units/{fridge.id}/reading"
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_from(page), "temperature_c": "5", "min_c": "7"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "cannot be above the temperature now" in html
    assert 'value="7"' in html
    assert db.session.scalar(select(TemperatureReading)) is None
