"""Cold-chain fixtures: a room shelf, a fridge and a freezer with their default ranges."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from inventory import clock
from inventory.models import StorageUnit
from tests import factories

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen_at(NOW):
        yield


@pytest.fixture
def room(app: Any) -> StorageUnit:
    return factories.StorageUnitFactory(name="Shelf A", kind="room", min_dc=200, max_dc=250)


@pytest.fixture
def fridge(app: Any) -> StorageUnit:
    return factories.StorageUnitFactory(name="Fridge 1", kind="fridge", min_dc=20, max_dc=80)


@pytest.fixture
def freezer(app: Any) -> StorageUnit:
    return factories.StorageUnitFactory(name="Freezer 1", kind="freezer", min_dc=-250, max_dc=-100)


@pytest.fixture
def stocked(fridge: StorageUnit, room: StorageUnit) -> dict[str, Any]:
    """A fridge with two vials of one lot and a category 1 batch of two unused syringes; a room shelf
    with a vial of the same lot."""
    lot = factories.LotFactory()
    vials = [factories.VialFactory(lot=lot, storage_unit_id=fridge.id) for _ in range(2)]
    outside = factories.VialFactory(lot=lot, storage_unit_id=room.id)
    prepared = NOW - timedelta(hours=2)
    batch = factories.BatchFactory(
        category="category_1", storage="fridge", prepared_at=prepared, bud=prepared + timedelta(hours=24)
    )
    factories.DrawFactory(batch=batch)
    syringes = [
        factories.SyringeFactory(batch=batch, number=n, storage="fridge", storage_unit_id=fridge.id)
        for n in (1, 2)
    ]
    return {"lot": lot, "vials": vials, "outside": outside, "batch": batch, "syringes": syringes}


def error_of(response: Any) -> dict[str, Any]:
    body = response.get_json()
    assert "error" in body, body
    error: dict[str, Any] = body["error"]
    return error
