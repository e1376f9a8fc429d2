"""A manager in a real browser: dashboard → reorder list → draft order from a suggestion → its PDF."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from inventory.extensions import db
from inventory.models import PurchaseOrder, PurchaseOrderLine
from tests import factories
from tests.manager.conftest import NOW, TODAY, draw, lot, product, vials
from tests.support import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_manager_orders_a_suggestion_and_downloads_its_pdf(browser, live_server, frozen):
    factories.UserFactory(username="mehmet", display_name="Mehmet Demir", roles=("manager",))
    prod = product(name="Biotin 5 mg/mL 1 mL", volume_ul=1000, reorder_point=4, reorder_quantity=10)
    stock = vials(lot(prod, expiry=TODAY + timedelta(days=400)), 2, supplier="Medisupply")
    draw(stock[0], 1000, at=NOW - timedelta(days=1))
    stock[0].remaining_ul, stock[0].status = 0, "empty"
    product_id = prod.id
    db.session.commit()  # from here on, no ORM reads: on SQLite they would hold the write lock

    context = browser.new_context(viewport={"width": 1024, "height": 800}, accept_downloads=True)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(f"{live_server.url}/manager/")
        page.fill("input[name=username]", "mehmet")
        page.fill("input[name=password]", TEST_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/manager/")
        assert page.locator("[data-figure=reorder]").inner_text() == "1"

        page.click("text=Open the reorder list")
        page.wait_for_url(f"{live_server.url}/manager/reorder")
        assert page.locator(f"#pick-{product_id}").is_checked()
        page.click("button:has-text('Create draft orders')")
        page.wait_for_url(f"{live_server.url}/manager/orders/*")
        assert "Medisupply" in page.content()
        assert page.locator("[data-status]").get_attribute("data-status") == "draft"

        with page.expect_download() as download_info:
            page.click("a:has-text('PDF')")
        path = download_info.value.path()
        with open(path, "rb") as pdf:
            assert pdf.read(4) == b"%PDF"
        assert not [e for e in errors if "Content Security Policy" in e], errors
    finally:
        context.close()


def test_po_01_two_lines_edited_in_the_browser_are_both_saved(
    browser: Any, live_server: Any, frozen: Any
) -> None:
    """The line inputs sit in the table, the form outside it (HTML `form=`): one click saves them all."""
    factories.UserFactory(username="selin", roles=("manager",))
    first = product(name="Biotin 1 mL", volume_ul=1000)
    second = product(name="DMAE 5 mL", volume_ul=5000)
    order = PurchaseOrder(number="PO-2026-00001", supplier="Acme", status="draft", created_at=NOW)
    order.lines = [
        PurchaseOrderLine(product=first, quantity=2, unit_cost_minor=100),
        PurchaseOrderLine(product=second, quantity=3, unit_cost_minor=200),
    ]
    db.session.add(order)
    db.session.commit()
    order_id, line_ids = order.id, [line.id for line in order.lines]
    db.session.rollback()

    page = browser.new_page()
    try:
        page.set_default_timeout(10_000)
        page.goto(f"{live_server.url}/manager/orders/{order_id}")
        page.fill("input[name=username]", "selin")
        page.fill("input[name=password]", TEST_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/manager/orders/{order_id}")
        page.fill(f"input[name=quantity-{line_ids[0]}]", "7")
        page.fill(f"input[name=unit_cost-{line_ids[1]}]", "4,75")
        page.click("button:has-text('Save every line')")
        page.wait_for_selector("text=saved.")
        assert page.locator(f"input[name=quantity-{line_ids[0]}]").input_value() == "7"
        assert page.locator(f"input[name=unit_cost-{line_ids[1]}]").input_value() == "4.75"
    finally:
        page.close()
