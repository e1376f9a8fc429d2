"""The clinic's JSON API: patients, sessions and scans (api.md "Patients, sessions, scanning")."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from inventory import clock
from tests import factories
from tests.clinic.conftest import given

PATIENT = {
    "name": "Ayşe Işık",
    "date_of_birth": "1987-04-12",
    "mrn": "mrn-0042",
    "phone": "+90 532 111 22 33",
    "email": "ayse@example.org",
}


# ---- patients ------------------------------------------------------------------------------------


def test_nurse_creates_a_patient(api_as):
    api = api_as("nurse")
    response = api.post("/api/v1/patients", json=PATIENT)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == "Ayşe Işık"
    assert body["date_of_birth"] == "1987-04-12"
    assert body["mrn"] == "MRN-0042"
    assert isinstance(body["id"], int)


def test_duplicate_mrn_is_a_conflict(api_as):
    api = api_as("practitioner")
    assert api.post("/api/v1/patients", json=PATIENT).status_code == 201
    response = api.post("/api/v1/patients", json={**PATIENT, "name": "Someone Else", "mrn": " MRN-0042"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "possible_duplicate"  # api.md 1.1: mrn is unique


@pytest.mark.parametrize(
    "birth", ["1987-02-30", "12.04.1987", "tomorrow", "", None, "2999-01-01", "1850-01-01"]
)
def test_bad_date_of_birth_is_422(api_as, birth):
    api = api_as("nurse")
    response = api.post("/api/v1/patients", json={**PATIENT, "date_of_birth": birth})
    assert response.status_code == 422, response.get_json()
    assert "date_of_birth" in response.get_json()["error"]["fields"]


def test_name_is_required(api_as):
    response = api_as("nurse").post("/api/v1/patients", json={**PATIENT, "name": ""})
    assert response.status_code == 422


def test_manager_reads_patients_but_cannot_create_them(api_as):
    factories.PatientFactory(name="Zeynep Kaya")
    manager = api_as("manager")
    assert manager.post("/api/v1/patients", json=PATIENT).status_code == 403
    assert manager.get("/api/v1/patients?q=kaya").get_json()["items"][0]["name"] == "Zeynep Kaya"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("IŞIK", ["Ayşe Işık"]),
        ("isik", ["Ayşe Işık"]),
        ("ayse", ["Ayşe Işık"]),
        ("ÇAĞLAR", ["Çağlar Öztürk"]),
        ("mrn-0042", ["Ayşe Işık"]),
        ("0532 111 22 33", ["Ayşe Işık"]),
        ("1987-04-12", ["Ayşe Işık"]),
        ("12.04.1987", ["Ayşe Işık"]),
        ("nobody", []),
        ("%", []),
    ],
)
def test_patient_search_by_name_key_mrn_phone_or_birth_date(api_as, query, expected):
    api = api_as("nurse")
    api.post("/api/v1/patients", json=PATIENT)
    api.post(
        "/api/v1/patients",
        json={"name": "Çağlar Öztürk", "date_of_birth": "1990-01-01", "phone": "+90 533 999 0000"},
    )
    response = api.get("/api/v1/patients", query_string={"q": query})
    assert response.status_code == 200
    assert [item["name"] for item in response.get_json()["items"]] == expected


def test_patient_page_lists_sessions(api_as):
    session = factories.SessionFactory()
    body = api_as("nurse").get(f"/api/v1/patients/{session.patient_id}").get_json()
    assert [s["id"] for s in body["sessions"]] == [session.id]


def test_unknown_patient_is_404(api_as):
    assert api_as("nurse").get("/api/v1/patients/999").status_code == 404


# ---- sessions ------------------------------------------------------------------------------------


def test_practitioner_opens_and_closes_a_session(api_as):
    api = api_as("practitioner")
    patient = factories.PatientFactory()
    response = api.post(
        "/api/v1/sessions", json={"patient_id": patient.id, "indication": "hair", "area": "scalp"}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "open"
    assert body["patient_id"] == patient.id
    assert body["practitioner_id"] == api.user.id
    assert body["warnings"] == []
    closed = api.post(f"/api/v1/sessions/{body['id']}/close")
    assert closed.status_code == 200
    assert closed.get_json()["status"] == "closed"
    assert api.post(f"/api/v1/sessions/{body['id']}/close").status_code == 409


def test_a_session_sooner_than_the_minimum_interval_is_a_warning_not_a_block(api_as, app):
    api = api_as("practitioner")
    patient = factories.PatientFactory()
    factories.SessionFactory(
        patient=patient, indication="hair", status="closed", started_at=clock.now() - timedelta(days=3)
    )
    factories.SessionFactory(
        patient=patient, indication="skin", status="closed", started_at=clock.now() - timedelta(days=1)
    )
    response = api.post("/api/v1/sessions", json={"patient_id": patient.id, "indication": "hair"})
    assert response.status_code == 201
    assert [w["code"] for w in response.get_json()["warnings"]] == ["interval_short"]
    other = api.post("/api/v1/sessions", json={"patient_id": patient.id, "indication": "cellulite"})
    assert other.get_json()["warnings"] == []


def test_session_after_the_interval_has_no_warning(api_as, app):
    api = api_as("practitioner")
    patient = factories.PatientFactory()
    days = app.config["SESSION_MIN_INTERVAL_DAYS"]
    factories.SessionFactory(
        patient=patient, indication="hair", started_at=clock.now() - timedelta(days=days, minutes=1)
    )
    response = api.post("/api/v1/sessions", json={"patient_id": patient.id, "indication": "hair"})
    assert response.get_json()["warnings"] == []


def test_session_for_unknown_patient_or_indication_is_422(api_as):
    api = api_as("practitioner")
    patient = factories.PatientFactory()
    assert api.post("/api/v1/sessions", json={"patient_id": 999, "indication": "hair"}).status_code == 422
    response = api.post("/api/v1/sessions", json={"patient_id": patient.id, "indication": "botox"})
    assert response.status_code == 422


@pytest.mark.parametrize("role", ["nurse", "manager"])
def test_only_practitioners_open_sessions(api_as, role):
    patient = factories.PatientFactory()
    response = api_as(role).post("/api/v1/sessions", json={"patient_id": patient.id, "indication": "skin"})
    assert response.status_code == 403


# ---- scans ---------------------------------------------------------------------------------------


def test_safe_06_scan_ok_answers_201_with_the_patient_to_confirm(doctor, session_of, make_syringe):
    made = make_syringe(syringe={"volume_ul": 3000})
    response = doctor.post(
        f"/api/v1/sessions/{session_of.id}/scans",
        json={"code": made.syringe.code.lower() + "\n", "site": "scalp", "volume_ml": 2.5},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["verdict"] == "ok"
    assert body["patient"] == {
        "name": session_of.patient.name,
        "date_of_birth": session_of.patient.date_of_birth.isoformat(),
    }
    administration = body["administration"]
    assert administration["syringe_code"] == made.syringe.code
    assert administration["batch_id"] == made.batch.id
    assert administration["volume_ml"] == 2.5
    assert administration["site"] == "scalp"
    assert datetime.fromisoformat(administration["administered_at"]).utcoffset() == timedelta(0)
    contents = body["syringe"]
    assert contents["components"][0]["lots"] == [
        {"lot": made.lots[0].number, "expiry": made.lots[0].expiry.isoformat()}
    ]


def test_safe_07_identity_check_is_recorded_once(doctor, session_of, make_syringe):
    made = make_syringe()
    body = doctor.post(f"/api/v1/sessions/{session_of.id}/scans", json={"code": made.syringe.code}).get_json()
    path = f"/api/v1/sessions/{session_of.id}/administrations/{body['administration']['id']}/identity-check"
    first = doctor.post(path)
    assert first.status_code == 201
    assert doctor.post(path).get_json()["checked_at"] == first.get_json()["checked_at"]
    session = doctor.get(f"/api/v1/sessions/{session_of.id}").get_json()
    assert session["administrations"][0]["identity_checked"] is True
    assert (
        doctor.post(f"/api/v1/sessions/{session_of.id}/administrations/999/identity-check").status_code == 404
    )


def test_scan_without_volume_gives_the_whole_syringe(doctor, session_of, make_syringe):
    made = make_syringe(syringe={"volume_ul": 4000})
    body = doctor.post(f"/api/v1/sessions/{session_of.id}/scans", json={"code": made.syringe.code}).get_json()
    assert body["administration"]["volume_ml"] == 4


@pytest.mark.parametrize("volume", [4.001, 0, -1, 1.0001, "lots"])
def test_scan_volume_must_fit_the_syringe(doctor, session_of, make_syringe, volume):
    made = make_syringe(syringe={"volume_ul": 4000})
    response = doctor.post(
        f"/api/v1/sessions/{session_of.id}/scans", json={"code": made.syringe.code, "volume_ml": volume}
    )
    assert response.status_code == 422
    assert "volume_ml" in response.get_json()["error"]["fields"]


def test_safe_06_blocked_scan_answers_409_with_every_reason(doctor, session_of, make_syringe):
    made = make_syringe(status="quarantined", lots=[{"status": "recalled"}])
    doctor.post(f"/api/v1/sessions/{session_of.id}/close")
    response = doctor.post(f"/api/v1/sessions/{session_of.id}/scans", json={"code": made.syringe.code})
    assert response.status_code == 409
    body = response.get_json()
    assert body["verdict"] == "blocked"
    assert body["reasons"] == ["quarantined", "recalled", "session_closed"]
    assert body["error"]["code"] == "scan_blocked"
    assert "Recalled" in body["error"]["message"]


def test_same_syringe_twice_is_already_administered(doctor, session_of, make_syringe):
    made = make_syringe()
    path = f"/api/v1/sessions/{session_of.id}/scans"
    first = doctor.post(path, json={"code": made.syringe.code})
    assert first.status_code == 201
    given(doctor, session_of.id, first.get_json()["administration"]["id"])
    second = doctor.post(path, json={"code": made.syringe.code})
    assert (second.status_code, second.get_json()["reasons"]) == (409, ["already_administered"])


def test_wrong_patient_through_the_api(doctor, session_of, make_syringe):
    made = make_syringe(patient_id=factories.PatientFactory().id)
    response = doctor.post(f"/api/v1/sessions/{session_of.id}/scans", json={"code": made.syringe.code})
    assert response.get_json()["reasons"] == ["wrong_patient"]


@pytest.mark.parametrize("role", ["nurse", "manager"])
def test_nurse_and_manager_cannot_scan(api_as, session_of, make_syringe, role):
    made = make_syringe()
    response = api_as(role).post(f"/api/v1/sessions/{session_of.id}/scans", json={"code": made.syringe.code})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_scan_in_unknown_session_is_404(doctor):
    assert doctor.post("/api/v1/sessions/999/scans", json={"code": "S0123456789"}).status_code == 404


def test_scan_needs_a_code(doctor, session_of):
    response = doctor.post(f"/api/v1/sessions/{session_of.id}/scans", json={})
    assert response.status_code == 422


def test_session_shows_administrations_and_every_scan_with_verdicts(doctor, session_of, make_syringe):
    good = make_syringe()
    late = make_syringe(bud=clock.now() - timedelta(hours=2))
    path = f"/api/v1/sessions/{session_of.id}"
    first = doctor.post(f"{path}/scans", json={"code": good.syringe.code, "site": "face"})
    given(doctor, session_of.id, first.get_json()["administration"]["id"])
    doctor.post(f"{path}/scans", json={"code": late.syringe.code})
    doctor.post(f"{path}/scans", json={"code": "not a code"})
    body = doctor.get(path).get_json()
    assert [a["syringe_code"] for a in body["administrations"]] == [good.syringe.code]
    assert [(s["verdict"], s["reasons"]) for s in body["scans"]] == [
        ("ok", []),
        ("blocked", ["bud_passed"]),
        ("blocked", ["unknown_code"]),
    ]
    assert body["patient"]["name"] == session_of.patient.name


def test_openapi_documents_the_clinic_paths(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/patients", "/api/v1/sessions/{session_id}/scans", "/api/v1/sessions/{session_id}"):
        assert path in paths


def test_birth_date_round_trips(api_as):
    api = api_as("nurse")
    created = api.post("/api/v1/patients", json=PATIENT).get_json()
    fetched = api.get(f"/api/v1/patients/{created['id']}").get_json()
    assert date.fromisoformat(fetched["date_of_birth"]) == date(1987, 4, 12)
