"""PO-02 and MON-01: suppliers are records used by orders; amounts carry the clinic's currency; the
order PDF has both addresses."""

from __future__ import annotations

from typing import Any

import pypdfium2 as pdfium
import pytest
from flask.testing import FlaskClient

from inventory import create_app
from inventory.errors import Conflict
from inventory.extensions import db
from inventory.models import PurchaseOrder, Supplier
from inventory.services import purchasing, suppliers
from tests import factories
from tests.support import csrf_from


def _pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def test_po_02_suppliers_page_creates_and_edits_a_record(client: FlaskClient, login_as: Any) -> None:
    login_as("manager")
    page = client.get("/manager/suppliers")
    assert page.status_code == 200
    assert "No suppliers yet" in page.get_data(as_text=True)
    response = client.post(
        "/manager/suppliers",
        data={
            "csrf_token": csrf_from(page.get_data(as_text=True)),
            "name": "Işık Medikal",
            "address": "Bağdat Cad. 12\nKadıköy, İstanbul",
            "contact": "Ayşe · +90 216 000 00 00",
            "lead_time_days": "5",
        },
    )
    assert response.status_code == 302
    record = db.session.scalars(db.select(Supplier)).one()
    assert (record.name, record.lead_time_days) == ("Işık Medikal", 5)
    edit = client.get(f"/manager/suppliers/{record.id}").get_data(as_text=True)
    refused = client.post(
        f"/manager/suppliers/{record.id}",
        data={"csrf_token": csrf_from(edit), "name": "Işık Medikal", "lead_time_days": "900"},
    )
    assert refused.status_code == 422
    assert 'value="900"' in refused.get_data(as_text=True)
    duplicate = client.post(
        "/manager/suppliers", data={"csrf_token": csrf_from(edit), "name": "IŞIK MEDİKAL"}
    )
    assert duplicate.status_code == 422
    assert "exists already" in duplicate.get_data(as_text=True)


def test_po_02_supplier_pages_follow_the_role_table(client: FlaskClient, login_as: Any) -> None:
    login_as("nurse")
    assert client.get("/manager/suppliers").status_code == 403


def test_po_02_an_order_points_at_the_supplier_record_of_its_name(app: Any, in_request: Any) -> None:
    kept = suppliers.create_supplier(suppliers.SupplierInput("Medisupply", address="Kozyatağı"))
    order = purchasing.create_order("  medisupply ")
    assert (order.supplier_id, order.supplier) == (kept.id, "Medisupply")
    other = purchasing.create_order("Acme Pharma")
    assert other.supplier_record is not None
    assert other.supplier_record.name == "Acme Pharma"
    purchasing.update_order(_order(other.id), supplier="MEDISUPPLY", note="")
    assert other.supplier_id == kept.id
    with pytest.raises(Conflict):
        suppliers.create_supplier(suppliers.SupplierInput("MediSupply"))


def test_mon_01_order_pdf_has_both_addresses_and_the_currency(
    client: FlaskClient, login_as: Any, app: Any
) -> None:
    app.config["CLINIC_ADDRESS"] = "Nişantaşı Mah. 7\nŞişli, İstanbul"
    try:
        login_as("manager")
        with app.test_request_context():
            record = suppliers.create_supplier(
                suppliers.SupplierInput("Işık Medikal", address="Bağdat Cad. 12\nKadıköy", contact="Ayşe")
            )
            prod = factories.ProductFactory(name="Vitamin C 5 mL", unit_cost_minor=1250)
            order = purchasing.create_order(record.name, "", [purchasing.LineInput(prod.id, 4)])
        text = _pdf_text(client.get(f"/manager/orders/{order.id}.pdf").data)
        assert "Nişantaşı Mah. 7" in text
        assert "Şişli, İstanbul" in text
        assert "Bağdat Cad. 12" in text
        assert "Kadıköy" in text
        assert "Ayşe" in text
        assert "TRY50.00" in text
        assert "TRY12.50" in text
        turkish = client.get(f"/manager/orders/{order.id}.pdf", headers={"Accept-Language": "tr"})
        assert "₺50,00" in _pdf_text(turkish.data)
    finally:
        app.config["CLINIC_ADDRESS"] = ""


def test_mon_01_amounts_on_pages_carry_the_currency_in_english_and_turkish(
    client: FlaskClient, login_as: Any
) -> None:
    login_as("manager")
    with client.application.test_request_context():
        prod = factories.ProductFactory(name="Biotin", unit_cost_minor=123456)
        order = purchasing.create_order("Acme", "", [purchasing.LineInput(prod.id, 1)])
    english = client.get(f"/manager/orders/{order.id}").get_data(as_text=True)
    assert 'data-figure="order-total">TRY1,234.56<' in english
    turkish = client.get(f"/manager/orders/{order.id}", headers={"Accept-Language": "tr"}).get_data(
        as_text=True
    )
    assert 'data-figure="order-total">₺1.234,56<' in turkish
    listing = client.get("/manager/orders", headers={"Accept-Language": "tr"}).get_data(as_text=True)
    assert "₺1.234,56" in listing
    product_page = client.get(f"/products/{prod.id}").get_data(as_text=True)
    assert "TRY1,234.56" in product_page


def test_mon_01_the_currency_is_a_setting_checked_at_start() -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "CLINIC_CURRENCY": "eur"})
    assert app.config["CLINIC_CURRENCY"] == "EUR"
    with pytest.raises(RuntimeError, match="CLINIC_CURRENCY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "CLINIC_CURRENCY": "XYZ1"})


@pytest.mark.parametrize(
    ("role", "allowed"), [("nurse", False), ("practitioner", False), ("manager", True), ("admin", True)]
)
def test_api_role_table_holds_for_the_new_pages(
    client: FlaskClient, login_as: Any, role: str, allowed: bool
) -> None:
    """api.md: reorder, reports and audit are the manager's and the admin's."""
    login_as(role)
    for path in ("/manager/suppliers", "/manager/audit", "/manager/audit.csv"):
        assert client.get(path).status_code == (200 if allowed else 403), path


def _order(order_id: int) -> PurchaseOrder:
    order = db.session.get(PurchaseOrder, order_id)
    assert order is not None
    return order
