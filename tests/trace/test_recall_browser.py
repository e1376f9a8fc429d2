"""A manager enters a recall through the page, marks a patient contacted and downloads the CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from inventory.extensions import db
from tests import factories
from tests.support import TEST_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_rcl_05_recall_entered_in_the_browser_follow_up_and_csv(scenario, live_server, page, tmp_path: Path):
    factories.UserFactory(username="quality", display_name="Quality Manager", roles=("manager",))
    lot_id, p12, p15 = scenario.lot_2409.id, scenario.p12.id, scenario.p15.id
    db.session.rollback()  # SQLite: no transaction of ours may hold the write lock the server needs
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", "quality")
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/trace/recalls")
    page.click("text=New recall")
    page.wait_for_load_state("load")
    page.select_option("#lot_id", str(lot_id))
    expect(page.locator("#lot")).to_be_disabled()
    page.select_option("#classification", "I")
    page.fill("#reason", "Sterility failure reported by the manufacturer")
    page.fill("#reference", "MFR-2025-014")
    page.click("text=Review what will be quarantined")

    confirm = page.locator(".confirm-recall")
    assert "2 patients received it" in confirm.inner_text()
    assert "2 batches made with it" in confirm.inner_text()
    page.click("#confirm-recall")
    page.wait_for_url("**/trace/recalls/*")
    assert "quarantined" in page.locator(".flash-success").inner_text()

    row = page.locator(f"#patient-{p12}")
    row.locator("select[name=status]").select_option("contacted")
    row.locator("input[name=note]").fill("Called, no reaction")
    row.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(f"#patient-{p12} span.tag").first.inner_text() == "Contacted"

    with page.expect_download() as info:
        page.click("#csv-link")
    target = tmp_path / "patients.csv"
    info.value.save_as(target)
    rows = list(csv.DictReader(target.read_text(encoding="utf-8-sig").splitlines()))
    by_id = {int(row["patient_id"]): row for row in rows}
    assert set(by_id) == {p12, p15}
    assert by_id[p12]["status"] == "contacted"
    assert by_id[p12]["note"] == "Called, no reaction"
    assert by_id[p15]["status"] == "pending"
    assert by_id[p15]["administrations"] == "2"
    assert by_id[p12]["name"] == "Ayşe Yılmaz"
