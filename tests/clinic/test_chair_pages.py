"""The chair's pages without JavaScript, CSRF on (SAFE-12, SAFE-14): Not given, corrections, allergies and
the patient's safety context on the patient, sessions and session pages; voided scans in the trace."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from inventory.models import Administration, AuditEntry, PatientAllergy, Syringe, TreatmentSession, User
from tests import factories
from tests.clinic.conftest import Made
from tests.support import csrf_from

MakeSyringe = Callable[..., Made]


def _post(client: FlaskClient, page: str, action: str, data: dict[str, Any]) -> Any:
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(action, data={**data, "csrf_token": token})


def _open(login_as: Callable[..., User]) -> tuple[TreatmentSession, str]:
    user = login_as("practitioner", "nurse")
    session = factories.SessionFactory(practitioner=user)
    return session, f"/clinic/sessions/{session.id}"


def _scanned(client: FlaskClient, path: str, made: Made, db: Any, **fields: str) -> Administration:
    response = _post(client, path, f"{path}/scan", {"code": made.syringe.code, **fields})
    assert response.status_code == 201, response.get_data(as_text=True)
    administration = db.session.scalar(
        select(Administration)
        .where(Administration.syringe_id == made.syringe.id)
        .order_by(Administration.id.desc())
    )
    assert administration is not None
    return administration


def test_safe_14_not_given_without_javascript_voids_and_frees_the_syringe(
    client: FlaskClient, login_as: Callable[..., User], make_syringe: MakeSyringe, db: Any
) -> None:
    _session, path = _open(login_as)
    made = make_syringe()
    administration = _scanned(client, path, made, db)
    response = _post(
        client, path, f"{path}/administrations/{administration.id}/void", {"reason": "wrong_patient"}
    )
    assert response.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "scanned, not given" in page
    assert "Wrong patient" in page
    assert 'data-status="given"' not in page
    db.session.expire_all()
    assert db.session.get(Syringe, made.syringe.id).status == "available"


def test_safe_14_a_pending_scan_is_asked_again_and_the_next_scan_waits(
    client: FlaskClient, login_as: Callable[..., User], make_syringe: MakeSyringe, db: Any
) -> None:
    _session, path = _open(login_as)
    first, second = make_syringe(), make_syringe()
    _scanned(client, path, first, db)
    assert 'data-verdict="pending"' in client.get(path).get_data(as_text=True)
    refused = _post(client, path, f"{path}/scan", {"code": second.syringe.code})
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert 'data-verdict="pending"' in page
    assert "Confirm the previous syringe first" in page
    assert (
        db.session.scalar(select(Administration).where(Administration.syringe_id == second.syringe.id))
        is None
    )


def test_safe_14_other_without_a_note_is_refused_with_the_reason(
    client: FlaskClient, login_as: Callable[..., User], make_syringe: MakeSyringe, db: Any
) -> None:
    _session, path = _open(login_as)
    administration = _scanned(client, path, make_syringe(), db)
    _post(client, path, f"{path}/administrations/{administration.id}/void", {"reason": "other"})
    page = client.get(path).get_data(as_text=True)
    assert "Say why in a note." in page
    assert administration.void is None


def test_safe_14_the_scan_form_keeps_nothing_for_the_next_scan(
    client: FlaskClient, login_as: Callable[..., User], make_syringe: MakeSyringe, db: Any
) -> None:
    _session, path = _open(login_as)
    made = make_syringe(syringe={"volume_ul": 3000})
    response = _post(
        client, path, f"{path}/scan", {"code": made.syringe.code, "site": "left thigh", "volume": "1"}
    )
    scan_form = response.get_data(as_text=True).split('id="scan-form"')[1].split("</form>")[0]
    assert "left thigh" not in scan_form
    assert re.search(r'<input[^>]*name="volume"[^>]*value="1"', scan_form) is None
    bad = _post(client, path, f"{path}/scan", {"code": "S0000000000", "volume": "two"})
    assert bad.status_code == 422
    assert "The volume could not be read" in bad.get_data(as_text=True)


def test_safe_14_a_correction_from_the_session_page_is_shown_and_audited(
    client: FlaskClient, login_as: Callable[..., User], make_syringe: MakeSyringe, db: Any
) -> None:
    _session, path = _open(login_as)
    administration = _scanned(client, path, make_syringe(), db, site="forehead")
    _post(client, path, f"{path}/administrations/{administration.id}/identity", {})
    response = _post(
        client,
        path,
        f"{path}/administrations/{administration.id}/corrections",
        {"site": "scalp", "volume": "", "reason": "wrong area charted"},
    )
    assert response.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "forehead → scalp" in page
    assert "wrong area charted" in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "administration_corrected"))
    assert entry is not None
    assert entry.reason == "wrong area charted"


def test_safe_12_allergy_recorded_on_the_patient_page_shows_everywhere(
    client: FlaskClient, login_as: Callable[..., User], db: Any
) -> None:
    login_as("practitioner", "nurse")
    patient = factories.PatientFactory(name="Gülşen Yıldırım")
    page = f"/clinic/patients/{patient.id}"
    assert "No recorded allergies" in client.get(page).get_data(as_text=True)
    response = _post(
        client, page, f"{page}/allergies", {"substance": " Lidocaine ", "reaction": "hives after dental work"}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(PatientAllergy.substance)) == "lidocaine"
    for shown in (page, f"/clinic/sessions?patient_id={patient.id}"):
        text = client.get(shown).get_data(as_text=True)
        assert 'data-allergy="lidocaine"' in text
        assert "hives after dental work" in text
    session = factories.SessionFactory(patient=patient, practitioner=db.session.scalar(select(User)))
    assert 'data-allergy="lidocaine"' in client.get(f"/clinic/sessions/{session.id}").get_data(as_text=True)


def test_product_form_takes_substances(client: FlaskClient, login_as: Callable[..., User], db: Any) -> None:
    login_as("manager")
    product = factories.ProductFactory(substances=["biotin"])
    edit = f"/products/{product.id}/edit"
    form = client.get(edit).get_data(as_text=True)
    assert 'value="biotin"' in form
    data = {
        "name": product.name,
        "category": product.category,
        "strength": product.strength,
        "container": product.container,
        "volume_ul": "5",
        "storage": product.storage,
        "reorder_point": "2",
        "reorder_quantity": "10",
        "lead_time_days": "7",
        "sterile": "y",
        "active": "y",
        "substances": "Biotin, Dexpanthenol ,",
    }
    response = _post(client, edit, edit, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert product.substances == ["biotin", "dexpanthenol"]


def test_safe_14_voided_scans_stay_in_the_trace_as_scanned_not_given(
    client: FlaskClient, login_as: Callable[..., User], make_syringe: MakeSyringe, db: Any
) -> None:
    session, path = _open(login_as)
    administration = _scanned(client, path, make_syringe(), db)
    _post(client, path, f"{path}/administrations/{administration.id}/void", {"reason": "not_given"})
    trace = client.get(f"/trace/sessions/{session.id}").get_data(as_text=True)
    assert 'data-status="voided"' in trace
    assert "scanned, not given" in trace
