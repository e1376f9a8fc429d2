"""The receiving pages: scan → confirm → vials; by hand; every bad input answers with the form again."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from inventory import clock
from inventory.models import Lot, Product, Receipt, Vial
from inventory.rules.gs1 import GS, build_gs1
from tests import factories
from tests.stock.conftest import GTIN_SPARE
from tests.support import csrf_from

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
G1 = "]d2010950600013435217271231" + "10ABC123" + GS + "21SN0001"


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen_at(NOW):
        yield


def scan(client, raw):
    page = client.get("/stock/receive")
    assert page.status_code == 200
    return client.post(
        "/stock/receive", data={"scan": raw, "csrf_token": csrf_from(page.get_data(as_text=True))}
    )


def hidden_scan(html):
    import re

    return re.search(r'name="scan" type="hidden" value="([^"]*)"', html).group(1)


def test_gs1_06_scan_shows_what_was_read_before_any_stock(client, login_as, lidocaine, db):
    login_as("nurse")
    response = scan(client, G1)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Lidocaine HCl 2% 20 mL" in html
    assert "ABC123" in html
    assert "2027-12-31" in html
    assert "SN0001" in html
    assert db.session.query(Vial).count() == 0


def test_confirm_creates_the_vials_and_shows_them(client, login_as, lidocaine, db):
    login_as("nurse")
    html = scan(client, G1).get_data(as_text=True)
    response = client.post(
        "/stock/receive/confirm",
        data={
            "csrf_token": csrf_from(html),
            "scan": hidden_scan(html),
            "vials": "4",
            "supplier": "Acme",
            "unit_cost": "12,50",
            "location": "Shelf 1",
            "product_id": "0",
        },
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    vials = db.session.scalars(select(Vial)).all()
    assert len(vials) == 4
    assert all(vial.code in page for vial in vials)
    assert {vial.location for vial in vials} == {"Shelf 1"}
    receipt = db.session.scalar(select(Receipt))
    assert (receipt.serial, receipt.unit_cost_minor, receipt.supplier) == ("SN0001", 1250, "Acme")


def test_bad_scan_shows_the_reason_on_the_form(client, login_as, lidocaine):
    login_as("nurse")
    response = scan(client, "]d201095060001343531727123110ABC123")
    assert response.status_code == 200
    assert "check digit" in response.get_data(as_text=True)


def test_expired_pack_is_refused_at_the_scan(client, login_as, lidocaine):
    login_as("nurse")
    response = scan(client, build_gs1("09506000134352", date(2026, 3, 9), "OLD"))
    assert response.status_code == 200
    assert "expired on 2026-03-09" in response.get_data(as_text=True)


def test_empty_scan_is_refused(client, login_as):
    login_as("nurse")
    assert "This field is required" in scan(client, "").get_data(as_text=True)


def test_unknown_gtin_offers_the_product_list_and_learns_the_gtin(client, login_as, db):
    product = factories.ProductFactory(name="Biotin 5 mg/mL 1 mL", gtin=None)
    login_as("nurse")
    html = scan(client, build_gs1(GTIN_SPARE, date(2027, 1, 31), "B1")).get_data(as_text=True)
    assert "unknown GTIN" in html
    assert "Biotin 5 mg/mL 1 mL" in html
    form = {"csrf_token": csrf_from(html), "scan": hidden_scan(html), "vials": "2", "product_id": "0"}
    refused = client.post("/stock/receive/confirm", data={**form, "remember_gtin": "y"})
    assert refused.status_code == 200
    assert "Choose the product of this pack" in refused.get_data(as_text=True)
    response = client.post(
        "/stock/receive/confirm", data={**form, "product_id": str(product.id), "remember_gtin": "y"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Product, product.id).gtin == GTIN_SPARE


def test_confirm_with_bad_input_shows_the_form_again(client, login_as, lidocaine, db):
    login_as("nurse")
    html = scan(client, G1).get_data(as_text=True)
    for bad in ({"vials": "0"}, {"vials": "x"}, {"unit_cost": "-3"}, {"location": "x" * 80}):
        data = {"csrf_token": csrf_from(html), "scan": hidden_scan(html), "vials": "1", **bad}
        response = client.post("/stock/receive/confirm", data=data)
        assert response.status_code == 200, bad
        assert 'aria-invalid="true"' in response.get_data(as_text=True), bad
    assert db.session.query(Vial).count() == 0


def test_tampered_hidden_scan_goes_back_to_scanning(client, login_as, lidocaine):
    login_as("nurse")
    html = scan(client, G1).get_data(as_text=True)
    response = client.post(
        "/stock/receive/confirm", data={"csrf_token": csrf_from(html), "scan": "garbage", "vials": "1"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/stock/receive")


def test_duplicate_serial_is_refused_on_the_page(client, login_as, lidocaine):
    login_as("nurse")
    html = scan(client, G1).get_data(as_text=True)
    data = {"csrf_token": csrf_from(html), "scan": hidden_scan(html), "vials": "1"}
    assert client.post("/stock/receive/confirm", data=data).status_code == 302
    again = scan(client, G1)
    assert "received already" in again.get_data(as_text=True)


def test_manual_receipt_without_barcode(client, login_as, lidocaine, db):
    login_as("nurse")
    page = client.get("/stock/receive/manual").get_data(as_text=True)
    response = client.post(
        "/stock/receive/manual",
        data={
            "csrf_token": csrf_from(page),
            "product_id": str(lidocaine.id),
            "lot": " lido-9 ",
            "expiry": "2027-05-31",
            "vials": "3",
        },
    )
    assert response.status_code == 302
    lot = db.session.scalar(select(Lot))
    assert (lot.number, lot.expiry) == ("LIDO-9", date(2027, 5, 31))
    assert len(lot.vials) == 3
    assert all(vial.remaining_ul == 20_000 for vial in lot.vials)


@pytest.mark.parametrize(
    "bad",
    [
        {"product_id": "0"},
        {"product_id": "abc"},
        {"lot": ""},
        {"lot": "A B"},
        {"expiry": "31.12.2027"},
        {"expiry": "2026-03-01"},
        {"vials": "-1"},
    ],
)
def test_manual_receipt_bad_input_answers_with_the_form(client, login_as, lidocaine, db, bad):
    login_as("nurse")
    page = client.get("/stock/receive/manual").get_data(as_text=True)
    data = {
        "csrf_token": csrf_from(page),
        "product_id": str(lidocaine.id),
        "lot": "L1",
        "expiry": "2027-05-31",
        "vials": "1",
        **bad,
    }
    response = client.post("/stock/receive/manual", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html or "flash-error" in html
    assert db.session.query(Vial).count() == 0


def test_practitioner_cannot_open_the_receiving_page(client, login_as):
    login_as("practitioner")
    assert client.get("/stock/receive").status_code == 403


def test_a_refused_scan_is_shown_again_with_the_gs_substitute(client, login_as, lidocaine):
    login_as("nurse")
    html = scan(client, "]d2010950600013435210AB C" + GS + "17271231").get_data(as_text=True)
    assert 'value="]d2010950600013435210AB C~17271231"' in html


def test_a_code_without_lot_asks_for_it(client, login_as, lidocaine, db):
    login_as("nurse")
    html = scan(client, build_gs1("09506000134352", date(2027, 6, 30))).get_data(as_text=True)
    assert "not in the code" in html
    assert 'name="lot"' in html
    data = {"csrf_token": csrf_from(html), "scan": hidden_scan(html), "vials": "1"}
    missing = client.post("/stock/receive/confirm", data=data)
    assert missing.status_code == 200
    assert "Enter the lot number" in missing.get_data(as_text=True)
    done = client.post("/stock/receive/confirm", data={**data, "lot": "abc9"})
    assert done.status_code == 302
    assert db.session.scalar(select(Lot.number)) == "ABC9"
