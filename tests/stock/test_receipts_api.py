"""POST /api/v1/receipts and /barcodes/parse: every refusal of api.md, with a clear body."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from inventory import clock
from inventory.models import AuditEntry, Lot, Product, Receipt, Vial
from inventory.rules.gs1 import GS, build_gs1
from tests import factories
from tests.stock.conftest import GTIN_LIDO, GTIN_SPARE

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
G1 = "]d2010950600013435217271231" + "10ABC123" + GS + "21SN0001"


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen_at(NOW):
        yield


def error_of(response):
    body = response.get_json()
    assert "error" in body, body
    return body["error"]


def test_gs1_06_receive_from_scan_creates_lot_and_sealed_vials(api_as, lidocaine, db):
    api = api_as("nurse")
    response = api.post(
        "/api/v1/receipts", json={"scan": G1, "vials": 3, "supplier": "Acme", "unit_cost": 12.5}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["lot"]["number"] == "ABC123"
    assert body["lot"]["expiry"] == "2027-12-31"
    assert body["lot"]["product_id"] == lidocaine.id
    assert body["lot"]["status"] == "available"
    assert [v["status"] for v in body["vials"]] == ["sealed"] * 3
    assert all(v["remaining_ml"] == 20 and v["code"].startswith("V") for v in body["vials"])
    receipt = db.session.scalar(select(Receipt))
    assert (receipt.gtin, receipt.serial, receipt.unit_cost_minor) == (GTIN_LIDO, "SN0001", 1250)
    assert (
        db.session.scalar(select(AuditEntry).where(AuditEntry.action == "stock_received")).user_id
        == api.user.id
    )


def test_manual_receipt_trims_and_uppercases_the_lot(api_as, lidocaine):
    api = api_as("nurse")
    response = api.post(
        "/api/v1/receipts",
        json={"product_id": lidocaine.id, "lot": "  lido-77 ", "expiry": "2027-03-31", "vials": 10},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["lot"]["number"] == "LIDO-77"
    again = api.post(
        "/api/v1/receipts",
        json={"product_id": lidocaine.id, "lot": "LIDO-77", "expiry": "2027-03-31", "vials": 2},
    )
    assert again.status_code == 201
    assert again.get_json()["lot"]["id"] == response.get_json()["lot"]["id"]


def test_exp_01_expired_lot_is_refused(api_as, lidocaine):
    api = api_as("nurse")
    response = api.post(
        "/api/v1/receipts",
        json={"product_id": lidocaine.id, "lot": "OLD1", "expiry": "2026-03-09", "vials": 1},
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "expired"


def test_exp_01_lot_expiring_today_is_still_received(api_as, lidocaine):
    api = api_as("nurse")
    response = api.post(
        "/api/v1/receipts",
        json={"product_id": lidocaine.id, "lot": "TODAY", "expiry": "2026-03-10", "vials": 1},
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("scan", "words"),
    [
        ("]d201095060001343531727123110ABC123", "check digit"),
        ("]d201095060001343521727133110X", "not a real date"),
        ("]d2010950600013435210AB C" + GS + "17271231", "keyboard layout"),
        ("]d1HELLO", "plain barcode"),
    ],
)
def test_gs1_invalid_barcode_says_why(api_as, lidocaine, scan, words):
    response = api_as("nurse").post("/api/v1/receipts", json={"scan": scan, "vials": 1})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_barcode"
    assert words in error["message"]
    assert error["fields"]["reason"]


def test_unknown_gtin_is_refused(api_as, lidocaine):
    scan = build_gs1(GTIN_SPARE, date(2027, 1, 31), "X1")
    response = api_as("nurse").post("/api/v1/receipts", json={"scan": scan, "vials": 1})
    assert response.status_code == 422
    assert error_of(response)["code"] == "unknown_gtin"


def test_unknown_gtin_with_a_chosen_product_stores_the_gtin_audited(api_as, db):
    product = factories.ProductFactory(gtin=None)
    scan = build_gs1(GTIN_SPARE, date(2027, 1, 31), "X1")
    response = api_as("nurse").post(
        "/api/v1/receipts", json={"scan": scan, "vials": 1, "product_id": product.id, "remember_gtin": True}
    )
    assert response.status_code == 201, response.get_json()
    db.session.expire_all()
    assert db.session.get(Product, product.id).gtin == GTIN_SPARE
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "product_updated"))
    assert entry.details["changed"]["gtin"] == [None, GTIN_SPARE]


def test_lot_expiry_mismatch_is_a_conflict(api_as, lidocaine):
    api = api_as("nurse")
    first = {"product_id": lidocaine.id, "lot": "L1", "expiry": "2027-03-31", "vials": 1}
    assert api.post("/api/v1/receipts", json=first).status_code == 201
    response = api.post("/api/v1/receipts", json={**first, "expiry": "2027-04-30"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "lot_expiry_mismatch"


def test_safe_09_same_pack_serial_never_received_twice(api_as, lidocaine, db):
    api = api_as("nurse")
    assert api.post("/api/v1/receipts", json={"scan": G1, "vials": 1}).status_code == 201
    again = api.post("/api/v1/receipts", json={"scan": G1.replace(GS, "~"), "vials": 1})
    assert again.status_code == 409
    assert error_of(again)["code"] == "duplicate_serial"
    assert db.session.query(Vial).count() == 1


def test_safe_09_unique_constraint_is_the_last_line(app, db, lidocaine):
    from sqlalchemy.exc import IntegrityError

    lot = factories.LotFactory(product=lidocaine)
    factories.ReceiptFactory(lot=lot, gtin=GTIN_LIDO, serial="S1")
    with pytest.raises(IntegrityError):
        factories.ReceiptFactory(lot=lot, gtin=GTIN_LIDO, serial="S1")
    db.session.rollback()


def test_rcl_04_recall_entered_before_receipt_refuses_the_lot(api_as, lidocaine, db):
    from inventory.models import Recall

    manager = factories.UserFactory(roles=("manager",))
    db.session.add(
        Recall(
            product_id=lidocaine.id,
            lot_number="ABC123",
            classification="I",
            reason="sterility",
            created_by_id=manager.id,
        )
    )
    db.session.commit()
    response = api_as("nurse").post("/api/v1/receipts", json={"scan": G1, "vials": 1})
    assert response.status_code == 409
    assert error_of(response)["code"] == "recalled_lot"
    assert db.session.query(Lot).count() == 0


def test_a_recalled_lot_refuses_more_vials(api_as, lidocaine):
    factories.LotFactory(product=lidocaine, number="R1", expiry=date(2027, 1, 31), status="recalled")
    response = api_as("nurse").post(
        "/api/v1/receipts", json={"product_id": lidocaine.id, "lot": "r1", "expiry": "2027-01-31", "vials": 1}
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "recalled_lot"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"vials": 0, "product_id": 1, "lot": "A", "expiry": "2027-01-01"},
        {"vials": "many"},
        {"vials": 1, "product_id": 999, "lot": "A", "expiry": "2027-01-01"},
        {"vials": 1, "lot": "A", "expiry": "2027-01-01"},
        {"vials": 1, "product_id": 1, "expiry": "2027-01-01"},
        {"vials": 1, "product_id": 1, "lot": "A B", "expiry": "2027-01-01"},
        {"vials": 1, "product_id": 1, "lot": "A" * 21, "expiry": "2027-01-01"},
        {"vials": 1, "product_id": 1, "lot": "A", "expiry": "31/01/2027"},
        {"vials": 1, "product_id": 1, "lot": "A"},
        {"vials": 1, "product_id": 1, "lot": "A", "expiry": "2027-01-01", "unit_cost": -1},
        {"vials": 1, "scan": ""},
        {"vials": 1, "scan": 42},
    ],
)
def test_bad_receipt_input_is_422_never_500(api_as, lidocaine, body):
    if body.get("product_id") == 1:
        body = {**body, "product_id": lidocaine.id}
    response = api_as("nurse").post("/api/v1/receipts", json=body)
    assert response.status_code == 422, response.get_json()
    assert error_of(response)["message"]


def test_malformed_json_is_400(api_as):
    response = api_as("nurse").post(
        "/api/v1/receipts", data="{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


def test_practitioner_cannot_receive(api_as, lidocaine):
    response = api_as("practitioner").post("/api/v1/receipts", json={"scan": G1, "vials": 1})
    assert response.status_code == 403


def test_parse_gs1_names_the_product(api_as, lidocaine):
    response = api_as("nurse").post("/api/v1/barcodes/parse", json={"data": G1})
    assert response.status_code == 200
    assert response.get_json() == {
        "kind": "gs1",
        "gtin": GTIN_LIDO,
        "lot": "ABC123",
        "expiry": "2027-12-31",
        "serial": "SN0001",
        "production_date": None,
        "product_id": lidocaine.id,
        "source": "gs1",
        "ppn": None,
        "lot_warnings": [],
    }


def test_parse_our_vial_code_typed_in_lower_case(api_as, lidocaine):
    from tests.stock.conftest import make_vials

    (vial,) = make_vials(lidocaine)
    response = api_as("nurse").post("/api/v1/barcodes/parse", json={"data": vial.code.lower()})
    assert response.status_code == 200
    assert response.get_json() == {"kind": "vial", "code": vial.code, "id": vial.id}


def test_parse_syringe_and_batch_codes(api_as):
    syringe = factories.SyringeFactory()
    api = api_as("nurse")
    assert api.post("/api/v1/barcodes/parse", json={"data": syringe.code}).get_json()["kind"] == "syringe"
    batch = api.post("/api/v1/barcodes/parse", json={"data": f"https://x/b/{syringe.batch.code}"}).get_json()
    assert batch == {"kind": "batch", "code": syringe.batch.code, "id": syringe.batch.id}


@pytest.mark.parametrize("data", ["]d201095060001343531727123110ABC123", "hello world", "]d1HELLO"])
def test_parse_invalid_barcode_is_422(api_as, data):
    response = api_as("nurse").post("/api/v1/barcodes/parse", json={"data": data})
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_barcode"


def test_parse_unknown_vial_code_is_404(api_as):
    response = api_as("nurse").post("/api/v1/barcodes/parse", json={"data": "V0000000000"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "unknown_code"


@pytest.mark.parametrize("body", [{}, {"data": ""}, {"data": None}, {"data": 5}])
def test_parse_bad_input_is_422(api_as, body):
    assert api_as("nurse").post("/api/v1/barcodes/parse", json=body).status_code == 422


def test_safe_09_two_receipts_racing_past_the_check_still_get_duplicate_serial(
    api_as, lidocaine, monkeypatch
):
    from inventory.services import receiving

    api = api_as("nurse")
    assert api.post("/api/v1/receipts", json={"scan": G1, "vials": 1}).status_code == 201
    monkeypatch.setattr(receiving, "_check_serial", lambda pack: None)  # as if both checked at once
    again = api.post("/api/v1/receipts", json={"scan": G1, "vials": 1})
    assert again.status_code == 409
    assert error_of(again)["code"] == "duplicate_serial"


def test_a_product_with_a_gtin_keeps_it_when_receiving_an_unknown_gtin(api_as, lidocaine, db):
    scan = build_gs1(GTIN_SPARE, date(2027, 1, 31), "X2")
    response = api_as("nurse").post(
        "/api/v1/receipts", json={"scan": scan, "vials": 1, "product_id": lidocaine.id, "remember_gtin": True}
    )
    assert response.status_code == 201
    db.session.expire_all()
    assert db.session.get(Product, lidocaine.id).gtin == GTIN_LIDO


def test_a_known_gtin_with_another_product_id_is_refused(api_as, lidocaine, hyaluronidase):
    response = api_as("nurse").post(
        "/api/v1/receipts", json={"scan": G1, "vials": 1, "product_id": hyaluronidase.id}
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "gtin_mismatch"
