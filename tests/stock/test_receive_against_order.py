"""Receiving against a purchase order: the receiving page knows what is expected (issue 7)."""

from __future__ import annotations

from datetime import timedelta

from inventory import clock
from inventory.models.purchasing import PurchaseOrder, PurchaseOrderLine
from tests import factories
from tests.support import csrf_from


def _sent_order(db, product, quantity=10):
    manager = factories.UserFactory(username="orders-manager", roles=("manager",))
    order = PurchaseOrder(
        number="PO-TEST-1", supplier="Acme", status="sent", created_by_id=manager.id, sent_at=clock.now()
    )
    line = PurchaseOrderLine(product_id=product.id, quantity=quantity, unit_cost_minor=1000)
    order.lines.append(line)
    db.session.add(order)
    db.session.commit()
    return order, line


def test_receipt_through_the_api_counts_against_the_order_line(api_as, db):
    product = factories.ProductFactory()
    order, line = _sent_order(db, product)
    expiry = (clock.today() + timedelta(days=300)).isoformat()
    response = api_as("nurse").post(
        "/api/v1/receipts",
        json={
            "product_id": product.id,
            "lot": "po-1",
            "expiry": expiry,
            "vials": 4,
            "order_line_id": line.id,
        },
    )
    assert response.status_code == 201, response.get_json()
    db.session.refresh(line)
    db.session.refresh(order)
    assert line.received_quantity == 4
    assert order.status == "partially_received"


def test_a_receipt_for_another_product_is_refused_and_nothing_is_received(api_as, db):
    ordered = factories.ProductFactory()
    other = factories.ProductFactory()
    _order, line = _sent_order(db, ordered)
    expiry = (clock.today() + timedelta(days=300)).isoformat()
    response = api_as("nurse").post(
        "/api/v1/receipts",
        json={"product_id": other.id, "lot": "X1", "expiry": expiry, "vials": 1, "order_line_id": line.id},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "wrong_product"
    assert api_as("nurse").get(f"/api/v1/vials?product_id={other.id}").get_json()["items"] == []


def test_the_manual_receiving_page_offers_the_open_order_line(client, login_as, db):
    product = factories.ProductFactory(name="Biotin 5 mg/mL 1 mL")
    _order, line = _sent_order(db, product, quantity=6)
    login_as("nurse")
    page = client.get(f"/stock/receive/manual?product_id={product.id}")
    html = page.get_data(as_text=True)
    assert "PO-TEST-1" in html
    assert f'<option selected value="{line.id}"' in html or f'value="{line.id}" selected' in html
    expiry = (clock.today() + timedelta(days=300)).isoformat()
    response = client.post(
        "/stock/receive/manual",
        data={
            "product_id": product.id,
            "lot": "B-1",
            "expiry": expiry,
            "vials": "6",
            "supplier": "",
            "unit_cost": "",
            "location": "",
            "order_line_id": str(line.id),
            "csrf_token": csrf_from(html),
        },
    )
    assert response.status_code == 302
    db.session.refresh(line)
    assert line.received_quantity == 6
