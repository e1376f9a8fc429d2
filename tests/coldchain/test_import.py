"""COLD-02: a data logger's CSV export, with the columns chosen once per unit and kept."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from inventory.models import Excursion, StorageUnit, TemperatureReading
from tests.coldchain.conftest import NOW, error_of

LOGGER = (
    "Index;Date/Time;Temperature (°C);Battery\n"
    "1;2026-03-09 20:00:00;4,5;98\n"
    "2;2026-03-09 22:00:00;9,1;98\n"
    "3;2026-03-10 00:00:00;5,0;97\n"
)


def _upload(api: Any, unit: StorageUnit, text: str, **mapping: str) -> Any:
    data: dict[str, Any] = {"file": (io.BytesIO(text.encode()), "logger.csv"), **mapping}
    return api.post(
        f"/api/v1/storage-units/{unit.id}/readings/import", data=data, content_type="multipart/form-data"
    )


def test_cold_02_a_logger_export_adds_readings_and_opens_the_excursion_it_shows(
    api_as: Any, db: Any, fridge: StorageUnit
) -> None:
    api = api_as("nurse")
    response = _upload(api, fridge, LOGGER, time_column="Date/Time", temperature_column="Temperature (°C)")
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["created"], response.get_json()["skipped"]) == (3, 0)
    found = list(db.session.scalars(select(TemperatureReading).order_by(TemperatureReading.at)))
    assert [(r.temperature_dc, r.source, r.in_range) for r in found] == [
        (45, "logger", True),
        (91, "logger", False),
        (50, "logger", True),
    ]
    assert found[0].at.isoformat() == "2026-03-09T17:00:00+00:00", "a logger's local time, Istanbul"
    excursion = db.session.scalar(select(Excursion))
    assert (excursion.started_at, excursion.ended_at) == (found[1].at, found[2].at)
    assert found[2].at < NOW


def test_cold_02_the_columns_are_kept_and_a_second_import_skips_known_times(
    api_as: Any, fridge: StorageUnit
) -> None:
    api = api_as("nurse")
    _upload(api, fridge, LOGGER, time_column="Date/Time", temperature_column="Temperature (°C)")
    again = _upload(api, fridge, LOGGER + "4;2026-03-10 02:00:00;4,8;97\n")
    assert again.status_code == 200, again.get_json()
    assert (again.get_json()["created"], again.get_json()["skipped"]) == (1, 3)


def test_cold_02_without_a_mapping_the_columns_are_asked_for(api_as: Any, fridge: StorageUnit) -> None:
    response = _upload(api_as("nurse"), fridge, LOGGER)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "mapping_required"
    assert "Date/Time" in error["fields"]["time_column"]


def test_cold_02_a_wrong_row_imports_nothing_and_says_which(
    api_as: Any, db: Any, fridge: StorageUnit
) -> None:
    bad = LOGGER + "4;yesterday;warm;97\n"
    response = _upload(
        api_as("nurse"), fridge, bad, time_column="Date/Time", temperature_column="Temperature (°C)"
    )
    assert response.status_code == 422
    rows = response.get_json()["rows"]
    assert [(row["line"], row["status"]) for row in rows][-1] == (5, "error")
    assert set(rows[-1]["errors"]) == {"Date/Time", "Temperature (°C)"}
    assert db.session.scalar(select(TemperatureReading)) is None


def test_cold_02_the_import_page_asks_the_columns_once_and_shows_the_rows_to_correct(
    client: Any, login_as: Any, db: Any, fridge: StorageUnit
) -> None:
    from tests.support import csrf_from

    login_as("nurse")
    url = f"/cold/units/{fridge.id}/import"
    page = client.get(url).get_data(as_text=True)
    bad = client.post(
        url,
        data={
            "csrf_token": csrf_from(page),
            "file": (io.BytesIO((LOGGER + "4;yesterday;4,0;97\n").encode()), "logger.csv"),
            "time_column": "Date/Time",
            "temperature_column": "Temperature (°C)",
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 200
    assert "Not a date and time." in bad.get_data(as_text=True)
    good = client.post(
        url,
        data={
            "csrf_token": csrf_from(page),
            "file": (io.BytesIO(LOGGER.encode()), "logger.csv"),
            "time_column": "Date/Time",
            "temperature_column": "Temperature (°C)",
        },
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    follow = client.get(good.headers["Location"]).get_data(as_text=True)
    assert "3 readings imported, 0 already known." in follow
    again = client.get(url).get_data(as_text=True)
    assert 'value="Date/Time"' in again
