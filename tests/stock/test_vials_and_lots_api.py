"""GET /vials, discard, quarantine and release (two managers), expiring soon."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from inventory import clock
from inventory.models import AuditEntry, Lot, Vial
from tests import factories
from tests.stock.conftest import make_vials

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen_at(NOW):
        yield


def error_of(response):
    return response.get_json()["error"]


def test_vial_list_fields_exactly_as_api_md(api_as, lidocaine):
    (vial,) = make_vials(lidocaine, expiry=date(2027, 3, 31), lot_number="LIDO-77")
    response = api_as("nurse").get(f"/api/v1/vials?product_id={lidocaine.id}")
    assert response.status_code == 200
    (item,) = response.get_json()["items"]
    expected = {
        "id",
        "code",
        "product_id",
        "lot_id",
        "lot",
        "expiry",
        "status",
        "remaining_ml",
        "opened_at",
        "usable_until",
        "usable",
        "blocked_reason",
    }
    assert expected <= set(item)
    assert item["code"] == vial.code
    assert item["lot"] == "LIDO-77"
    assert item["expiry"] == "2027-03-31"
    assert item["remaining_ml"] == 20
    assert item["usable"] is True
    assert item["blocked_reason"] is None
    assert item["opened_at"] is None
    assert item["usable_until"] == "2027-03-31T20:59:59.999999+00:00"


def test_vial_list_filters_by_lot_and_status(api_as, lidocaine):
    first = make_vials(lidocaine, 2)
    make_vials(lidocaine, 3, lot_status="quarantined")
    api = api_as("nurse")
    by_lot = api.get(f"/api/v1/vials?lot_id={first[0].lot_id}").get_json()["items"]
    assert {item["id"] for item in by_lot} == {vial.id for vial in first}
    assert len(api.get("/api/v1/vials?status=sealed").get_json()["items"]) == 5
    assert api.get("/api/v1/vials?status=open").get_json()["items"] == []
    usable = api.get("/api/v1/vials?usable=true").get_json()["items"]
    assert {item["id"] for item in usable} == {vial.id for vial in first}
    blocked = [item for item in api.get("/api/v1/vials").get_json()["items"] if not item["usable"]]
    assert {item["blocked_reason"] for item in blocked} == {"quarantined"}


def test_vial_list_pages(api_as, lidocaine):
    make_vials(lidocaine, 3)
    api = api_as("nurse")
    first = api.get("/api/v1/vials?per_page=2").get_json()
    assert len(first["items"]) == 2
    assert first["next"] == 2
    second = api.get("/api/v1/vials?per_page=2&page=2").get_json()
    assert len(second["items"]) == 1
    assert second["next"] is None


@pytest.mark.parametrize(
    "query", ["status=broken", "product_id=abc", "lot_id=1.5", "page=0", "per_page=10000", "usable=maybe"]
)
def test_vial_list_bad_query_is_422(api_as, query):
    response = api_as("nurse").get(f"/api/v1/vials?{query}")
    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_input"


def test_discard_records_waste_volume_and_cost(api_as, lidocaine, db):
    (vial,) = make_vials(lidocaine, unit_cost_minor=1250)
    vial.status = "open"
    vial.opened_at = clock.now() - timedelta(hours=1)
    vial.remaining_ul = 5000
    db.session.commit()
    api = api_as("nurse")
    response = api.post(
        f"/api/v1/vials/{vial.id}/discard", json={"reason": "contaminated", "note": "dropped cap"}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "discarded"
    assert body["remaining_ml"] == 0
    assert body["waste_ml"] == 5
    db.session.expire_all()
    stored = db.session.get(Vial, vial.id)
    assert (stored.waste_ul, stored.waste_cost_minor) == (5000, 313)  # a quarter of 12.50
    assert (stored.discard_reason, stored.discard_note, stored.discarded_by_id) == (
        "contaminated",
        "dropped cap",
        api.user.id,
    )
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vial_discarded"))
    assert entry.entity_id == vial.id
    assert entry.user_id == api.user.id


def test_a_discarded_vial_cannot_be_discarded_again(api_as, lidocaine):
    (vial,) = make_vials(lidocaine)
    api = api_as("nurse")
    assert api.post(f"/api/v1/vials/{vial.id}/discard", json={"reason": "damaged"}).status_code == 200
    again = api.post(f"/api/v1/vials/{vial.id}/discard", json={"reason": "damaged"})
    assert again.status_code == 409
    assert error_of(again)["code"] == "not_in_stock"


@pytest.mark.parametrize(
    "body", [{}, {"reason": "bored"}, {"reason": "other", "note": "x" * 501}, {"reason": 3}]
)
def test_discard_bad_input_is_422(api_as, lidocaine, body):
    (vial,) = make_vials(lidocaine)
    response = api_as("nurse").post(f"/api/v1/vials/{vial.id}/discard", json=body)
    assert response.status_code == 422


def test_discard_unknown_vial_is_404_and_practitioner_403(api_as, lidocaine):
    assert api_as("nurse").post("/api/v1/vials/999/discard", json={"reason": "other"}).status_code == 404
    (vial,) = make_vials(lidocaine)
    assert (
        api_as("practitioner").post(f"/api/v1/vials/{vial.id}/discard", json={"reason": "other"}).status_code
        == 403
    )


def test_safe_03_quarantine_then_a_second_manager_releases(api_as, lidocaine, db):
    (vial,) = make_vials(lidocaine)
    first, second = api_as("manager"), api_as("manager")
    response = first.post(f"/api/v1/lots/{vial.lot_id}/quarantine", json={"reason": "cloudy solution"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "quarantined"
    assert body["vials"][0]["blocked_reason"] == "quarantined"
    assert body["vials"][0]["usable"] is False
    lot = db.session.get(Lot, vial.lot_id)
    db.session.refresh(lot)
    assert (lot.quarantined_by_id, lot.quarantine_reason) == (first.user.id, "cloudy solution")

    refused = first.post(f"/api/v1/lots/{vial.lot_id}/release", json={"reason": "checked"})
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "second_person_required"
    assert "another manager" in error_of(refused)["message"]

    released = second.post(f"/api/v1/lots/{vial.lot_id}/release", json={"reason": "supplier confirmed"})
    assert released.status_code == 200
    assert released.get_json()["status"] == "available"
    assert released.get_json()["vials"][0]["usable"] is True
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_type == "lot").order_by(AuditEntry.id)
    ).all()
    assert actions == ["lot_quarantined", "lot_released"]


def test_safe_03_a_recalled_lot_is_never_released(api_as, lidocaine, db):
    (vial,) = make_vials(lidocaine, lot_status="recalled")
    for role in ("manager", "admin"):
        response = api_as(role).post(f"/api/v1/lots/{vial.lot_id}/release", json={"reason": "please"})
        assert response.status_code == 409
        assert error_of(response)["code"] == "recalled_lot"
    quarantine = api_as("manager").post(f"/api/v1/lots/{vial.lot_id}/quarantine", json={"reason": "x"})
    assert quarantine.status_code == 409


def test_quarantine_needs_the_quality_permission_and_a_reason(api_as, lidocaine):
    (vial,) = make_vials(lidocaine)
    assert (
        api_as("nurse").post(f"/api/v1/lots/{vial.lot_id}/quarantine", json={"reason": "x"}).status_code
        == 403
    )
    manager = api_as("manager")
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": 5}):
        assert manager.post(f"/api/v1/lots/{vial.lot_id}/quarantine", json=body).status_code == 422, body
    assert manager.post("/api/v1/lots/999/quarantine", json={"reason": "x"}).status_code == 404


def test_quarantine_twice_and_release_of_an_available_lot_are_conflicts(api_as, lidocaine):
    (vial,) = make_vials(lidocaine)
    manager = api_as("manager")
    assert manager.post(f"/api/v1/lots/{vial.lot_id}/release", json={"reason": "x"}).status_code == 409
    assert manager.post(f"/api/v1/lots/{vial.lot_id}/quarantine", json={"reason": "x"}).status_code == 200
    assert manager.post(f"/api/v1/lots/{vial.lot_id}/quarantine", json={"reason": "x"}).status_code == 409


def test_get_lot(api_as, lidocaine):
    vials = make_vials(lidocaine, 2, lot_number="L-9")
    body = api_as("nurse").get(f"/api/v1/lots/{vials[0].lot_id}").get_json()
    assert {key: body[key] for key in ("id", "product_id", "number", "status")} == {
        "id": vials[0].lot_id,
        "product_id": lidocaine.id,
        "number": "L-9",
        "status": "available",
    }
    assert len(body["vials"]) == 2
    assert api_as("nurse").get("/api/v1/lots/999").status_code == 404


def test_expiring_lists_lots_opened_vials_and_syringes(api_as, lidocaine, hyaluronidase):
    soon = make_vials(lidocaine, expiry=date(2026, 3, 25))[0]
    make_vials(lidocaine, expiry=date(2026, 12, 31))
    opened = make_vials(hyaluronidase, expiry=date(2026, 12, 31), opened_at=NOW - timedelta(hours=2))[0]
    syringe = factories.SyringeFactory(bud=NOW + timedelta(days=2), status="available")
    factories.SyringeFactory(bud=NOW + timedelta(days=2), status="administered")
    items = api_as("nurse").get("/api/v1/stock/expiring?days=30").get_json()["items"]
    assert [(item["kind"], item["id"]) for item in items] == [
        ("vial", opened.id),
        ("syringe", syringe.id),
        ("lot", soon.lot_id),
    ]
    assert items[0]["until"] == "2026-03-10T19:00:00+00:00"
    assert items[0]["product_id"] == hyaluronidase.id
    assert items[2]["code"] == soon.lot.number
    assert {"kind", "id", "code", "product_id", "until"} <= set(items[1])
    short = api_as("nurse").get("/api/v1/stock/expiring?days=1").get_json()["items"]
    assert [item["kind"] for item in short] == ["vial"]


@pytest.mark.parametrize("days", ["-1", "abc", "99999"])
def test_expiring_bad_days_is_422(api_as, days):
    assert api_as("nurse").get(f"/api/v1/stock/expiring?days={days}").status_code == 422
