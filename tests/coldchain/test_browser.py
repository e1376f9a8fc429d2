"""COLD-03 and SAFE-16 in Debian's Chromium: a nurse's reading on a phone opens an excursion, and the
scan of a syringe from that fridge answers red with the temperature hold."""

from __future__ import annotations

from typing import Any

import pytest

from inventory.models import StorageUnit
from tests import factories
from tests.clinic.test_browser import drive_browser, new_page
from tests.coldchain.conftest import NOW

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(db: Any, fridge: StorageUnit) -> dict[str, Any]:
    """Plain values only and no transaction left open (the live server must be able to write)."""
    factories.UserFactory(username="nurse-ayse", roles=("nurse",))
    doctor = factories.UserFactory(username="dr-elif", roles=("practitioner",))
    session = factories.SessionFactory(
        practitioner=doctor, patient=factories.PatientFactory(name="Elif Işık")
    )
    batch = factories.BatchFactory(category="category_1", storage="fridge", prepared_at=NOW)
    factories.DrawFactory(batch=batch)
    syringe = factories.SyringeFactory(batch=batch, storage="fridge", storage_unit_id=fridge.id)
    values = {"unit_id": fridge.id, "session_id": session.id, "syringe": syringe.code}
    db.session.commit()
    return values


def test_cold_03_a_reading_on_the_phone_opens_an_excursion_and_the_scan_is_red(
    live_server: Any, scene: dict[str, Any]
) -> None:
    def body(browser: Any) -> None:
        page, _urls = new_page(browser, live_server, "nurse-ayse")
        page.goto(f"{live_server.url}/cold/units/{scene['unit_id']}/reading")
        assert page.evaluate("document.activeElement.name") == "temperature_c"
        page.keyboard.type("9,5")
        page.fill("input[name=max_c]", "11")
        page.click("button.big[type=submit]")
        page.wait_for_url(f"{live_server.url}/cold/units/{scene['unit_id']}")
        assert "OUT OF RANGE" in page.locator("body").inner_text()
        assert page.locator(".tag.stop").count() == 1

        doctor, _urls = new_page(browser, live_server, "dr-elif")
        doctor.goto(f"{live_server.url}/clinic/sessions/{scene['session_id']}")
        doctor.keyboard.type(scene["syringe"])
        doctor.keyboard.press("Enter")
        red = doctor.locator(".verdict.blocked")
        red.wait_for()
        assert red.locator('[data-reason="temperature_hold"]').count() == 1
        assert "Temperature hold" in red.inner_text()
        assert doctor.locator(".verdict.ok").count() == 0

    drive_browser(body)
