"""The clinic's pages, CSRF on: patients, sessions, the scan form without JavaScript, the summary."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inventory import clock
from inventory.models import Administration, Patient, TreatmentSession
from inventory.models.clinic import IdentityCheck
from tests import factories
from tests.support import csrf_from


def post_form(client, page_path, action, data):
    token = csrf_from(client.get(page_path).get_data(as_text=True))
    return client.post(action, data={**data, "csrf_token": token})


# ---- patients ------------------------------------------------------------------------------------


def test_patients_page_finds_turkish_names_whatever_the_case(client, login_as):
    login_as("nurse")
    factories.PatientFactory(name="Elif Işık")
    factories.PatientFactory(name="Mehmet Öz")
    page = client.get("/clinic/patients?q=IŞIK").get_data(as_text=True)
    assert "Elif Işık" in page
    assert "Mehmet Öz" not in page


def test_patients_page_has_a_helpful_empty_state(client, login_as):
    login_as("nurse")
    page = client.get("/clinic/patients").get_data(as_text=True)
    assert "No patients yet" in page


def test_nurse_registers_a_patient(client, login_as, db):
    login_as("nurse")
    response = post_form(
        client,
        "/clinic/patients/new",
        "/clinic/patients/new",
        {"name": " Zeynep  Çelik ", "date_of_birth": "1990-05-01", "mrn": "a-77", "phone": "", "email": ""},
    )
    assert response.status_code == 302
    patient = db.session.scalar(select(Patient))
    assert (patient.name, patient.mrn, patient.search_key) == ("Zeynep Çelik", "A-77", "zeynep celik")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Zeynep Çelik" in page


def test_patient_form_keeps_input_and_explains_a_duplicate_mrn(client, login_as):
    login_as("nurse")
    factories.PatientFactory(mrn="A-77")
    response = post_form(
        client,
        "/clinic/patients/new",
        "/clinic/patients/new",
        {"name": "Zeynep Çelik", "date_of_birth": "1990-05-01", "mrn": "A-77"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Already used." in page
    assert 'value="Zeynep Çelik"' in page


def test_patient_form_refuses_a_future_birth_date(client, login_as, db):
    login_as("nurse")
    future = (clock.today() + timedelta(days=2)).isoformat()
    response = post_form(
        client, "/clinic/patients/new", "/clinic/patients/new", {"name": "Ali Veli", "date_of_birth": future}
    )
    assert "Not a possible date of birth." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Patient.id))) == 0


def test_manager_reads_patients_but_has_no_new_patient_form(client, login_as):
    login_as("manager")
    assert client.get("/clinic/patients").status_code == 200
    assert client.get("/clinic/patients/new").status_code == 403


def test_patient_page_lists_their_sessions(client, login_as):
    login_as("practitioner")
    session = factories.SessionFactory(area="scalp")
    page = client.get(f"/clinic/patients/{session.patient_id}").get_data(as_text=True)
    assert f"/clinic/sessions/{session.id}" in page
    assert "scalp" in page


# ---- sessions ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["nurse", "manager"])
def test_sessions_pages_are_for_practitioners(client, login_as, role):
    login_as(role)
    session = factories.SessionFactory()
    assert client.get("/clinic/sessions").status_code == 403
    assert client.get(f"/clinic/sessions/{session.id}").status_code == 403


def test_practitioner_opens_a_session_and_is_warned_of_a_short_interval(client, login_as, db):
    login_as("practitioner")
    patient = factories.PatientFactory(name="Deniz Aydın")
    factories.SessionFactory(patient=patient, indication="hair", started_at=clock.now() - timedelta(days=2))
    page = client.get("/clinic/sessions?q=AYDIN").get_data(as_text=True)
    assert f"patient_id={patient.id}" in page
    response = post_form(
        client,
        f"/clinic/sessions?patient_id={patient.id}",
        "/clinic/sessions",
        {"patient_id": patient.id, "indication": "hair", "area": "scalp"},
    )
    assert response.status_code == 302
    session_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "minimum interval" in session_page
    assert 'id="scan-code"' in session_page
    opened = db.session.scalars(select(TreatmentSession).order_by(TreatmentSession.id.desc())).first()
    assert (opened.patient_id, opened.indication, opened.area) == (patient.id, "hair", "scalp")


def test_sessions_page_lists_today_s_open_sessions(client, login_as):
    login_as("practitioner")
    today = factories.SessionFactory(patient=factories.PatientFactory(name="Bugün Hasta"))
    factories.SessionFactory(status="closed", patient=factories.PatientFactory(name="Kapalı Hasta"))
    page = client.get("/clinic/sessions").get_data(as_text=True)
    assert f"/clinic/sessions/{today.id}" in page
    assert "Kapalı Hasta" not in page


@pytest.fixture
def session_page(client, login_as):
    user = login_as("practitioner")
    session = factories.SessionFactory(practitioner=user)
    return session, f"/clinic/sessions/{session.id}"


def test_scan_form_without_javascript_shows_green_then_red(client, session_page, make_syringe, db):
    session, path = session_page
    made = make_syringe()
    first = post_form(client, path, f"{path}/scan", {"code": made.syringe.code.lower(), "site": "forehead"})
    page = first.get_data(as_text=True)
    assert first.status_code == 201
    assert 'data-verdict="ok"' in page
    assert session.patient.name in page
    assert "Given" in page
    assert "Not given" in page
    assert made.lots[0].number in page
    administration = db.session.scalar(select(Administration))
    post_form(client, path, f"{path}/administrations/{administration.id}/identity", {})
    second = post_form(client, path, f"{path}/scan", {"code": made.syringe.code})
    page = second.get_data(as_text=True)
    assert second.status_code == 409
    assert 'data-verdict="blocked"' in page
    assert 'data-reason="already_administered"' in page
    assert "Already administered" in page
    assert db.session.scalar(select(func.count(Administration.id))) == 1


def test_scan_for_the_page_script_returns_the_verdict_alone(client, session_page, make_syringe):
    _session, path = session_page
    made = make_syringe(bud=clock.now() - timedelta(minutes=10), lots=[{"status": "recalled"}])
    token = csrf_from(client.get(path).get_data(as_text=True))
    response = client.post(
        f"{path}/scan",
        data={"code": made.syringe.code, "csrf_token": token},
        headers={"X-Requested-With": "fetch"},
    )
    fragment = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "<html" not in fragment
    assert 'data-reason="bud_passed"' in fragment
    assert 'data-reason="recalled"' in fragment


def test_scan_without_csrf_token_is_refused(client, session_page, make_syringe, db):
    _session, path = session_page
    made = make_syringe()
    assert client.post(f"{path}/scan", data={"code": made.syringe.code}).status_code == 400
    assert db.session.scalar(select(func.count(Administration.id))) == 0


def test_scan_page_refuses_a_volume_larger_than_the_syringe(client, session_page, make_syringe):
    _session, path = session_page
    made = make_syringe(syringe={"volume_ul": 2000})
    response = post_form(client, path, f"{path}/scan", {"code": made.syringe.code, "volume": "2,5"})
    assert response.status_code == 422
    assert "larger volume" in response.get_data(as_text=True)


def test_nurse_cannot_post_a_scan(client, login_as, make_syringe):
    login_as("nurse")
    session = factories.SessionFactory()
    made = make_syringe()
    token = csrf_from(client.get("/clinic/patients").get_data(as_text=True))
    response = client.post(
        f"/clinic/sessions/{session.id}/scan", data={"code": made.syringe.code, "csrf_token": token}
    )
    assert response.status_code == 403


def test_safe_07_confirming_name_and_birth_date_is_recorded(client, session_page, make_syringe, db):
    _session, path = session_page
    made = make_syringe()
    page = post_form(client, path, f"{path}/scan", {"code": made.syringe.code}).get_data(as_text=True)
    administration = db.session.scalar(select(Administration))
    action = f"{path}/administrations/{administration.id}/identity"
    assert action in page
    response = client.post(action, data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert db.session.scalar(select(IdentityCheck.administration_id)) == administration.id
    assert 'tag ok">given, name and date of birth checked' in client.get(path).get_data(as_text=True)


def test_closing_a_session_stops_scanning(client, session_page, make_syringe):
    _session, path = session_page
    response = post_form(client, path, f"{path}/close", {})
    assert response.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert 'id="scan-code"' not in page
    assert "This session is closed" in page


def test_near_misses_are_listed_on_the_session_page(client, session_page, make_syringe):
    _session, path = session_page
    post_form(client, path, f"{path}/scan", {"code": "S0000000000"})
    log = client.get(f"{path}/log").get_data(as_text=True)
    assert "S0000000000" in log
    assert "Unknown code" in log


def test_printable_summary_lists_what_was_given_with_lots(client, session_page, make_syringe):
    session, path = session_page
    made = make_syringe()
    post_form(client, path, f"{path}/scan", {"code": made.syringe.code, "site": "scalp"})
    page = client.get(f"{path}/summary").get_data(as_text=True)
    assert session.patient.name in page
    assert made.syringe.code in page
    assert made.lots[0].number in page
    assert "app-nav" not in page
    assert "clinic.css" in page


def test_the_chart_summary_is_for_practitioners_as_api_md_says(client, login_as):
    """api.md: sessions are the practitioner's and the admin's; a nurse reads no session's details."""
    login_as("nurse")
    session = factories.SessionFactory()
    assert client.get(f"/clinic/sessions/{session.id}/summary").status_code == 403


def test_camera_help_is_translated_text_on_the_page(client, session_page):
    _session, path = session_page
    page = client.get(path).get_data(as_text=True)
    for reason in ("insecure_context", "permission_denied", "no_camera", "no_camera_api", "other"):
        assert f'data-camera-error="{reason}"' in page
    assert "HTTPS" in page
    assert '<script type="module"' in page
    assert "<script>" not in page
