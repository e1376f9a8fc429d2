"""The manager's pages: dashboard, reorder list → draft order, order actions, exports, reports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pypdfium2 as pdfium

from inventory.extensions import db
from inventory.models import Vial
from inventory.models.purchasing import PurchaseOrder
from tests.manager.conftest import NOW, TODAY, draw, lot, product, vials
from tests.support import csrf_from


def _low_product():
    """A product used 1 mL a day with one vial left: on the reorder list."""
    prod = product(name="Vitamin C 5 mL", volume_ul=5000, reorder_point=2, reorder_quantity=10)
    the_lot = lot(prod, expiry=TODAY + timedelta(days=300))
    stock = vials(the_lot, 2, supplier="Medisupply")
    draw(stock[0], 5000, at=NOW - timedelta(days=2))
    stock[0].remaining_ul = 0
    stock[0].status = "empty"
    db.session.commit()
    return prod


def test_dashboard_needs_the_reports_permission(client, login_as):
    login_as("nurse")
    assert client.get("/manager/").status_code == 403


def test_dashboard_renders_every_tile_for_a_manager(client, login_as, frozen):
    _low_product()
    login_as("manager")
    page = client.get("/manager/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for tile in (
        "tile-expiring",
        "tile-low-stock",
        "tile-reorder",
        "tile-waste",
        "tile-recalls",
        "tile-signals",
    ):
        assert f'id="{tile}"' in html
    assert 'data-figure="reorder">1<' in html
    assert "<svg" in html
    assert "style=" not in html


def test_reorder_list_creates_a_draft_order_per_supplier(client, login_as, frozen):
    prod = _low_product()
    login_as("manager")
    page = client.get("/manager/reorder")
    html = page.get_data(as_text=True)
    assert "Vitamin C 5 mL" in html
    assert 'data-reason="below_reorder_point"' in html
    response = client.post(
        "/manager/orders/from-reorder",
        data={
            "csrf_token": csrf_from(html),
            "product_id": [str(prod.id)],
            f"quantity-{prod.id}": "12",
            "grouping": "supplier",
            "note": "",
        },
    )
    assert response.status_code == 302
    order = db.session.scalars(db.select(PurchaseOrder)).one()
    assert response.headers["Location"].endswith(f"/manager/orders/{order.id}")
    assert order.supplier == "Medisupply"
    assert order.status == "draft"
    assert [(line.product_id, line.quantity) for line in order.lines] == [(prod.id, 12)]


def test_reorder_with_nothing_ticked_shows_the_list_again(client, login_as, frozen):
    _low_product()
    login_as("manager")
    html = client.get("/manager/reorder").get_data(as_text=True)
    response = client.post(
        "/manager/orders/from-reorder", data={"csrf_token": csrf_from(html), "grouping": "single"}
    )
    assert response.status_code == 422
    assert "Tick at least one product" in response.get_data(as_text=True)


def _draft_order(client, prod):
    html = client.get("/manager/orders").get_data(as_text=True)
    response = client.post(
        "/manager/orders/new", data={"csrf_token": csrf_from(html), "supplier": "Medisupply"}
    )
    assert response.status_code == 302
    order = db.session.scalars(db.select(PurchaseOrder)).one()
    page = client.get(f"/manager/orders/{order.id}").get_data(as_text=True)
    response = client.post(
        f"/manager/orders/{order.id}/lines",
        data={
            "csrf_token": csrf_from(page),
            "product_id": str(prod.id),
            "quantity": "4",
            "unit_cost_minor": "12,50",
        },
    )
    assert response.status_code == 302
    return order


def test_po_01_every_line_edit_is_saved_by_one_form(client, login_as, frozen):
    prod = _low_product()
    other = product(name="Biotin 1 mL", volume_ul=1000, unit_cost_minor=300)
    db.session.commit()
    login_as("manager")
    order = _draft_order(client, prod)
    page = client.get(f"/manager/orders/{order.id}").get_data(as_text=True)
    client.post(
        f"/manager/orders/{order.id}/lines",
        data={
            "csrf_token": csrf_from(page),
            "product_id": str(other.id),
            "quantity": "2",
            "unit_cost_minor": "",
        },
    )
    first, second = order.lines[0].id, db.session.scalars(db.select(PurchaseOrder)).one().lines[1].id
    token = csrf_from(client.get(f"/manager/orders/{order.id}").get_data(as_text=True))
    # two lines edited, one save: both kept (issue 13: the other line silently reverted)
    response = client.post(
        f"/manager/orders/{order.id}/lines/save",
        data={
            "csrf_token": token,
            f"quantity-{first}": "6",
            f"unit_cost-{first}": "12,00",
            f"quantity-{second}": "9",
            f"unit_cost-{second}": "3.25",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [(line.quantity, line.unit_cost_minor) for line in order.lines] == [(6, 1200), (9, 325)]
    # one wrong line: nothing saved, and every typed value is on the page again
    response = client.post(
        f"/manager/orders/{order.id}/lines/save",
        data={
            "csrf_token": token,
            f"quantity-{first}": "7",
            f"unit_cost-{first}": "11,00",
            f"quantity-{second}": "zero",
            f"unit_cost-{second}": "3.25",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="7"' in html
    assert 'value="11,00"' in html
    assert 'value="zero"' in html
    assert "From 1 to 10000 vials." in html
    db.session.expire_all()
    assert [line.quantity for line in order.lines] == [6, 9]


def test_po_03_delivery_on_the_order_page_creates_stock(client, login_as, frozen):
    prod = _low_product()
    login_as("manager")
    order = _draft_order(client, prod)
    line = order.lines[0]
    token = csrf_from(client.get(f"/manager/orders/{order.id}").get_data(as_text=True))
    assert client.post(f"/manager/orders/{order.id}/send", data={"csrf_token": token}).status_code == 302
    vials_before = db.session.scalar(db.select(db.func.count(Vial.id)))
    expiry = (TODAY + timedelta(days=400)).isoformat()
    response = client.post(
        f"/manager/orders/{order.id}/lines/{line.id}/receive",
        data={"csrf_token": token, "lot": "vc-77", "expiry": expiry, "quantity": "3", "location": "A1"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert order.status == "partially_received"
    assert order.lines[0].received_quantity == 3
    assert db.session.scalar(db.select(db.func.count(Vial.id))) == vials_before + 3
    page = client.get(f"/manager/orders/{order.id}").get_data(as_text=True)
    receipt_id = order.lines[0].receipts[0].receipt_id
    assert f'href="/stock/receipts/{receipt_id}"' in page
    # neither a lot nor a scan: the form says what is missing, nothing is received
    response = client.post(
        f"/manager/orders/{order.id}/lines/{line.id}/receive", data={"csrf_token": token, "quantity": "1"}
    )
    assert response.status_code == 422
    assert "Scan the pack, or type its lot number and expiry date." in response.get_data(as_text=True)


def test_po_04_receiving_more_than_ordered_asks_first(client, login_as, frozen):
    prod = _low_product()
    login_as("manager")
    order = _draft_order(client, prod)  # 4 vials ordered
    line = order.lines[0]
    token = csrf_from(client.get(f"/manager/orders/{order.id}").get_data(as_text=True))
    client.post(f"/manager/orders/{order.id}/send", data={"csrf_token": token})
    data = {
        "csrf_token": token,
        "lot": "VC-1",
        "expiry": (TODAY + timedelta(days=400)).isoformat(),
        "quantity": "999",
    }
    asked = client.post(f"/manager/orders/{order.id}/lines/{line.id}/receive", data=data)
    assert asked.status_code == 409
    html = asked.get_data(as_text=True)
    assert 'name="confirm_over"' in html
    assert 'value="999"' in html
    assert 'value="VC-1"' in html
    db.session.expire_all()
    assert order.lines[0].received_quantity == 0
    confirmed = client.post(
        f"/manager/orders/{order.id}/lines/{line.id}/receive",
        data={**data, "quantity": "5", "confirm_over": "y"},
    )
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert order.lines[0].received_quantity == 5
    assert order.status == "received"


def test_receive_form_errors_are_shown_on_the_order(client, login_as, frozen):
    prod = _low_product()
    login_as("manager")
    order = _draft_order(client, prod)
    token = csrf_from(client.get(f"/manager/orders/{order.id}").get_data(as_text=True))
    line_id = order.lines[0].id
    response = client.post(
        f"/manager/orders/{order.id}/lines/{line_id}/receive",
        data={"csrf_token": token, "quantity": "2", "lot": "X", "expiry": "2027-01-01"},
    )
    assert response.status_code == 422
    assert "not waiting for deliveries" in response.get_data(as_text=True)


def test_order_exports_pdf_and_csv_with_turkish_letters(client, login_as, frozen):
    prod = _low_product()
    login_as("manager")
    order = _draft_order(client, prod)
    token = csrf_from(client.get(f"/manager/orders/{order.id}").get_data(as_text=True))
    client.post(
        f"/manager/orders/{order.id}/details",
        data={"csrf_token": token, "supplier": "Işık Medikal Ltd. Şti.", "note": "Çarşamba teslim"},
    )
    pdf = client.get(f"/manager/orders/{order.id}.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert b"DejaVuSans" in pdf.data  # embedded: the 14 standard fonts have no ı or ş
    document = pdfium.PdfDocument(pdf.data)
    text = document[0].get_textpage().get_text_range()
    document.close()
    assert "Işık Medikal Ltd. Şti." in text
    assert "Vitamin C 5 mL" in text
    assert "50.00" in text
    exported = client.get(f"/manager/orders/{order.id}.csv")
    text = exported.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["order", "supplier", "status", "product"]
    assert rows[1][1] == "Işık Medikal Ltd. Şti."
    assert rows[1][3] == "Vitamin C 5 mL"
    assert rows[1][5] == "4"


def test_reports_page_and_csv_exports_render(client, login_as, frozen):
    _low_product()
    login_as("manager")
    page = client.get("/manager/reports?from=2026-03-01&to=2026-03-18&grain=week")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "style=" not in html
    assert html.count("<svg") >= 2  # usage and syringes; waste and sessions are empty here
    for name in ("usage", "waste", "sessions", "administered"):
        response = client.get(f"/manager/reports/{name}.csv?from=2026-03-01&to=2026-03-18")
        assert response.status_code == 200, name
        assert response.mimetype == "text/csv"
    assert client.get("/manager/reports/nope.csv").status_code == 404


def test_audit_trail_is_still_there(client, login_as):
    login_as("manager")
    assert client.get("/manager/audit").status_code == 200


def test_po_04_the_receiving_page_asks_before_more_than_ordered(client, login_as, frozen):
    prod = _low_product()
    login_as("manager")
    order = _draft_order(client, prod)  # 4 vials ordered
    line = order.lines[0]
    token = csrf_from(client.get(f"/manager/orders/{order.id}").get_data(as_text=True))
    client.post(f"/manager/orders/{order.id}/send", data={"csrf_token": token})
    page = client.get(f"/stock/receive/manual?product_id={prod.id}").get_data(as_text=True)
    data = {
        "csrf_token": csrf_from(page),
        "product_id": str(prod.id),
        "lot": "VC-2",
        "expiry": (TODAY + timedelta(days=400)).isoformat(),
        "vials": "12",
        "order_line_id": str(line.id),
    }
    asked = client.post("/stock/receive/manual", data=data)
    html = asked.get_data(as_text=True)
    assert 'name="confirm_over"' in html
    assert "More than ordered" in html
    db.session.expire_all()
    assert order.lines[0].received_quantity == 0
    done = client.post("/stock/receive/manual", data={**data, "confirm_over": "y"})
    assert done.status_code == 302
    db.session.expire_all()
    assert order.lines[0].received_quantity == 12
