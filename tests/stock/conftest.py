"""Stock fixtures: products with GTINs, vials of a lot, a browser page."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from inventory import clock
from inventory.models import Product, Vial
from tests import factories

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


def make_vials(
    product: Product,
    count: int = 1,
    *,
    expiry: date | None = None,
    lot_number: str | None = None,
    lot_status: str = "available",
    opened_at: datetime | None = None,
    location: str = "",
    unit_cost_minor: int = 1000,
) -> list[Vial]:
    """``count`` vials of one new lot of ``product``."""
    lot_kwargs: dict[str, Any] = {"product": product, "status": lot_status}
    lot_kwargs["expiry"] = expiry or clock.today() + timedelta(days=365)
    if lot_number:
        lot_kwargs["number"] = lot_number
    lot = factories.LotFactory(**lot_kwargs)
    receipt = factories.ReceiptFactory(lot=lot, vial_count=count, unit_cost_minor=unit_cost_minor)
    return [
        factories.VialFactory(
            lot=lot,
            receipt=receipt,
            status="open" if opened_at else "sealed",
            opened_at=opened_at,
            location=location,
        )
        for _ in range(count)
    ]
