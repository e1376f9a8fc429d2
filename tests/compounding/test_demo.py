"""The compounding demo: prepared through the services on top of the demo catalogue and stock."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from inventory.demo import catalogue as demo_catalogue
from inventory.demo import compounding as demo_compounding
from inventory.demo import stock as demo_stock
from inventory.models import Batch
from tests import factories


def test_demo_batches_are_prepared_released_and_immediate(app: Any, db: Any) -> None:
    with app.test_request_context():
        demo_catalogue.load()
        demo_stock.load()
    factories.PatientFactory(name="Demo Patient")
    demo_compounding.load()  # outside a request, as the CLI runs it
    made = {b.recipe.name: b for b in db.session.scalars(select(Batch))}
    assert made["Hair cocktail"].status == "released"
    assert made["Hair cocktail"].syringe_count == 3
    assert made["Skin cocktail"].status == "awaiting_verification"
    assert made["Glow booster (immediate use)"].status == "released"
    assert made["Glow booster (immediate use)"].patient_id is not None
    demo_compounding.load()  # once only
    assert db.session.scalar(select(Batch.id).order_by(Batch.id.desc()).limit(1)) == max(
        b.id for b in made.values()
    )


def test_demo_without_stock_skips_quietly(app: Any, db: Any) -> None:
    with app.test_request_context():
        demo_catalogue.load()
    demo_compounding.load()
    assert db.session.scalar(select(Batch.id)) is None
