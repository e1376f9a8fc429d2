"""The dashboard's tiles on known data: expiring, low stock, reorder, waste, recalls, signals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inventory.extensions import db
from inventory.models import AdverseEvent, Recall, RecallPatient
from inventory.services import dashboard, summaries
from tests import factories
from tests.manager.conftest import NOW, TODAY, batch, draw, lot, product, utc, vials
from tests.support import selects, statements_run


def _adverse_event(session, reporter):
    event = AdverseEvent(
        session_id=session.id,
        patient_id=session.patient_id,
        onset_at=NOW - timedelta(days=1),
        severity="mild",
        description="redness",
        reporter_id=reporter.id,
    )
    db.session.add(event)
    return event


@pytest.fixture
def desk(app, frozen, in_request):
    multi = product(name="Lidocaine 20 mL", container="multi_dose", volume_ul=20_000, reorder_point=0)
    single = product(name="Hyaluronidase 1 mL", container="single_dose", volume_ul=1000, reorder_point=2)
    soon = lot(multi, expiry=TODAY + timedelta(days=20), number="SOON")
    vials(soon, 1)
    used_up = lot(multi, expiry=TODAY + timedelta(days=15), number="USEDUP")
    vials(used_up, 1, remaining=0, status="empty")
    vials(lot(multi, expiry=TODAY + timedelta(days=60), number="LATER"), 1)
    vials(lot(multi, expiry=TODAY + timedelta(days=5), number="QUAR", status="quarantined"), 1)
    vials(
        lot(multi, expiry=TODAY + timedelta(days=300)), 1, status="open", opened_at=NOW - timedelta(days=20)
    )
    hyal = lot(single, expiry=TODAY + timedelta(days=300), number="HYAL")
    vials(hyal, 1, status="open", opened_at=NOW - timedelta(hours=13), remaining=500)
    vials(hyal, 1)  # one usable vial, reorder point 2: low

    fresh = batch(at=NOW - timedelta(hours=6))
    factories.SyringeFactory(batch=fresh, bud=NOW + timedelta(hours=6))
    factories.SyringeFactory(batch=fresh, number=2, bud=NOW - timedelta(days=1))
    factories.SyringeFactory(batch=fresh, number=3, bud=NOW - timedelta(days=1), status="administered")

    # waste: this month 1 mL of a 5 mL vial at 10.00 = 2.00; last month's does not count
    vit = product(name="Vitamin C 5 mL", volume_ul=5000, reorder_point=0)
    for at in ("2026-03-10T10:00:00", "2026-02-20T10:00:00"):
        thrown = vials(lot(vit, expiry=TODAY + timedelta(days=100)), 1, cost=1000)[0]
        thrown.status, thrown.discard_reason, thrown.remaining_ul = "discarded", "contaminated", 0
        thrown.waste_ul, thrown.discarded_at = 1000, utc(at)

    manager = factories.UserFactory(roles=("manager",))
    patients = [factories.PatientFactory() for _ in range(3)]
    recall = Recall(
        product_id=multi.id,
        lot_id=soon.id,
        lot_number="SOON",
        classification="II",
        reason="particulates",
        created_by_id=manager.id,
    )
    closed = Recall(
        product_id=multi.id,
        lot_number="OLD",
        classification="III",
        reason="label",
        created_by_id=manager.id,
        closed_at=NOW - timedelta(days=2),
    )
    db.session.add_all([recall, closed])
    db.session.flush()
    db.session.add_all(
        [
            RecallPatient(recall_id=recall.id, patient_id=patients[0].id, status="pending"),
            RecallPatient(recall_id=recall.id, patient_id=patients[1].id, status="pending"),
            RecallPatient(recall_id=recall.id, patient_id=patients[2].id, status="contacted"),
            RecallPatient(recall_id=closed.id, patient_id=patients[0].id, status="pending"),
        ]
    )

    # signals: lot SIG reached two patients who both reacted; lot ONE one patient with two events
    for number, who in (("SIG", patients[:2]), ("ONE", [patients[2], patients[2]])):
        source = vials(lot(vit, expiry=TODAY + timedelta(days=100), number=number), 1)[0]
        made = batch(syringes=len(who))
        draw(source, 1000, at=NOW - timedelta(days=3), into=made)
        for n, patient in enumerate(who, start=1):
            session = factories.SessionFactory(patient=patient)
            syringe = factories.SyringeFactory(batch=made, number=n, status="administered")
            factories.AdministrationFactory(session=session, syringe=syringe)
            _adverse_event(session, manager)
    db.session.flush()
    summaries.rebuild()  # the factories wrote past the services that keep the daily totals
    db.session.commit()
    return {"multi": multi, "single": single}


def test_dashboard_expiring_lots_vials_and_syringes(desk):
    expiring = dashboard.expiring()
    # in stock and expiring, quarantined or not; an emptied lot and a later one are not listed
    assert [item.label for item in expiring.lots] == ["Lidocaine 20 mL · QUAR", "Lidocaine 20 mL · SOON"]
    opened = {item.label.split(" · ")[0]: item.past for item in expiring.vials}
    assert opened == {"Lidocaine 20 mL": False, "Hyaluronidase 1 mL": True}
    assert [item.past for item in expiring.syringes] == [True, False]
    assert (expiring.count, expiring.past) == (6, 2)


def test_dashboard_low_stock_by_reorder_point(desk):
    assert [(row.product.name, row.vials) for row in dashboard.low_stock()] == [("Hyaluronidase 1 mL", 1)]


def test_dashboard_waste_this_month(desk):
    board = dashboard.dashboard()
    assert (board.waste.volume_ul, board.waste.cost_minor) == (1000, 200)
    assert [cost for _month, _volume, cost in board.waste_months] == [0, 0, 0, 0, 200, 200]


def test_dashboard_open_recalls_and_follow_up(desk):
    assert dashboard.recalls() == dashboard.RecallSummary(open_recalls=1, pending_patients=2)


def test_dashboard_signals_need_two_patients(desk):
    assert [(s.lot, s.patients, s.events) for s in dashboard.signals()] == [("SIG", 2, 2)]


def test_dashboard_page_shows_the_figures_and_links(client, login_as, desk):
    login_as("manager")
    html = client.get("/manager/").get_data(as_text=True)
    assert 'data-figure="expiring">6<' in html
    assert 'data-figure="low-stock">1<' in html
    assert 'data-figure="waste-cost">TRY2.00<' in html
    assert 'data-figure="recalls">1<' in html
    assert 'data-figure="signals">1<' in html
    assert "2 patients still to contact" in html
    assert 'href="/manager/reorder"' in html
    assert "style=" not in html


def test_dashboard_statements_do_not_follow_the_lots_in_stock(client, login_as, desk):
    """Issue 16: usable stock reloaded each lot in stock one query at a time (the lots it had loaded were
    dropped before it read them), and each service read the clinic's policy again. Now usable stock is
    the same few statements whatever the lots, and a dashboard reads the policy once."""
    from inventory.services import usability

    db.session.expunge_all()  # as a fresh request finds it: nothing of the fixture's in the session
    with statements_run(db.engine) as statements:
        levels = usability.usable_stock()
        assert sum(level.vials for level in levels.values()) >= 3  # vials of several lots
        read = selects(statements)
        assert len(read) <= 4, read  # vials with their lots, policy, recalled lots, temperature holds
        login_as("manager")
        statements.clear()
        assert client.get("/manager/").status_code == 200
    assert sum("FROM policy_settings" in s for s in statements) == 1
