"""The demo stock loads through the services on top of the demo catalogue."""

from __future__ import annotations

from sqlalchemy import select

from inventory.demo import catalogue as demo_catalogue
from inventory.demo import stock as demo_stock
from inventory.models import Lot, Vial
from inventory.services import stock, usability


def test_demo_stock_has_lots_near_expiry_an_opened_vial_and_a_quarantined_lot(app, db):
    demo_catalogue.load()
    demo_stock.load()
    assert db.session.query(Vial).count() > 100
    assert db.session.scalar(select(Lot).where(Lot.status == "quarantined")) is not None
    opened = db.session.scalars(select(Vial).where(Vial.status == "open")).all()
    assert len(opened) == 1
    assert opened[0].lot.product.name.startswith("Lidocaine")
    assert usability.vial_states(opened)[opened[0].id].usable
    kinds = {item.kind for item in stock.expiring(30)}
    assert {"lot", "vial"} <= kinds
