"""Vial labels at receipt and reprints (LBL-03, api.md "Bench"): the receipt response has
receipt_id; /labels/receipts/{id}.pdf|.zpl holds one label per vial and /labels/vials/{code}.pdf one;
every print is recorded per vial, first print or reprint; the pages offer printing."""

from __future__ import annotations

import re
from typing import Any

import pytest
import zxingcpp
from sqlalchemy import select

from inventory.models import AuditEntry, VialLabelPrint
from tests import factories
from tests.labels.conftest import render_page
from tests.support import csrf_from

QR = zxingcpp.BarcodeFormat.QRCode


@pytest.fixture
def multi_dose(app: Any) -> Any:
    return factories.ProductFactory(
        name="Lidocaine HCl 2% 20 mL", strength="20 mg/mL", container="multi_dose", volume_ul=20000
    )


def _receive(api: Any, product: Any, vials: int = 3) -> dict[str, Any]:
    response = api.post(
        "/api/v1/receipts",
        json={"product_id": product.id, "lot": "LIDO-77", "expiry": "2027-03-31", "vials": vials},
    )
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def test_lbl_03_receipt_response_has_receipt_id(api_as: Any, multi_dose: Any) -> None:
    body = _receive(api_as("nurse"), multi_dose)
    assert body["receipt_id"] == body["id"]


@pytest.mark.parametrize("layout", ["roll-50x25", "a4-l7651", "a4-l7163"])
def test_lbl_03_one_label_per_vial_that_scans_with_its_facts(
    api_as: Any, multi_dose: Any, db: Any, layout: str, pdf_pages: Any, text_of: Any
) -> None:
    api = api_as("nurse")
    body = _receive(api, multi_dose)
    codes = [vial["code"] for vial in body["vials"]]

    response = api.get(f"/labels/receipts/{body['receipt_id']}.pdf?layout={layout}")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    pages = pdf_pages(response.data)
    found = [
        (s.text, s.format)
        for page in pages
        for s in zxingcpp.read_barcodes(render_page(page, 203), formats=QR)  # type: ignore[arg-type]
    ]
    assert sorted(found) == sorted((code, QR) for code in codes)
    text = " ".join(text_of(page) for page in pages)
    for fact in (
        "Lidocaine HCl 2% 20 mL",
        "Lot LIDO-77",
        "Exp 2027-03-31",
        "Opened ________",
        "Use by ________",
    ):
        assert fact in text
    for code in codes:
        assert code in text
    rows = list(db.session.scalars(select(VialLabelPrint).order_by(VialLabelPrint.id)))
    assert [(r.receipt_id, r.layout, r.output, r.reprint, r.printed_by_id) for r in rows] == [
        (body["receipt_id"], layout, "pdf", False, api.user.id)
    ] * 3
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "vial_labels_printed"))


def test_lbl_03_a_single_dose_vial_has_no_opened_line(api_as: Any, pdf_pages: Any, text_of: Any) -> None:
    ampoule = factories.ProductFactory(name="Vitamin C 100 mg/mL 5 mL", container="ampoule")
    api = api_as("nurse")
    body = _receive(api, ampoule, vials=1)
    (page,) = pdf_pages(api.get(f"/labels/receipts/{body['receipt_id']}.pdf").data)
    assert "Opened" not in text_of(page)


def test_lbl_03_zpl_has_one_format_per_vial(api_as: Any, multi_dose: Any) -> None:
    api = api_as("nurse")
    body = _receive(api, multi_dose)
    zpl = api.get(f"/labels/receipts/{body['receipt_id']}.zpl?layout=zebra-2x1in&dpi=300").get_data(
        as_text=True
    )
    assert zpl.count("^XA") == 3
    assert re.findall(r"\^FDMA,(\w+)\^FS", zpl) == [vial["code"] for vial in body["vials"]]
    assert "^PW610" in zpl  # 50.8 mm at 12 dots/mm


def test_lbl_03_a_vial_reprint_is_recorded_as_a_reprint(api_as: Any, multi_dose: Any, db: Any) -> None:
    api = api_as("nurse")
    body = _receive(api, multi_dose)
    first, second = body["vials"][0]["code"], body["vials"][1]["code"]
    api.get(f"/labels/vials/{first}.pdf")
    api.get(f"/labels/receipts/{body['receipt_id']}.pdf")
    api.get(f"/labels/vials/{first}.pdf?layout=roll-62x29")

    rows = [
        (r.vial_id, r.reprint, r.layout)
        for r in db.session.scalars(select(VialLabelPrint).order_by(VialLabelPrint.id))
    ]
    ids = {vial["code"]: vial["id"] for vial in body["vials"]}
    assert rows[0] == (ids[first], False, "roll-50x25")
    assert (ids[first], True, "roll-50x25") in rows[1:4]
    assert (ids[second], False, "roll-50x25") in rows[1:4]
    assert rows[-1] == (ids[first], True, "roll-62x29")
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "vial_labels_reprinted"))


def test_vial_labels_refusals_are_clear(api_as: Any, multi_dose: Any, db: Any) -> None:
    api = api_as("nurse")
    body = _receive(api, multi_dose)
    assert api.get("/labels/receipts/99999.pdf").status_code == 404
    assert api.get("/labels/vials/VNOTACODE0.pdf").status_code == 404
    sheet = api.get(f"/labels/receipts/{body['receipt_id']}.zpl?layout=a4-l7651")
    assert sheet.status_code == 422
    assert sheet.get_json()["error"]["code"] == "unsupported_layout"
    assert api.get(f"/labels/receipts/{body['receipt_id']}.pdf?layout=nope").status_code == 422
    assert api_as("practitioner").get(f"/labels/receipts/{body['receipt_id']}.pdf").status_code == 403
    assert db.session.scalar(select(VialLabelPrint.id)) is None


def test_after_a_receipt_the_page_offers_the_labels_and_the_vial_and_lot_pages_reprint(
    login_as: Any, client: Any, multi_dose: Any, db: Any
) -> None:
    login_as("nurse")
    form = client.get("/stock/receive/manual")
    response = client.post(
        "/stock/receive/manual",
        data={
            "product_id": multi_dose.id,
            "lot": "LIDO-77",
            "expiry": "2027-03-31",
            "vials": "2",
            "csrf_token": csrf_from(form.get_data(as_text=True)),
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert 'data-testid="print-vial-labels"' in html
    (receipt_pdf,) = re.findall(r'action="(/labels/receipts/\d+\.pdf)"', html)
    assert client.get(receipt_pdf + "?layout=roll-50x25").data.startswith(b"%PDF")

    vial_link = re.findall(r'href="(/stock/vials/\d+)"', html)[0]
    vial_page = client.get(vial_link).get_data(as_text=True)
    assert re.search(r'action="/labels/vials/V\w+\.pdf"', vial_page)
    assert "first print" in vial_page  # the receipt's print, listed on the vial
    lot_link = re.findall(r'href="(/stock/lots/\d+)"', html)[0]
    lot_page = client.get(lot_link).get_data(as_text=True)
    assert f'action="{receipt_pdf}"' in lot_page


def test_a_refused_vial_zpl_is_said_on_the_receipt_page(
    login_as: Any, client: Any, api_as: Any, multi_dose: Any
) -> None:
    body = _receive(api_as("nurse"), multi_dose)
    login_as("nurse")
    response = client.get(f"/labels/receipts/{body['receipt_id']}.zpl?layout=a4-l7163", follow_redirects=True)
    assert response.status_code == 200
    assert "ZPL is for Zebra roll printers" in response.get_data(as_text=True)


def test_an_unknown_vial_or_receipt_is_a_404_page(login_as: Any, client: Any) -> None:
    login_as("nurse")
    assert client.get("/labels/vials/VNOTACODE0.pdf?layout=a4-l7651").status_code == 404
    assert client.get("/labels/receipts/99999.zpl?layout=a4-l7651").status_code == 404
