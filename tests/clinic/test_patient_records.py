"""One record per patient (api.md 1.1 "Records"): possible duplicates before creating, phones in
E.164, e-mails checked, edits kept as before → after, merges that move everything and are audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from inventory.models import AdverseEvent, AuditEntry, Patient, Recall, RecallPatient, TreatmentSession
from inventory.rules.contact import checked_email, e164_phone
from inventory.rules.errors import RuleError
from tests import factories
from tests.support import csrf_from

AYSE = {
    "name": "Ayşe Işık",
    "date_of_birth": "1987-04-12",
    "phone": "0532 111 22 33",
    "email": "ayse@example.org",
}


# ---- duplicates -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Ayşe Işık", "AYŞE IŞIK", "  ayşe   ışık "])
def test_same_normalised_name_and_birth_date_is_possible_duplicate(api_as: Any, name: str) -> None:
    api = api_as("nurse")
    first = api.post("/api/v1/patients", json=AYSE).get_json()
    again = api.post("/api/v1/patients", json={**AYSE, "name": name, "phone": "", "email": ""})
    assert again.status_code == 409, again.get_json()
    error = again.get_json()["error"]
    assert error["code"] == "possible_duplicate"
    assert error["fields"]["existing_id"] == first["id"]


def test_confirm_new_registers_another_person_with_the_same_name_and_birth_date(api_as: Any) -> None:
    api = api_as("nurse")
    first = api.post("/api/v1/patients", json=AYSE).get_json()
    twin = api.post("/api/v1/patients", json={**AYSE, "confirm_new": True})
    assert twin.status_code == 201, twin.get_json()
    assert twin.get_json()["id"] != first["id"]


def test_the_same_mrn_is_always_possible_duplicate(api_as: Any) -> None:
    api = api_as("nurse")
    first = api.post("/api/v1/patients", json={**AYSE, "mrn": "A-1"}).get_json()
    other = {"name": "Mehmet Öz", "date_of_birth": "1970-01-01", "mrn": " a-1 ", "confirm_new": True}
    response = api.post("/api/v1/patients", json=other)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "possible_duplicate"
    assert response.get_json()["error"]["fields"]["existing_id"] == first["id"]


def test_a_shared_phone_is_never_a_409(api_as: Any) -> None:
    api = api_as("nurse")
    api.post("/api/v1/patients", json=AYSE)
    sister = api.post("/api/v1/patients", json={**AYSE, "name": "Elif Işık", "date_of_birth": "1990-02-02"})
    assert sister.status_code == 201, sister.get_json()


def test_new_patient_page_shows_the_possible_duplicate_before_creating(
    client: Any, login_as: Any, db: Any
) -> None:
    existing = factories.PatientFactory(name="Ayşe Işık", search_key="ayse isik", phone="+905321112233")
    login_as("nurse")
    form = {
        "csrf_token": csrf_from(client.get("/clinic/patients/new").get_data(as_text=True)),
        "name": "AYŞE IŞIK",
        "date_of_birth": existing.date_of_birth.isoformat(),
        "phone": "0532 111 22 33",
        "email": "",
        "mrn": "",
    }
    page = client.post("/clinic/patients/new", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "may already be registered" in html
    assert f'href="/clinic/patients/{existing.id}"' in html
    assert 'value="AYŞE IŞIK"' in html  # what was typed is kept
    assert db.session.scalar(select(Patient).where(Patient.id != existing.id)) is None
    confirmed = client.post("/clinic/patients/new", data={**form, "confirm_new": "y"})
    assert confirmed.status_code == 302
    shown = client.get(confirmed.location).get_data(as_text=True)
    assert "also that of Ayşe Işık" in shown  # the shared phone: a hint


# ---- phone and e-mail ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "region", "stored"),
    [
        ("0532 111 22 33", "TR", "+905321112233"),
        ("(0532) 111-22-33", "TR", "+905321112233"),
        ("+90 532 111 22 33", "TR", "+905321112233"),
        ("+44 20 7946 0958", "TR", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("", "TR", ""),
    ],
)
def test_phone_numbers_are_stored_in_e164(typed: str, region: str, stored: str) -> None:
    assert e164_phone(typed, region) == stored


@pytest.mark.parametrize("typed", ["call me maybe", "123", "0532 111", "+90 000 000 00 00"])
def test_a_phone_that_cannot_be_called_is_refused(typed: str) -> None:
    with pytest.raises(RuleError) as raised:
        e164_phone(typed, "TR")
    assert raised.value.code == "invalid_phone"


@pytest.mark.parametrize(
    "typed", ["not-an-email", "a@b", "ayse@@example.org", "ayşe@", "two words@example.org"]
)
def test_an_email_with_bad_syntax_is_refused(typed: str) -> None:
    with pytest.raises(RuleError) as raised:
        checked_email(typed)
    assert raised.value.code == "invalid_email"


def test_an_email_is_checked_without_the_network() -> None:
    assert checked_email(" Ayse@Klinik-Does-Not-Exist.example ") == "Ayse@klinik-does-not-exist.example"


def test_api_answers_phone_in_e164_and_refuses_bad_contacts(api_as: Any, app: Any) -> None:
    api = api_as("nurse")
    body = api.post("/api/v1/patients", json=AYSE).get_json()
    assert body["phone"] == "+905321112233"
    for field, value, code in (
        ("phone", "call me maybe", "invalid_phone"),
        ("email", "not-an-email", "invalid_email"),
    ):
        response = api.post("/api/v1/patients", json={**AYSE, "name": "Other Person", field: value})
        assert response.status_code == 422
        assert response.get_json()["error"]["code"] == code
        assert field in response.get_json()["error"]["fields"]
    app.config["CLINIC_REGION"] = "GB"
    try:
        london = api.post(
            "/api/v1/patients",
            json={"name": "Jane Roe", "date_of_birth": "1980-01-01", "phone": "020 7946 0958"},
        )
    finally:
        app.config["CLINIC_REGION"] = "TR"
    assert london.get_json()["phone"] == "+442079460958"


# ---- edit ---------------------------------------------------------------------------------------------


def test_patch_changes_a_patient_and_keeps_before_and_after(api_as: Any, db: Any) -> None:
    api = api_as("practitioner")
    created = api.post("/api/v1/patients", json=AYSE).get_json()
    response = api.patch(
        f"/api/v1/patients/{created['id']}", json={"phone": "0533 444 55 66", "name": "Ayşe Işık Kaya"}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["phone"] == "+905334445566"
    assert response.get_json()["name"] == "Ayşe Işık Kaya"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "patient_updated"))
    assert entry.details["changed"] == {
        "name": ["Ayşe Işık", "Ayşe Işık Kaya"],
        "phone": ["+905321112233", "+905334445566"],
    }
    assert api.get("/api/v1/patients?q=kaya").get_json()["items"][0]["id"] == created["id"]


def test_patch_refuses_bad_input_and_a_taken_mrn(api_as: Any) -> None:
    api = api_as("nurse")
    one = api.post("/api/v1/patients", json={**AYSE, "mrn": "A-1"}).get_json()
    two = api.post("/api/v1/patients", json={"name": "Mehmet Öz", "date_of_birth": "1970-01-01"}).get_json()
    taken = api.patch(f"/api/v1/patients/{two['id']}", json={"mrn": "a-1"})
    assert taken.status_code == 409
    assert taken.get_json()["error"]["fields"]["existing_id"] == one["id"]
    assert api.patch(f"/api/v1/patients/{two['id']}", json={"email": "nope"}).status_code == 422
    assert api.patch(f"/api/v1/patients/{two['id']}", json={"name": "  "}).status_code == 422
    assert api.patch(f"/api/v1/patients/{two['id']}", json={"date_of_birth": "2999-01-01"}).status_code == 422
    assert api.patch("/api/v1/patients/99999", json={"name": "X"}).status_code == 404
    assert api.patch(f"/api/v1/patients/{one['id']}", json={"mrn": "A-1"}).status_code == 200  # its own


def test_edit_page_saves_and_the_patient_page_shows_the_history(client: Any, login_as: Any) -> None:
    patient = factories.PatientFactory(name="Zeynep Kaya", search_key="zeynep kaya", phone="", email="")
    login_as("nurse")
    page = client.get(f"/clinic/patients/{patient.id}/edit").get_data(as_text=True)
    assert 'value="Zeynep Kaya"' in page
    form = {
        "csrf_token": csrf_from(page),
        "name": "Zeynep Kaya",
        "date_of_birth": patient.date_of_birth.isoformat(),
        "mrn": patient.mrn,
        "phone": "0532 999 88 77",
        "email": "",
    }
    bad = client.post(f"/clinic/patients/{patient.id}/edit", data={**form, "phone": "call me maybe"})
    assert bad.status_code == 200
    assert 'value="call me maybe"' in bad.get_data(as_text=True)
    saved = client.post(f"/clinic/patients/{patient.id}/edit", data=form)
    assert saved.status_code == 302
    shown = client.get(f"/clinic/patients/{patient.id}").get_data(as_text=True)
    assert "— → +905329998877" in shown


# ---- merge --------------------------------------------------------------------------------------------


def _two_records() -> tuple[Patient, Patient]:
    kept = factories.PatientFactory(name="Ayşe Işık", search_key="ayse isik")
    duplicate = factories.PatientFactory(name="Ayse Isik", search_key="ayse isik")
    return kept, duplicate


def test_merge_moves_sessions_events_batches_and_recall_follow_ups(api_as: Any, db: Any) -> None:
    kept, duplicate = _two_records()
    visit = factories.SessionFactory(patient=duplicate)
    reporter = factories.UserFactory(roles=("practitioner",))
    event = AdverseEvent(
        session_id=visit.id,
        patient_id=duplicate.id,
        onset_at=visit.started_at,
        severity="mild",
        description="rash",
        reporter_id=reporter.id,
    )
    batch = factories.BatchFactory(patient_id=duplicate.id)
    product = factories.ProductFactory()
    recalls = [
        Recall(
            product_id=product.id,
            lot_number=f"L{n}",
            classification="II",
            reason="x",
            created_by_id=reporter.id,
        )
        for n in (1, 2)
    ]
    db.session.add_all([event, *recalls])
    db.session.flush()
    follow_up = RecallPatient(recall_id=recalls[0].id, patient_id=duplicate.id, administrations=1)
    # Both records are on the second recall: that follow-up stays on the merged record.
    on_both = [
        RecallPatient(recall_id=recalls[1].id, patient_id=p.id, administrations=1) for p in (kept, duplicate)
    ]
    db.session.add_all([follow_up, *on_both])
    db.session.commit()

    api = api_as("nurse")
    response = api.post(f"/api/v1/patients/{duplicate.id}/merge", json={"into_patient_id": kept.id})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["id"] == kept.id
    assert [s["id"] for s in response.get_json()["sessions"]] == [visit.id]

    db.session.expire_all()
    assert db.session.get(TreatmentSession, visit.id).patient_id == kept.id
    assert db.session.get(AdverseEvent, event.id).patient_id == kept.id
    assert db.session.get(type(batch), batch.id).patient_id == kept.id
    assert db.session.get(RecallPatient, follow_up.id).patient_id == kept.id
    assert db.session.get(RecallPatient, on_both[1].id).patient_id == duplicate.id
    merged = api.get(f"/api/v1/patients/{duplicate.id}").get_json()
    assert merged["merged_into_id"] == kept.id
    assert merged["merged_at"]
    assert [p["id"] for p in api.get("/api/v1/patients?q=isik").get_json()["items"]] == [kept.id]
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "patient_merged").order_by(AuditEntry.id)
    ).all()
    assert {e.entity_id for e in entries} == {kept.id, duplicate.id}
    assert entries[0].details["moved"]["treatment_sessions"] == [visit.id]
    assert entries[0].details["recall_patients_left"] == [on_both[1].id]


def test_merge_refusals(api_as: Any) -> None:
    kept, duplicate = _two_records()
    api = api_as("nurse")
    assert api.post(f"/api/v1/patients/{kept.id}/merge", json={"into_patient_id": kept.id}).status_code == 422
    assert api.post(f"/api/v1/patients/{kept.id}/merge", json={"into_patient_id": 99999}).status_code == 404
    assert api.post(f"/api/v1/patients/{kept.id}/merge", json={}).status_code == 422
    assert (
        api.post(f"/api/v1/patients/{duplicate.id}/merge", json={"into_patient_id": kept.id}).status_code
        == 200
    )
    again = api.post(f"/api/v1/patients/{duplicate.id}/merge", json={"into_patient_id": kept.id})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "merged"
    into_merged = api.post(f"/api/v1/patients/{kept.id}/merge", json={"into_patient_id": duplicate.id})
    assert into_merged.status_code == 409
    assert api.patch(f"/api/v1/patients/{duplicate.id}", json={"name": "X"}).status_code == 409
    doctor = api_as("practitioner")
    visit = doctor.post("/api/v1/sessions", json={"patient_id": duplicate.id, "indication": "hair"})
    assert visit.status_code == 409
    assert visit.get_json()["error"]["fields"]["existing_id"] == kept.id


@pytest.mark.parametrize(
    ("role", "status"), [("nurse", 200), ("practitioner", 200), ("admin", 200), ("manager", 403)]
)
def test_edit_and_merge_follow_the_role_table(api_as: Any, role: str, status: int) -> None:
    kept, duplicate = _two_records()
    api = api_as(role)
    assert api.patch(f"/api/v1/patients/{kept.id}", json={"email": "a@example.org"}).status_code == status
    merged = api.post(f"/api/v1/patients/{duplicate.id}/merge", json={"into_patient_id": kept.id})
    assert merged.status_code == status


def test_merge_pages_suggest_the_duplicate_confirm_and_point_at_the_kept_record(
    client: Any, login_as: Any
) -> None:
    kept, duplicate = _two_records()
    factories.SessionFactory(patient=duplicate)
    login_as("nurse")
    choose = client.get(f"/clinic/patients/{duplicate.id}/merge").get_data(as_text=True)
    assert f"into={kept.id}" in choose
    confirm = client.get(f"/clinic/patients/{duplicate.id}/merge?into={kept.id}").get_data(as_text=True)
    assert "Merge into Ayşe Işık" in confirm
    done = client.post(
        f"/clinic/patients/{duplicate.id}/merge",
        data={"csrf_token": csrf_from(confirm), "into_patient_id": kept.id},
    )
    assert done.status_code == 302
    assert done.location.endswith(f"/clinic/patients/{kept.id}")
    kept_page = client.get(done.location).get_data(as_text=True)
    assert f"record {duplicate.id} merged into this one" in kept_page
    merged_page = client.get(f"/clinic/patients/{duplicate.id}").get_data(as_text=True)
    assert "This record was merged into another" in merged_page
    assert f'href="/clinic/patients/{kept.id}"' in merged_page
