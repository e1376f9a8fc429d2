"""Stock and recipes for compounding tests, built with the shared factories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from inventory.models import Product, Recipe, Vial
from tests import factories
from tests.factories import make_vials

__all__ = ["make_vials"]  # the one helper lives in tests.factories


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
