"""Adverse events (AE-01) and lot signals (AE-02) through the API."""

from __future__ import annotations

from inventory import clock
from inventory.services import summaries
from tests import factories as f


def _report(api, session, severity="moderate"):
    return api.post(
        "/api/v1/adverse-events",
        json={
            "session_id": session.id,
            "onset_at": clock.now().isoformat(),  # the scenario's sessions start now
            "severity": severity,
            "description": "Swelling and redness at the injection sites",
            "outcome": "resolved in 48 h",
        },
    )


def test_ae_01_event_lists_every_lot_of_the_cocktail_and_other_exposed_patients(scenario, api_as):
    s = scenario
    unrelated = f.PatientFactory()
    f.AdministrationFactory(session=f.SessionFactory(patient=unrelated))
    response = _report(api_as("practitioner"), s.session_12)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["patient_id"] == s.p12.id
    assert {lot["lot"] for lot in body["suspect_lots"]} == {"HYAL-2409", "LIDO-77"}
    others = {row["patient_id"]: set(row["lots"]) for row in body["other_exposed_patients"]}
    assert others == {s.p15.id: {s.lot_2409.id, s.lot_lido.id}}


def test_ae_01_needs_a_session_and_a_known_severity(scenario, api_as):
    api = api_as("practitioner")
    bad = api.post(
        "/api/v1/adverse-events",
        json={
            "session_id": 999999,
            "onset_at": clock.now().isoformat(),
            "severity": "mild",
            "description": "x",
        },
    )
    assert bad.status_code == 422
    assert _report(api, scenario.session_12, severity="awful").status_code == 422
    assert _report(api_as("manager"), scenario.session_12).status_code == 403


def test_ae_02_a_lot_with_events_from_two_patients_is_a_signal(scenario, api_as):
    s = scenario
    practitioner = api_as("practitioner")
    manager = api_as("manager")
    _report(practitioner, s.session_15a)
    _report(practitioner, s.session_15a)  # two events of one patient are not a signal
    assert manager.get("/api/v1/signals").get_json()["items"] == []
    _report(practitioner, s.session_12)
    items = {row["lot"]: row for row in manager.get("/api/v1/signals").get_json()["items"]}
    assert set(items) == {"HYAL-2409", "LIDO-77"}
    assert items["HYAL-2409"]["patients"] == 2
    assert items["HYAL-2409"]["events"] == 3
    trace = manager.get(f"/api/v1/trace/lots/{s.lot_2409.id}").get_json()
    assert trace["signal"]["patients"] == 2
    assert manager.get(f"/api/v1/trace/lots/{s.lot_2411.id}").get_json()["signal"] is None
    assert practitioner.get("/api/v1/signals").status_code == 403


def test_rcl_06_patient_trace_reaches_every_lot_with_supplier_and_receipt(scenario, api_as):
    s = scenario
    body = api_as("practitioner").get(f"/api/v1/trace/patients/{s.p15.id}").get_json()
    assert len(body["administrations"]) == 2
    first = body["administrations"][0]
    assert first["batch"]["code"] == s.b1.code
    lots = {lot["lot"]: lot for lot in first["lots"]}
    assert set(lots) == {"HYAL-2409", "LIDO-77"}
    assert lots["HYAL-2409"]["supplier"] == "Acme Pharma"
    assert lots["HYAL-2409"]["expiry"] == s.lot_2409.expiry.isoformat()
    assert lots["HYAL-2409"]["received_at"]
    assert {lot["lot"] for lot in body["lots"]} == {"HYAL-2409", "LIDO-77"}
    session = api_as("practitioner").get(f"/api/v1/trace/sessions/{s.session_15b.id}").get_json()
    assert len(session["administrations"]) == 1


def test_batch_trace_both_ways(scenario, api_as):
    s = scenario
    body = api_as("manager").get(f"/api/v1/trace/batches/{s.b2.id}").get_json()
    assert {lot["lot"] for lot in body["lots"]} == {"HYAL-2409"}
    assert [v["vial_code"] for v in body["vials"]] == [s.v7.code]
    assert [(row["code"], row["fate"]) for row in body["syringes"]] == [(s.s4.code, "destroyed")]
    assert body["administrations"] == []
    assert body["patients"] == []
    assert api_as("manager").get("/api/v1/trace/batches/999999").status_code == 404


def test_ae_02_signals_come_a_page_at_a_time_with_next(scenario, api_as, client, login_as):
    """api.md's paging for long lists: `?page=` and `?per_page=`, `next` null on the last page; the
    signals page pages by 25 and the dashboard and recalls list count them all."""
    s = scenario
    practitioner = api_as("practitioner")
    manager = api_as("manager")
    _report(practitioner, s.session_15a)
    _report(practitioner, s.session_12)
    whole = manager.get("/api/v1/signals").get_json()
    assert len(whole["items"]) == 2
    assert whole["next"] is None
    first = manager.get("/api/v1/signals?per_page=1").get_json()
    assert first["next"] == 2
    second = manager.get("/api/v1/signals?per_page=1&page=2").get_json()
    assert second["next"] is None
    assert [row["lot"] for row in first["items"] + second["items"]] == [row["lot"] for row in whole["items"]]
    assert manager.get("/api/v1/signals?page=3&per_page=1").get_json() == {"items": [], "next": None}
    assert manager.get("/api/v1/signals?per_page=1000").status_code == 422
    login_as("manager")
    page = client.get("/trace/signals?page=7").get_data(as_text=True)  # past the end: the last page
    assert "HYAL-2409" in page
    assert "LIDO-77" in page
    assert 'data-figure="signals">2<' in client.get("/manager/").get_data(as_text=True)


def test_ae_02_a_void_elsewhere_hides_no_signal_and_a_voided_scan_exposes_nobody(scenario, api_as, db):
    """A voided administration anywhere once emptied the whole list (the void check was not tied to the
    events' administrations); now only the voided scan itself stops counting."""
    from inventory.models import AdministrationVoid

    s = scenario
    practitioner = api_as("practitioner")
    manager = api_as("manager")
    _report(practitioner, s.session_15a)
    _report(practitioner, s.session_12)
    elsewhere = f.AdministrationFactory(session=f.SessionFactory(patient=f.PatientFactory()))
    voider = f.UserFactory(roles=("practitioner",))
    db.session.add(AdministrationVoid(administration_id=elsewhere.id, reason="other", voided_by_id=voider.id))
    summaries.rebuild()  # the voids go in past the service that keeps the adverse events' lots
    db.session.commit()
    items = {row["lot"]: row for row in manager.get("/api/v1/signals").get_json()["items"]}
    assert set(items) == {"HYAL-2409", "LIDO-77"}
    for administration in s.session_12.administrations:
        db.session.add(
            AdministrationVoid(administration_id=administration.id, reason="other", voided_by_id=voider.id)
        )
    db.session.flush()
    summaries.rebuild()
    db.session.commit()
    assert manager.get("/api/v1/signals").get_json()["items"] == []


def test_ae_02_the_signals_page_lists_each_lots_newest_events_and_links_the_rest(
    scenario, api_as, client, login_as
):
    """A lot's events on the signals page are its newest few (the page does not grow with a lot's
    history); the rest are one link away, on the lot's trace."""
    from inventory.services import vigilance

    s = scenario
    practitioner = api_as("practitioner")
    for _ in range(vigilance.EVENTS_PER_SIGNAL + 1):
        _report(practitioner, s.session_15a)
    _report(practitioner, s.session_12)
    login_as("manager")
    page = client.get("/trace/signals").get_data(as_text=True)
    assert "2 earlier events: see the lot's trace" in page
    assert page.count("/trace/adverse-events/") <= 2 * vigilance.EVENTS_PER_SIGNAL
    newest = vigilance.events_by_lot([s.lot_2409.id], newest=vigilance.EVENTS_PER_SIGNAL)[s.lot_2409.id]
    every = vigilance.events_of_lot(s.lot_2409.id)
    assert len(every) == vigilance.EVENTS_PER_SIGNAL + 2
    assert [e.id for e in newest] == [e.id for e in every[: vigilance.EVENTS_PER_SIGNAL]]
