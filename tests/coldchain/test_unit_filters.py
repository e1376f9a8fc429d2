"""COLD-01: the expiring list (page and API) and stock counts filter by storage unit, as the vials list
does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from inventory import clock
from inventory.models import AuditEntry, StorageMove, StorageUnit, Vial
from inventory.models.stock import StockCount, StockCountLine
from tests import factories
from tests.coldchain.conftest import NOW
from tests.support import csrf_from


@pytest.fixture
def spread(fridge: StorageUnit, room: StorageUnit) -> dict[str, Any]:
    """Two lots expiring within ten days, one in the fridge, one on the room shelf; a syringe in each."""
    soon = clock.today() + timedelta(days=10)
    cold_lot = factories.LotFactory(number="COLD1", expiry=soon)
    warm_lot = factories.LotFactory(number="WARM1", expiry=soon)
    cold_vials = [factories.VialFactory(lot=cold_lot, storage_unit_id=fridge.id) for _ in range(2)]
    warm_vial = factories.VialFactory(lot=warm_lot, storage_unit_id=room.id)
    batch = factories.BatchFactory(category="category_1", storage="fridge", bud=NOW + timedelta(hours=20))
    cold_syringe = factories.SyringeFactory(batch=batch, number=1, storage_unit_id=fridge.id, bud=batch.bud)
    warm_syringe = factories.SyringeFactory(batch=batch, number=2, storage_unit_id=room.id, bud=batch.bud)
    return {
        "cold_lot": cold_lot,
        "warm_lot": warm_lot,
        "cold_vials": cold_vials,
        "warm_vial": warm_vial,
        "cold_syringe": cold_syringe,
        "warm_syringe": warm_syringe,
    }


def _listed(body: dict[str, Any]) -> set[tuple[str, str]]:
    return {(item["kind"], item["code"]) for item in body["items"]}


def test_cold_01_the_expiring_api_filters_by_storage_unit(
    api_as: Any, fridge: StorageUnit, room: StorageUnit, spread: dict[str, Any]
) -> None:
    api = api_as("nurse")
    everything = _listed(api.get("/api/v1/stock/expiring?days=30").get_json())
    assert {("lot", "COLD1"), ("lot", "WARM1")} <= everything
    in_fridge = _listed(api.get(f"/api/v1/stock/expiring?days=30&storage_unit_id={fridge.id}").get_json())
    assert in_fridge == {("lot", "COLD1"), ("syringe", spread["cold_syringe"].code)}
    on_shelf = _listed(api.get(f"/api/v1/stock/expiring?days=30&storage_unit_id={room.id}").get_json())
    assert on_shelf == {("lot", "WARM1"), ("syringe", spread["warm_syringe"].code)}
    assert api.get("/api/v1/stock/expiring?storage_unit_id=424242").get_json()["items"] == []
    assert api.get("/api/v1/stock/expiring?storage_unit_id=0").status_code == 422


def test_cold_01_an_opened_vial_near_its_limit_is_listed_under_its_unit(
    api_as: Any, fridge: StorageUnit, room: StorageUnit
) -> None:
    product = factories.ProductFactory(container="single_dose")
    opened = factories.VialFactory(
        lot=factories.LotFactory(product=product),
        storage_unit_id=fridge.id,
        status="open",
        opened_at=NOW - timedelta(hours=1),
        remaining_ul=1000,
    )
    api = api_as("nurse")
    in_fridge = _listed(api.get(f"/api/v1/stock/expiring?days=7&storage_unit_id={fridge.id}").get_json())
    assert ("vial", opened.code) in in_fridge
    on_shelf = _listed(api.get(f"/api/v1/stock/expiring?days=7&storage_unit_id={room.id}").get_json())
    assert ("vial", opened.code) not in on_shelf


def test_cold_01_the_expiring_page_filters_by_unit_and_keeps_it_across_windows(
    client: FlaskClient, login_as: Any, fridge: StorageUnit, spread: dict[str, Any]
) -> None:
    login_as("nurse")
    html = client.get(f"/stock/expiring?days=30&storage_unit_id={fridge.id}").get_data(as_text=True)
    assert "COLD1" in html
    assert "WARM1" not in html
    assert f'<option value="{fridge.id}" selected>' in html
    assert f"/stock/expiring?days=7&amp;storage_unit_id={fridge.id}" in html
    everything = client.get("/stock/expiring?days=30").get_data(as_text=True)
    assert "WARM1" in everything


def _post(client: FlaskClient, page_url: str, url: str, data: dict[str, str]) -> Any:
    page = client.get(page_url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_from(page), **data})


def test_cold_01_a_count_of_one_unit_expects_its_vials_and_moves_a_stray_one_in(
    client: FlaskClient,
    login_as: Any,
    db: Any,
    fridge: StorageUnit,
    room: StorageUnit,
    spread: dict[str, Any],
) -> None:
    user = login_as("nurse")
    started = _post(
        client,
        "/stock/counts",
        "/stock/counts",
        {"location": "", "product_id": "0", "storage_unit_id": str(fridge.id)},
    )
    assert started.status_code == 302, started.get_data(as_text=True)
    count_url = started.headers["Location"]
    count = db.session.scalar(select(StockCount))
    assert count.storage_unit_id == fridge.id
    assert "Fridge 1" in client.get(count_url).get_data(as_text=True)
    seen, unseen = spread["cold_vials"]
    stray = spread["warm_vial"]
    for vial in (seen, stray):
        assert _post(client, count_url, count_url, {"code": vial.code}).status_code == 302
    count_id = count.id
    confirmed = _post(client, count_url, f"/stock/counts/{count_id}/confirm", {"note": ""})
    assert confirmed.status_code == 302
    lines = db.session.scalars(select(StockCountLine).order_by(StockCountLine.id)).all()
    assert [(line.vial_id, line.difference) for line in lines] == [
        (unseen.id, "missing"),
        (stray.id, "unexpected"),
    ]
    db.session.expire_all()
    assert db.session.get(Vial, stray.id).storage_unit_id == fridge.id, (
        "found in the fridge: now booked there"
    )
    move = db.session.scalar(select(StorageMove).where(StorageMove.vial_id == stray.id))
    assert (move.from_unit_id, move.to_unit_id, move.moved_by_id) == (room.id, fridge.id, user.id)
    moved = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vial_moved"))
    assert moved.details["storage_unit_id"] == [room.id, fridge.id]
    confirmed_entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "stock_count_confirmed")
    )
    assert confirmed_entry.details["storage_unit_id"] == fridge.id
    assert confirmed_entry.details["moved"] == [stray.code]


def test_cold_01_a_count_of_an_unknown_unit_is_refused_on_the_form(
    client: FlaskClient, login_as: Any, db: Any
) -> None:
    login_as("nurse")
    refused = _post(
        client,
        "/stock/counts",
        "/stock/counts",
        {"location": "", "product_id": "0", "storage_unit_id": "4242"},
    )
    assert refused.status_code == 200
    assert "Choose a storage unit." in refused.get_data(as_text=True)
    assert db.session.scalar(select(StockCount)) is None
