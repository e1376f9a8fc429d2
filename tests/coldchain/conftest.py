"""Cold-chain fixtures: a room shelf, a fridge and a freezer with their default ranges."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
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


def error_of(response: Any) -> dict[str, Any]:
    body = response.get_json()
    assert "error" in body, body
    error: dict[str, Any] = body["error"]
    return error
