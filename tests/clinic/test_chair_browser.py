"""The chair, slip-proof, in Debian's Chromium (SAFE-12, SAFE-14): "Not given" leaves the syringe
available and the chart clean; nothing carries over from one scan to the next; an allergy is a red
screen naming the substance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from inventory.models import Administration, Syringe
from tests import factories
from tests.clinic.conftest import Made
from tests.clinic.test_browser import assert_all_local, drive_browser, new_page
from tests.support import focused

pytestmark = pytest.mark.browser


@pytest.fixture
def chair(make_syringe: Callable[..., Made], db: Any) -> dict[str, Any]:
    """Plain values only, and no transaction left open (SQLite: the live server would wait for it)."""
    doctor = factories.UserFactory(username="dr-chair", roles=("practitioner",))
    patient = factories.PatientFactory(name="Gülşen Yıldırım")
    factories.PatientAllergyFactory(patient_id=patient.id, substance="lidocaine", reaction="hives")
    session = factories.SessionFactory(practitioner=doctor, patient=patient)
    first = make_syringe(syringe={"volume_ul": 3000})
    second = make_syringe(syringe={"volume_ul": 2000})
    with_lidocaine = make_syringe(lots=[{"product__substances": ["lidocaine"]}])
    values = {
        "session_id": session.id,
        "first": first.syringe.code,
        "first_id": first.syringe.id,
        "second": second.syringe.code,
        "second_id": second.syringe.id,
        "lidocaine": with_lidocaine.syringe.code,
    }
    db.session.commit()
    return values


def _session_page(browser: Any, live_server: Any, chair: dict[str, Any]) -> tuple[Any, list[str]]:
    """The practitioner's phone, signed in, on the session's scan page."""
    page, urls = new_page(browser, live_server, "dr-chair")
    page.goto(f"{live_server.url}/clinic/sessions/{chair['session_id']}")
    return page, urls


def _scan(page: Any, code: str) -> None:
    page.locator("#scan-code").fill(code)
    page.keyboard.press("Enter")


def _administrations(db: Any, syringe_id: int) -> list[Administration]:
    db.session.rollback()
    db.session.expire_all()
    statement = (
        select(Administration).where(Administration.syringe_id == syringe_id).order_by(Administration.id)
    )
    return list(db.session.scalars(statement))


def test_safe_14_green_scan_then_not_given_leaves_the_syringe_available_and_the_chart_clean(
    live_server: Any, chair: dict[str, Any], db: Any
) -> None:
    def body(browser: Any) -> None:
        page, urls = _session_page(browser, live_server, chair)
        _scan(page, chair["first"])
        green = page.locator(".verdict.ok")
        green.wait_for()
        assert "Gülşen Yıldırım" in green.inner_text()
        assert chair["first"] in green.inner_text()
        page.click("[data-not-given]")
        page.click('button[name="reason"][value="not_given"]')
        green.wait_for(state="detached")
        assert focused(page, "id") == "scan-code"
        log = page.locator("#session-log")
        log.locator('[data-status="voided"]').wait_for()
        assert "scanned, not given" in log.inner_text()
        assert log.locator('[data-status="given"]').count() == 0
        # The syringe is available again: scanning it now is green.
        _scan(page, chair["first"])
        page.locator(".verdict.ok").wait_for()
        assert_all_local(urls, live_server)

    drive_browser(body)
    rows = _administrations(db, chair["first_id"])
    assert [row.voided for row in rows] == [True, False]
    assert db.session.get(Syringe, chair["first_id"]).status == "administered"
    db.session.rollback()


def test_safe_14_partial_volume_and_site_belong_to_one_scan(
    live_server: Any, chair: dict[str, Any], db: Any
) -> None:
    def body(browser: Any) -> None:
        page, _urls = _session_page(browser, live_server, chair)
        page.click("details.scan-options summary")
        page.fill("input[name=site]", "left thigh")
        page.fill("input[name=volume]", "1,5")
        _scan(page, chair["first"])
        green = page.locator(".verdict.ok")
        green.wait_for()
        assert "left thigh" in green.locator("[data-recorded-site]").inner_text()
        assert "1.5" in green.locator("[data-recorded-volume]").inner_text()
        page.click("[data-given]")
        green.wait_for(state="detached")
        assert page.input_value("input[name=site]") == ""
        assert page.input_value("input[name=volume]") == ""
        _scan(page, chair["second"])  # nothing typed for this one
        page.locator(".verdict.ok").wait_for()
        page.click("[data-given]")
        page.locator('#session-log [data-status="given"] .tag.ok').nth(1).wait_for()

    drive_browser(body)
    (first,) = _administrations(db, chair["first_id"])
    (second,) = _administrations(db, chair["second_id"])
    assert (first.volume_ul, first.site) == (1500, "left thigh")
    assert (second.volume_ul, second.site) == (2000, "")
    db.session.rollback()


def test_safe_14_a_bad_partial_volume_says_what_is_wrong_with_the_volume(
    live_server: Any, chair: dict[str, Any], db: Any
) -> None:
    def body(browser: Any) -> None:
        page, _urls = _session_page(browser, live_server, chair)
        page.click("details.scan-options summary")
        page.fill("input[name=volume]", "lots")
        _scan(page, chair["first"])
        error = page.locator('[data-verdict="error"]')
        error.wait_for()
        assert "volume" in error.inner_text().lower()
        assert "could not be read. Please scan again" not in error.inner_text()

    drive_browser(body)
    assert _administrations(db, chair["first_id"]) == []
    db.session.rollback()


def test_safe_12_allergy_shows_a_red_screen_naming_the_substance(
    live_server: Any, chair: dict[str, Any]
) -> None:
    def body(browser: Any) -> None:
        page, _urls = _session_page(browser, live_server, chair)
        assert "lidocaine" in page.inner_text("[data-safety]")
        _scan(page, chair["lidocaine"])
        red = page.locator(".verdict.blocked")
        red.wait_for()
        allergy = red.locator('[data-reason="allergy"]')
        assert allergy.count() == 1
        assert "lidocaine" in allergy.inner_text()

    drive_browser(body)
