"""A nurse receives a pack in a real browser, the handheld scanner typing the DataMatrix (GS as Ctrl+])."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inventory.models import Vial
from tests import factories
from tests.stock.conftest import GTIN_LIDO
from tests.support import TEST_PASSWORD, focused

pytestmark = pytest.mark.browser


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def test_gs1_06_scan_a_pack_with_the_handheld_scanner_confirm_and_see_the_vials(page, live_server, app, db):
    factories.ProductFactory(name="Lidocaine HCl 2% 20 mL", volume_ul=20_000, gtin=GTIN_LIDO)
    factories.UserFactory(username="ayse", roles=("nurse",))
    sign_in(page, live_server.url, "ayse")
    page.goto(f"{live_server.url}/stock/receive")
    assert focused(page, "id") == "scan"

    # What a scanner types: the fields, Ctrl+] for each group separator, then Enter.
    page.keyboard.type("]d2010950600013435217291231" + "10LOT-42A")
    page.keyboard.press("Control+BracketRight")
    page.keyboard.type("21SN0001")
    assert page.evaluate("document.getElementById('scan').value.includes('\\u001d')")
    page.keyboard.press("Enter")

    page.wait_for_selector("#pack-lot")
    assert page.inner_text("#pack-product") == "Lidocaine HCl 2% 20 mL"
    assert page.inner_text("#pack-lot") == "LOT-42A"
    assert page.inner_text("#pack-expiry") == "2029-12-31"
    assert page.inner_text("#pack-serial") == "SN0001"
    page.fill("input[name=vials]", "3")
    page.fill("input[name=supplier]", "Acme")
    page.click("button[type=submit].big")

    page.wait_for_selector("#received-vials")
    shown = page.locator(".vial-code").all_inner_texts()
    stored = db.session.scalars(select(Vial.code).order_by(Vial.id)).all()
    assert len(shown) == 3
    assert shown == stored
