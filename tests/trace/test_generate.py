"""The large-dataset generator: consistent chains a trace can follow, on both databases."""

from __future__ import annotations

from inventory.demo.catalogue import load as load_catalogue
from inventory.demo.generate import busiest_lots, generate
from inventory.extensions import db
from inventory.models import Administration, Draw, Syringe, Vial
from inventory.services import lot_trace


def test_generated_dataset_is_traceable(app):
    load_catalogue()
    counts = generate(years=0.1, sessions=120, seed=7)
    assert counts.sessions == 120
    assert counts.administrations == db.session.scalar(db.select(db.func.count(Administration.id)))
    assert counts.syringes == db.session.scalar(db.select(db.func.count(Syringe.id)))
    assert db.session.scalar(db.select(db.func.count(Vial.id)).where(Vial.remaining_ul < 0)) == 0
    drawn = db.session.scalar(db.select(db.func.sum(Draw.volume_ul)))
    used = db.session.scalar(db.select(db.func.sum(Vial.initial_ul - Vial.remaining_ul - Vial.waste_ul)))
    assert drawn == used
    lot_id, administrations = next(iter(busiest_lots(1)))
    assert lot_trace.lot_page(lot_id).counts.administrations == administrations
    again = generate(years=0.1, sessions=10, seed=8)
    assert again.sessions == 10


def test_demo_recall_is_entered_once(app):
    from inventory.demo import trace as demo_trace
    from inventory.models import Recall

    load_catalogue()
    demo_trace.load()
    assert db.session.scalar(db.select(db.func.count(Recall.id))) == 0
    generate(years=0.05, sessions=30, seed=3)
    demo_trace.load()
    demo_trace.load()
    recall = db.session.scalar(db.select(Recall))
    assert recall is not None
    assert recall.patients
    assert db.session.scalar(db.select(db.func.count(Recall.id))) == 1
