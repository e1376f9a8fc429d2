"""COLD-06: a unit's log: the chart of the last 30 days, the month's readings as CSV and as a PDF."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pypdfium2
from flask.testing import FlaskClient

from inventory import clock
from inventory.models import StorageUnit
from inventory.services import excursions, readings
from inventory.services.coldlog import CSV_HEADER
from tests import factories
from tests.coldchain.conftest import NOW


def _readings(fridge: StorageUnit) -> None:
    nurse = factories.UserFactory(username="ayse", initials="AY")
    for hours, tenths in ((30, 45), (18, 50), (6, 95), (1, 60)):
        with clock.frozen_at(NOW - timedelta(hours=hours)):
            readings.record_reading(
                fridge.id,
                readings.ReadingRequest(temperature_dc=tenths, min_dc=30, max_dc=tenths),
                user=nurse,
            )


def _pdf_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    try:
        return "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


def test_cold_06_the_unit_page_draws_the_readings_as_svg(
    client: FlaskClient, login_as: Any, fridge: StorageUnit
) -> None:
    _readings(fridge)
    login_as("nurse")
    html = client.get(f"/cold/units/{fridge.id}").get_data(as_text=True)
    assert "<svg" in html
    assert "Readings, last 30 days" in html
    assert "out of range" in html


def test_cold_06_the_months_readings_export_as_csv(
    client: FlaskClient, login_as: Any, fridge: StorageUnit
) -> None:
    _readings(fridge)
    login_as("manager")
    response = client.get(f"/cold/units/{fridge.id}/log.csv?month=2026-03")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["temperature_c"], r["in_range"], r["recorded_by"]) for r in rows] == [
        ("4.5", "yes", "AY"),
        ("5.0", "yes", "AY"),
        ("9.5", "no", "AY"),
        ("6.0", "yes", "AY"),
    ]
    other_month = client.get(f"/cold/units/{fridge.id}/log.csv?month=2026-02").get_data(as_text=True)
    assert list(csv.reader(io.StringIO(other_month))) == [list(CSV_HEADER)]


def test_cold_06_the_monthly_log_prints_readings_initials_and_excursion_decisions(
    client: FlaskClient, login_as: Any, db: Any, fridge: StorageUnit
) -> None:
    lot = factories.LotFactory(number="HY123")
    factories.VialFactory(lot=lot, storage_unit_id=fridge.id)
    _readings(fridge)
    manager = factories.UserFactory(roles=("manager",))
    excursion = excursions.list_excursions()[0]
    excursions.decide(
        excursion.id,
        excursions.DecisionRequest(decision="release", reason="Stability letter 42", lot_id=lot.id),
        user=manager,
    )
    login_as("manager")
    response = client.get(f"/cold/units/{fridge.id}/log.pdf?month=2026-03")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    text = _pdf_text(response.data)
    assert "Fridge 1" in text
    assert "AY" in text
    assert "9.5" in text
    assert "HY123" in text
    assert "Stability letter 42" in text
    assert "closed" in text


def test_cold_06_a_bad_month_is_refused(client: FlaskClient, login_as: Any, fridge: StorageUnit) -> None:
    login_as("manager")
    assert client.get(f"/cold/units/{fridge.id}/log.csv?month=March").status_code == 422
