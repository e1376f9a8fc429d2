"""Purchase orders: drafted from suggestions, edited while draft, sent, received, cancelled; audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from inventory.errors import Conflict, Invalid, NotFound
from inventory.extensions import db
from inventory.models import AuditEntry, Vial
from inventory.models.purchasing import PurchaseOrderLine, PurchaseOrderReceipt
from inventory.services import purchasing, receiving
from inventory.services.purchasing import LineInput
from tests import factories
from tests.manager.conftest import NOW, TODAY, draw, lot, product, receipt, vials


@pytest.fixture
def two_suppliers(app, frozen, in_request):
    """Two products bought from Medisupply, one from Acme, all used and low."""
    made = {}
    for name, supplier in (
        ("Biotin 1 mL", "Medisupply"),
        ("DMAE 5 mL", "Medisupply"),
        ("Caffeine 5 mL", "Acme"),
    ):
        prod = product(name=name, volume_ul=5000, reorder_point=2, reorder_quantity=8, unit_cost_minor=700)
        used = vials(lot(prod, expiry=TODAY + timedelta(days=300)), 2, supplier=supplier, cost=650)
        draw(used[0], 5000, at=NOW - timedelta(days=3))
        used[0].remaining_ul, used[0].status = 0, "empty"
        made[name] = prod
    db.session.commit()
    return made


def _audit(action):
    return db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    ).all()


def test_order_from_suggestions_one_draft_per_supplier(two_suppliers):
    ids = [p.id for p in two_suppliers.values()]
    orders = purchasing.create_from_suggestions(ids, quantities={two_suppliers["Biotin 1 mL"].id: 3})
    assert [(o.supplier, o.status) for o in orders] == [("Acme", "draft"), ("Medisupply", "draft")]
    medi = orders[1]
    assert [(line.product.name, line.quantity, line.unit_cost_minor) for line in medi.lines] == [
        ("Biotin 1 mL", 3, 700),
        ("DMAE 5 mL", 2, 700),  # the suggestion: capped at what the shelf life lets them use
    ]
    assert medi.number == f"PO-2026-{medi.id:05d}"
    assert len(_audit("purchase_order_created")) == 2


def test_order_from_suggestions_single_order(two_suppliers):
    orders = purchasing.create_from_suggestions([p.id for p in two_suppliers.values()], per_supplier=False)
    assert len(orders) == 1
    assert len(orders[0].lines) == 3
    assert orders[0].supplier == ""


def test_order_from_suggestions_needs_a_product(app, in_request):
    with pytest.raises(Invalid) as error:
        purchasing.create_from_suggestions([])
    assert error.value.code == "nothing_selected"
    with pytest.raises(NotFound):
        purchasing.create_from_suggestions([9999])


def test_order_lines_change_only_while_draft(two_suppliers):
    prod = two_suppliers["Caffeine 5 mL"]
    order = purchasing.create_order("Acme")
    with pytest.raises(Invalid):
        purchasing.mark_sent(order)  # empty
    line = purchasing.add_line(order, LineInput(prod.id, 5))
    assert line.unit_cost_minor == 700  # the catalogue's cost by default
    purchasing.update_line(order, line.id, quantity=6, unit_cost_minor=650)
    assert order.total_minor == 3900
    with pytest.raises(Invalid):
        purchasing.add_line(order, LineInput(prod.id, 0))
    extra = purchasing.add_line(order, LineInput(prod.id, 1, 100))
    purchasing.remove_line(order, extra.id)
    assert [line.id for line in order.lines] == [line.id]
    purchasing.mark_sent(order)
    assert order.status == "sent"
    assert order.sent_at == NOW
    for change in (
        lambda: purchasing.add_line(order, LineInput(prod.id, 1)),
        lambda: purchasing.update_line(order, line.id, quantity=1, unit_cost_minor=1),
        lambda: purchasing.remove_line(order, line.id),
        lambda: purchasing.mark_sent(order),
    ):
        with pytest.raises(Conflict):
            change()
    changed = _audit("purchase_order_line_changed")[0]
    assert changed.details["changed"] == {"quantity": [5, 6], "unit_cost_minor": [700, 650]}


def _deliver(line_id: int, vials: int, *, confirm_over: bool = False, lot_number: str = "CAF-1") -> Any:
    """A delivery through the receiving service, against an order line (PO-03)."""
    line = db.session.get(PurchaseOrderLine, line_id)
    user = factories.UserFactory(roles=("nurse",))
    request = receiving.ReceiptRequest(
        vials=vials,
        product_id=line.product_id,
        lot=lot_number,
        expiry=TODAY + timedelta(days=400),
        order_line_id=line_id,
        confirm_over=confirm_over,
    )
    return receiving.receive(request, user=user)


def test_po_03_order_received_in_parts_creates_stock_then_closes(two_suppliers):
    prod = two_suppliers["Caffeine 5 mL"]
    order = purchasing.create_order("Acme", lines=[LineInput(prod.id, 10)])
    line = order.lines[0]
    with pytest.raises(Conflict):
        _deliver(line.id, 4)  # not sent yet
    purchasing.mark_sent(order)
    first = _deliver(line.id, 4)
    assert (order.status, line.received_quantity, line.outstanding) == ("partially_received", 4, 6)
    assert len(first.vials) == 4
    assert {vial.status for vial in first.vials} == {"sealed"}
    with pytest.raises(Conflict):
        purchasing.cancel(order)  # vials already came in
    _deliver(line.id, 6)
    assert order.status == "received"
    assert order.received_at == NOW
    with pytest.raises(Conflict):
        _deliver(line.id, 1)
    entries = _audit("purchase_order_received")
    assert [e.details["status"] for e in entries] == [
        ["sent", "partially_received"],
        ["partially_received", "received"],
    ]
    assert [row.receipt_id is not None for row in line.receipts] == [True, True]


def test_po_04_receiving_more_than_ordered_needs_a_confirmation(two_suppliers):
    prod = two_suppliers["Caffeine 5 mL"]
    order = purchasing.create_order("Acme", lines=[LineInput(prod.id, 12)])
    purchasing.mark_sent(order)
    line_id = order.lines[0].id
    vials_before = db.session.scalar(db.select(db.func.count(Vial.id)))
    with pytest.raises(Conflict) as refused:
        _deliver(line_id, 999)
    assert refused.value.code == "over_receipt"
    db.session.expire_all()
    assert db.session.get(PurchaseOrderLine, line_id).received_quantity == 0
    assert db.session.scalar(db.select(db.func.count(Vial.id))) == vials_before  # no stock either
    _deliver(line_id, 13, confirm_over=True)
    assert db.session.get(PurchaseOrderLine, line_id).received_quantity == 13


def test_po_04_api_answers_409_over_receipt_unless_confirmed(two_suppliers, api_as):
    prod = two_suppliers["Caffeine 5 mL"]
    order = purchasing.create_order("Acme", lines=[LineInput(prod.id, 2)])
    purchasing.mark_sent(order)
    api = api_as("nurse")
    body = {
        "product_id": prod.id,
        "lot": "CAF-9",
        "expiry": (TODAY + timedelta(days=400)).isoformat(),
        "vials": 3,
        "order_line_id": order.lines[0].id,
    }
    refused = api.post("/api/v1/receipts", json=body)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "over_receipt"
    accepted = api.post("/api/v1/receipts", json={**body, "confirm_over": True})
    assert accepted.status_code == 201
    assert len(accepted.get_json()["vials"]) == 3


def test_order_cancelled_with_a_reason(two_suppliers):
    order = purchasing.create_order("Acme", lines=[LineInput(two_suppliers["Caffeine 5 mL"].id, 2)])
    purchasing.mark_sent(order)
    purchasing.cancel(order, "supplier out of stock")
    assert order.status == "cancelled"
    assert _audit("purchase_order_cancelled")[0].reason == "supplier out of stock"
    with pytest.raises(Conflict):
        purchasing.cancel(order)


def test_receiving_service_links_a_receipt_to_the_expected_line(two_suppliers):
    prod = two_suppliers["DMAE 5 mL"]
    other = two_suppliers["Caffeine 5 mL"]
    draft = purchasing.create_order("Medisupply", lines=[LineInput(prod.id, 3)])
    first = purchasing.create_order("Medisupply", lines=[LineInput(prod.id, 3), LineInput(other.id, 1)])
    purchasing.mark_sent(first)
    assert [line.order_id for line in purchasing.expected_lines(prod.id)] == [first.id]
    assert draft.id not in [line.order_id for line in purchasing.expected_lines(prod.id)]
    delivery = receipt(lot(prod, expiry=TODAY + timedelta(days=500)), count=3, cost=650)
    line = purchasing.expected_lines(prod.id)[0]
    # the receiving service calls this inside its own transaction, and commits
    row = purchasing.record_receipt(line.id, delivery)
    db.session.commit()
    assert (row.receipt_id, row.quantity) == (delivery.id, 3)
    assert line.received_quantity == 3
    assert first.status == "partially_received"
    assert purchasing.expected_lines(prod.id) == []
    with pytest.raises(Invalid):
        purchasing.record_receipt(first.lines[1].id, delivery)  # a DMAE receipt on the caffeine line
    db.session.rollback()


def test_record_receipt_leaves_the_transaction_to_the_caller(two_suppliers):
    prod = two_suppliers["DMAE 5 mL"]
    order = purchasing.create_order("Medisupply", lines=[LineInput(prod.id, 3)])
    purchasing.mark_sent(order)
    delivery = receipt(lot(prod, expiry=TODAY + timedelta(days=500)), count=2)
    purchasing.record_receipt(order.lines[0].id, delivery)
    db.session.rollback()  # the receiving failed later: nothing of the link stays
    assert db.session.scalars(db.select(PurchaseOrderReceipt)).all() == []
    assert order.lines[0].received_quantity == 0
    assert order.status == "sent"


def test_purchase_orders_api(two_suppliers, api_as):
    order = purchasing.create_order("Acme", lines=[LineInput(two_suppliers["Caffeine 5 mL"].id, 2, 1250)])
    api = api_as("manager")
    body = api.get("/api/v1/purchase-orders").get_json()
    assert body["items"][0]["number"] == order.number
    assert body["items"][0]["total"] == 25
    assert body["items"][0]["lines"][0] == {
        "id": order.lines[0].id,
        "product_id": two_suppliers["Caffeine 5 mL"].id,
        "product": "Caffeine 5 mL",
        "quantity": 2,
        "unit_cost": 12.5,
        "received_quantity": 0,
    }
    assert api.get("/api/v1/purchase-orders?status=sent").get_json()["items"] == []
    assert api.get("/api/v1/purchase-orders?status=bogus").status_code == 422
    assert api.get(f"/api/v1/purchase-orders/{order.id}").get_json()["status"] == "draft"
    assert api.get("/api/v1/purchase-orders/999999").status_code == 404
    assert api_as("nurse").get("/api/v1/purchase-orders").status_code == 403
