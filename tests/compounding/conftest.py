"""Stock and recipes for compounding tests, built with the shared factories."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from inventory import clock
from inventory.models import Product, Recipe, Vial
from tests import factories


def make_vials(
    product: Product,
    count: int = 1,
    *,
    expiry: date | None = None,
    remaining_ul: int | None = None,
    lot_status: str = "available",
    received_at: datetime | None = None,
    opened_at: datetime | None = None,
) -> list[Vial]:
    """``count`` vials of one new lot of ``product``."""
    lot = factories.LotFactory(
        product=product, expiry=expiry or clock.today() + timedelta(days=365), status=lot_status
    )
    receipt = factories.ReceiptFactory(lot=lot, received_at=received_at or clock.now(), vial_count=count)
    return [
        factories.VialFactory(
            lot=lot,
            receipt=receipt,
            remaining_ul=product.volume_ul if remaining_ul is None else remaining_ul,
            status="open" if opened_at else "sealed",
            opened_at=opened_at,
        )
        for _ in range(count)
    ]


def make_recipe(parts: list[tuple[Product, int]], **kwargs: Any) -> Recipe:
    recipe = factories.RecipeFactory(**kwargs)
    for position, (product, volume_ul) in enumerate(parts):
        factories.RecipeComponentFactory(
            recipe=recipe, product=product, volume_ul=volume_ul, position=position
        )
    factories.db.session.refresh(recipe)
    return recipe


@pytest.fixture
def vials() -> Callable[..., list[Vial]]:
    return make_vials


@pytest.fixture
def hair(app: Any) -> dict[str, Any]:
    """A two-product recipe (1 mL + 2 mL per syringe) with one lot of 5 mL multi-dose vials each."""
    dex = factories.ProductFactory(name="Dexpanthenol 5 mL", volume_ul=5000, container="multi_dose")
    silicon = factories.ProductFactory(name="Organic silicon 5 mL", volume_ul=5000, container="multi_dose")
    recipe = make_recipe([(dex, 1000), (silicon, 2000)], name="Hair cocktail", indication="hair")
    return {
        "recipe": recipe,
        "dex": dex,
        "silicon": silicon,
        "dex_vials": make_vials(dex, 2),
        "silicon_vials": make_vials(silicon, 2),
    }
