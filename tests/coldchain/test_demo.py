"""The demo (domain.md §5): a fridge with a month of readings and one closed excursion (COLD-01..06)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from inventory import demo
from inventory.models import Excursion, StorageUnit, TemperatureReading, Vial
from inventory.services import usability


def test_cold_demo_has_a_fridge_with_a_month_of_readings_and_one_closed_excursion(app: Any, db: Any) -> None:
    assert demo.load()
    fridge = db.session.scalar(select(StorageUnit).where(StorageUnit.kind == "fridge"))
    count = db.session.scalar(
        select(func.count(TemperatureReading.id)).where(TemperatureReading.storage_unit_id == fridge.id)
    )
    assert count == 60
    excursions = list(db.session.scalars(select(Excursion)))
    assert [(e.storage_unit_id, e.status, e.ended_at is not None) for e in excursions] == [
        (fridge.id, "closed", True)
    ]
    fridge_vials = list(db.session.scalars(select(Vial).where(Vial.storage_unit_id == fridge.id)))
    assert fridge_vials, "receiving put the fridge products in the fridge"
    states = usability.vial_states(fridge_vials)
    assert all(state.blocked_reason != "temperature_hold" for state in states.values())


def test_cold_demo_excursion_shows_on_the_managers_pages(
    app: Any, db: Any, client: Any, login_as: Any
) -> None:
    assert demo.load()
    excursion = db.session.scalar(select(Excursion))
    login_as("manager", username="demo-page-manager")
    listed = client.get("/cold/excursions").get_data(as_text=True)
    assert f'id="excursion-{excursion.id}"' in listed
    page = client.get(f"/cold/excursions/{excursion.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "11.2 °C" in html, "the worst reading of the demo's excursion"
    assert "decision-form" not in html, "every lot and batch was decided"
