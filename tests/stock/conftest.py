"""Stock fixtures: products with GTINs, vials of a lot, a browser page."""

from __future__ import annotations

from typing import Any

import pytest

from inventory.models import Product
from tests import factories
from tests.factories import make_vials

__all__ = ["make_vials"]  # the one helper lives in tests.factories

#: Valid GTIN-14s (GS1-03 check digits).
GTIN_LIDO = "09506000134352"
GTIN_HYAL = "08690000000029"
GTIN_SPARE = "08690000000036"


@pytest.fixture
def lidocaine(app: Any) -> Product:
    return factories.ProductFactory(
        name="Lidocaine HCl 2% 20 mL",
        container="multi_dose",
        volume_ul=20_000,
        in_use_days=28,
        gtin=GTIN_LIDO,
        unit_cost_minor=1250,
    )


@pytest.fixture
def hyaluronidase(app: Any) -> Product:
    return factories.ProductFactory(
        name="Hyaluronidase 150 U/mL 1 mL",
        container="single_dose",
        volume_ul=1000,
        storage="fridge",
        biological=True,
        gtin=GTIN_HYAL,
        unit_cost_minor=4500,
    )
