"""Receiving every pack the scanner reads (GS1-07): the parse API and the confirmation page."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from inventory import clock
from inventory.models import Lot, Receipt
from inventory.rules.gs1 import GS
from inventory.rules.ifa import ntin_of_pzn, ppn_check_digits
from tests import factories
from tests.stock.conftest import GTIN_LIDO
from tests.stock.test_receive_pages import hidden_scan, scan
from tests.support import csrf_from

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
SAME_FIELDS = {"gtin": GTIN_LIDO, "lot": "ABC123", "expiry": "2027-12-31", "serial": "SN0001"}
PPN = "11" + "03752864" + ppn_check_digits("11" + "03752864")


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen_at(NOW):
        yield


@pytest.mark.parametrize(
    ("raw", "source"),
    [
        ("]d2010950600013435217271231" + "10ABC123" + GS + "21SN0001", "gs1"),
        ("]d8010950600013435217271231" + "10ABC123" + GS + "21SN0001", "gs1"),
        ("https://id.gs1.org/01/09506000134352/10/ABC123/21/SN0001?17=271231", "digital_link"),
        ("]Q1https://scan.example.com/01/09506000134352/10/ABC123/21/SN0001?17=271231", "digital_link"),
        ("]d2[)>\x1e06\x1d8P09506000134352\x1d1TABC123\x1dD271231\x1dSSN0001\x1e\x04", "ifa"),
    ],
)
def test_gs1_07_parse_answers_the_same_fields_for_every_form(api_as, lidocaine, raw, source):
    response = api_as("nurse").post("/api/v1/barcodes/parse", json={"data": raw})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert {key: body[key] for key in SAME_FIELDS} == SAME_FIELDS
    assert (body["kind"], body["source"], body["product_id"]) == ("gs1", source, lidocaine.id)


def test_gs1_07_a_digital_link_serial_that_looks_like_our_code_is_still_a_pack(api_as, lidocaine):
    syringe = factories.SyringeFactory()
    uri = f"https://id.gs1.org/01/09506000134352/10/ABC123/21/{syringe.code}?17=271231"
    body = api_as("nurse").post("/api/v1/barcodes/parse", json={"data": uri}).get_json()
    assert (body["kind"], body["serial"]) == ("gs1", syringe.code)


def test_ifa_parse_names_the_ppn_and_the_ntin(api_as):
    raw = "[)>\x1e06\x1d9N" + PPN + "\x1d1TLOT-7\x1dD271231\x1dSSER1\x1e\x04"
    body = api_as("nurse").post("/api/v1/barcodes/parse", json={"data": raw}).get_json()
    assert (body["gtin"], body["ppn"], body["lot"], body["source"]) == (
        ntin_of_pzn("03752864"),
        PPN,
        "LOT-7",
        "ifa",
    )


def test_ifa_a_broken_ifa_code_is_422_with_a_true_reason(api_as):
    raw = "[)>\x1e06\x1d1TLOT-7\x1dD271231"
    response = api_as("nurse").post("/api/v1/barcodes/parse", json={"data": raw})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_barcode"
    assert error["fields"]["reason"] == "ifa_no_product"
    assert "no product number" in error["message"]


def test_gs1_05_parse_flags_a_lot_that_swallowed_the_serial(api_as, lidocaine):
    raw = "]d2010950600013435217271231" + "10ABC12321SN0001"
    body = api_as("nurse").post("/api/v1/barcodes/parse", json={"data": raw}).get_json()
    assert (body["lot"], body["serial"], body["lot_warnings"]) == ("ABC12321SN0001", None, ["serial_in_lot"])


def test_gs1_05_the_confirmation_page_warns_about_a_swallowed_lot(client, login_as, lidocaine):
    login_as("nurse")
    html = scan(client, "]d2010950600013435217271231" + "10ABC12321SN0001").get_data(as_text=True)
    assert 'data-testid="lot-warning"' in html
    assert "swallowed the serial" in html
    fine = scan(client, "]d2010950600013435217271231" + "10ABC123" + GS + "21SN0001").get_data(as_text=True)
    assert 'data-testid="lot-warning"' not in fine


def test_gs1_05_the_confirmation_page_warns_about_an_asterisk_in_the_lot(client, login_as, lidocaine):
    login_as("nurse")
    html = scan(client, "]d2010950600013435217271231" + "10ABC*SN0001").get_data(as_text=True)
    assert 'data-testid="lot-warning"' in html
    assert "instead of the separator" in html


def test_gs1_07_a_digital_link_pack_is_received(client, login_as, lidocaine, db):
    login_as("nurse")
    uri = "]Q1https://id.gs1.org/01/09506000134352/10/ABC123/21/SN0001?17=271231"
    response = scan(client, uri)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Lidocaine HCl 2% 20 mL" in html
    assert "ABC123" in html
    assert "GS1 Digital Link" in html
    confirmed = client.post(
        "/stock/receive/confirm",
        data={"csrf_token": csrf_from(html), "scan": hidden_scan(html), "vials": "2", "product_id": "0"},
    )
    assert confirmed.status_code == 302, confirmed.get_data(as_text=True)
    lot = db.session.scalar(select(Lot))
    assert (lot.number, lot.expiry) == ("ABC123", date(2027, 12, 31))
    assert db.session.scalar(select(Receipt.serial)) == "SN0001"
