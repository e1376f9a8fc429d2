"""The trace pages: search, family trees, the recall flow with its confirmation, follow-up, CSV,
adverse events and signals (page tests keep CSRF on)."""

from __future__ import annotations

import csv
import io

from inventory.extensions import db
from inventory.models import AdverseEvent, Lot, Recall
from tests.support import csrf_from


def test_trace_search_finds_lots_patients_and_codes(scenario, client, login_as):
    login_as("manager")
    page = client.get("/trace/?q=hyal-24").get_data(as_text=True)
    assert "HYAL-2409" in page
    assert "HYAL-2411" in page
    assert "Mehmet" in client.get("/trace/?q=mehmet").get_data(as_text=True)
    by_vial = client.get(f"/trace/?q={scenario.v7.code.lower()}")
    assert by_vial.status_code == 302
    assert by_vial.location.endswith(f"/trace/lots/{scenario.lot_2409.id}")
    by_syringe = client.get(f"/trace/?q={scenario.s4.code}")
    assert by_syringe.location.endswith(f"/trace/batches/{scenario.b2.id}")
    assert "Nothing found" in client.get("/trace/?q=nope-nope").get_data(as_text=True)


def test_rcl_03_lot_page_reads_like_a_family_tree(scenario, client, login_as):
    login_as("manager")
    page = client.get(f"/trace/lots/{scenario.lot_2409.id}").get_data(as_text=True)
    for code in (scenario.v7.code, scenario.b1.code, scenario.b2.code, scenario.s1.code, scenario.s4.code):
        assert code in page
    assert "destroyed, not administered" in page
    assert f"/trace/patients/{scenario.p15.id}" in page
    assert f"/trace/batches/{scenario.b1.id}" in page


def test_rcl_06_patient_session_and_batch_pages(scenario, client, login_as):
    login_as("practitioner")
    page = client.get(f"/trace/patients/{scenario.p15.id}").get_data(as_text=True)
    assert "HYAL-2409" in page
    assert "LIDO-77" in page
    assert "Acme Pharma" in page
    session = client.get(f"/trace/sessions/{scenario.session_12.id}").get_data(as_text=True)
    assert "Record an adverse event" in session
    batch = client.get(f"/trace/batches/{scenario.b1.id}").get_data(as_text=True)
    assert scenario.v7.code in batch
    assert "Ayşe Yılmaz" in batch


def test_rcl_02_recall_page_asks_for_confirmation_before_quarantining(scenario, client, login_as):
    login_as("manager")
    form = client.get("/trace/recalls/new").get_data(as_text=True)
    data = {
        "csrf_token": csrf_from(form),
        "lot_id": "",
        "product_id": str(scenario.hyal.id),
        "lot": " hyal-2409",
        "classification": "I",
        "reason": "sterility failure",
        "reference": "MFR-1",
    }
    confirm = client.post("/trace/recalls/new", data=data)
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "Enter the recall and quarantine now" in text
    assert "2 batches made with it" in text
    assert "2 patients received it" in text
    assert db.session.scalar(db.select(Recall)) is None
    done = client.post("/trace/recalls/new", data={**data, "csrf_token": csrf_from(text), "confirm": "yes"})
    assert done.status_code == 302
    recall = db.session.scalar(db.select(Recall))
    assert recall.lot_id == scenario.lot_2409.id
    assert db.session.get(Lot, scenario.lot_2409.id).status == "recalled"

    page = client.get(done.location).get_data(as_text=True)
    assert "Ayşe Yılmaz" in page
    assert "Mehmet Öz" in page
    saved = client.post(
        f"/trace/recalls/{recall.id}/patients/{scenario.p12.id}",
        data={"csrf_token": csrf_from(page), "status": "not_required", "note": ""},
        follow_redirects=True,
    )
    assert "A note is needed" in saved.get_data(as_text=True) or "Say why" in saved.get_data(as_text=True)
    client.post(
        f"/trace/recalls/{recall.id}/patients/{scenario.p12.id}",
        data={"csrf_token": csrf_from(page), "status": "contacted", "note": "no reaction"},
    )
    exported = client.get(f"/recalls/{recall.id}/patients.csv")
    assert exported.status_code == 200
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    by_name = {row["name"]: row for row in rows}
    assert set(by_name) == {"Ayşe Yılmaz", "Mehmet Öz"}
    assert by_name["Ayşe Yılmaz"]["status"] == "contacted"
    assert by_name["Mehmet Öz"]["administrations"] == "2"
    listing = client.get("/trace/recalls").get_data(as_text=True)
    assert "HYAL-2409" in listing
    assert "Mehmet Öz" in client.get(f"/trace/recalls/{recall.id}/print").get_data(as_text=True)


def test_recall_pages_are_for_managers(scenario, client, login_as):
    login_as("practitioner")
    assert client.get("/trace/recalls").status_code == 403
    assert client.get("/trace/recalls/new").status_code == 403


def test_ae_01_adverse_event_page_and_report(scenario, client, login_as):
    login_as("practitioner")
    form = client.get(f"/trace/sessions/{scenario.session_12.id}/adverse-events/new").get_data(as_text=True)
    assert "HYAL-2409" in form
    response = client.post(
        f"/trace/sessions/{scenario.session_12.id}/adverse-events/new",
        data={
            "csrf_token": csrf_from(form),
            "onset_at": "2025-03-10T10:00",
            "severity": "moderate",
            "description": "Nodules at two injection sites",
            "outcome": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalar(db.select(AdverseEvent))
    assert event.patient_id == scenario.p12.id
    assert event.reporter.username == "practitioner-user"
    report = client.get(response.location).get_data(as_text=True)
    for expected in ("Ayşe Yılmaz", "HYAL-2409", "LIDO-77", scenario.b1.code, "Mehmet Öz", "Nodules"):
        assert expected in report


def test_ae_02_signals_page(scenario, client, login_as):
    from inventory import clock
    from inventory.models import User
    from inventory.services import vigilance

    reporter = db.session.scalar(db.select(User))
    for visit in (scenario.session_12, scenario.session_15a):
        vigilance.record_adverse_event(
            session_id=visit.id,
            onset_at=clock.now(),
            severity="mild",
            description="rash",
            outcome="",
            reporter=reporter,
        )
    login_as("manager")
    page = client.get("/trace/signals").get_data(as_text=True)
    assert "HYAL-2409" in page
    assert "LIDO-77" in page
    assert "Signal" in client.get(f"/trace/lots/{scenario.lot_2409.id}").get_data(as_text=True)
