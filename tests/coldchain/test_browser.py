"""COLD-03 and SAFE-16 in Debian's Chromium: a nurse's reading on a phone opens an excursion, and the
scan of a syringe from that fridge answers red with the temperature hold; COLD-04: a manager decides
the excursion on a 390 px phone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from inventory.models import StorageUnit, Vial
from inventory.services import readings
from tests import factories
from tests.clinic.test_browser import drive_browser, new_page
from tests.coldchain.conftest import NOW
from tests.support import TEST_PASSWORD, focused

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
        assert focused(page) == "temperature_c"
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


@pytest.fixture
def held(db: Any, fridge: StorageUnit) -> dict[str, Any]:
    """A fridge whose excursion holds one lot's vial; plain values, no transaction left open."""
    nurse = factories.UserFactory(username="nurse-ayse", roles=("nurse",))
    factories.UserFactory(username="manager-deniz", roles=("manager",), display_name="Deniz Manager")
    lot = factories.LotFactory(number="L2417")
    vial = factories.VialFactory(lot=lot, storage_unit_id=fridge.id)
    db.session.commit()
    recorded = readings.record_reading(
        fridge.id, readings.ReadingRequest(temperature_dc=105, at=NOW - timedelta(hours=1)), user=nurse
    )
    values = {"excursion_id": recorded.excursion_id, "lot_id": lot.id, "vial_id": vial.id}
    db.session.commit()
    return values


def test_cold_04_a_manager_decides_an_excursion_on_a_phone(
    live_server: Any, held: dict[str, Any], db: Any
) -> None:
    def body(browser: Any) -> None:
        context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{live_server.url}/login")
        page.fill("input[name=username]", "manager-deniz")
        page.fill("input[name=password]", TEST_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/cold/excursions")
        page.click(f"#excursion-{held['excursion_id']} a >> nth=0")
        page.wait_for_url(f"{live_server.url}/cold/excursions/{held['excursion_id']}")
        card = page.locator(f"#lot-{held['lot_id']}")
        assert "L2417" in card.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling"
        button = card.locator("button[type=submit]")
        assert button.bounding_box()["height"] >= 44, "a large target"
        card.locator("label", has_text="Release").click()
        button.click()  # no reason: refused, the choice kept
        page.wait_for_load_state()
        card = page.locator(f"#lot-{held['lot_id']}")
        assert card.locator(".field-error").count() == 1
        assert card.locator("input[value=release]").is_checked()
        card.locator("textarea").fill("Maker's letter 2026-11: stable 48 h up to 25 °C")
        card.locator("button[type=submit]").click()
        page.wait_for_url(f"**/cold/excursions/{held['excursion_id']}#lot-{held['lot_id']}")
        decided = page.locator(f"#lot-{held['lot_id']} .decided")
        assert "Maker's letter 2026-11" in decided.inner_text()
        assert "Deniz Manager" in decided.inner_text()
        assert page.locator(".decision-form").count() == 0

    drive_browser(body)
    db.session.expire_all()
    vial = db.session.get(Vial, held["vial_id"])
    assert vial is not None
    assert vial.status == "sealed"
