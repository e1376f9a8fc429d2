"""Builders for the manager's tests: products with lots and vials at known costs, draws, discards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from inventory.extensions import db
from inventory.models import Batch, Draw, Lot, Product, Receipt, Vial
from inventory.services import summaries
from tests import factories

#: Wednesday 18 March 2026, 12:00 in Istanbul.
NOW = datetime(2026, 3, 18, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 18)


@pytest.fixture
def frozen(freeze: Callable[[datetime], datetime]) -> datetime:
    return freeze(NOW)


@pytest.fixture
def in_request(app: Any) -> Iterator[None]:
    """Services word their errors in the request's language: give them a request."""
    with app.test_request_context():
        yield


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def product(**overrides: Any) -> Product:
    values: dict[str, Any] = {"created_at": NOW - timedelta(days=400), **overrides}
    return factories.ProductFactory(**values)


def lot(prod: Product, *, expiry: date, status: str = "available", number: str | None = None) -> Lot:
    extra = {"number": number} if number else {}
    return factories.LotFactory(product=prod, expiry=expiry, status=status, **extra)


def receipt(
    the_lot: Lot,
    *,
    cost: int = 1000,
    at: datetime | None = None,
    supplier: str = "Acme Pharma",
    count: int = 1,
) -> Receipt:
    return factories.ReceiptFactory(
        lot=the_lot,
        unit_cost_minor=cost,
        received_at=at or NOW - timedelta(days=30),
        supplier=supplier,
        vial_count=count,
    )


def vials(
    the_lot: Lot,
    n: int = 1,
    *,
    cost: int = 1000,
    remaining: int | None = None,
    status: str = "sealed",
    opened_at: datetime | None = None,
    the_receipt: Receipt | None = None,
    received_at: datetime | None = None,
    supplier: str = "Acme Pharma",
) -> list[Vial]:
    the_receipt = the_receipt or receipt(the_lot, cost=cost, at=received_at, supplier=supplier, count=n)
    made: list[Any] = []
    for _ in range(n):
        extra: dict[str, Any] = {}
        if remaining is not None:
            extra["remaining_ul"] = remaining
        made.append(
            factories.VialFactory(
                lot=the_lot, receipt=the_receipt, status=status, opened_at=opened_at, **extra
            )
        )
    return made


def batch(*, indication: str = "skin", syringes: int = 1, at: datetime | None = None) -> Batch:
    recipe = factories.RecipeFactory(indication=indication)
    moment = at or NOW
    return factories.BatchFactory(
        recipe=recipe,
        syringe_count=syringes,
        prepared_at=moment,
        completed_at=moment,
        bud=moment + timedelta(hours=12),
    )


def draw(vial: Vial, volume_ul: int, *, at: datetime, into: Batch | None = None) -> Draw:
    into = into or batch(at=at)
    row = factories.DrawFactory(batch=into, vial=vial, volume_ul=volume_ul, drawn_at=at)
    db.session.flush()
    summaries.drawn([row])  # as the batch service does with every draw
    return row


def commit() -> None:
    db.session.commit()
