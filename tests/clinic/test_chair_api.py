"""The chair, slip-proof (api.md 1.1 "Point of care"): void, corrections, wrong_indication, allergies and
the patient's safety context (SAFE-12, SAFE-13, SAFE-14)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from inventory.models import AuditEntry, Syringe, TreatmentSession
from tests import factories
from tests.clinic.conftest import Made, given
from tests.conftest import ApiClient

MakeSyringe = Callable[..., Made]


def _scan(api: ApiClient, session_id: int, code: str, **extra: Any) -> Any:
    return api.post(f"/api/v1/sessions/{session_id}/scans", json={"code": code, **extra})


def _scanned(api: ApiClient, session: TreatmentSession, made: Made, **extra: Any) -> int:
    response = _scan(api, session.id, made.syringe.code, **extra)
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["administration"]["id"])


def _void(api: ApiClient, administration_id: int, reason: str, note: str = "") -> Any:
    return api.post(
        f"/api/v1/administrations/{administration_id}/void", json={"reason": reason, "note": note}
    )


def _exposed(api: ApiClient, lot_id: int) -> list[int]:
    body = api.get(f"/api/v1/trace/lots/{lot_id}").get_json()
    return [patient["id"] for patient in body["patients"]]


# ---- void (SAFE-14) -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "note", "syringe_status"),
    [
        ("not_given", "", "available"),
        ("wrong_patient", "", "available"),
        ("dropped", "fell on the floor", "discarded"),
        ("other", "patient changed her mind", "available"),
    ],
)
def test_safe_14_void_each_reason_sets_the_syringe_and_exposes_nobody(
    doctor: ApiClient,
    session_of: TreatmentSession,
    make_syringe: MakeSyringe,
    api_as: Callable[..., ApiClient],
    reason: str,
    note: str,
    syringe_status: str,
) -> None:
    made = make_syringe()
    administration_id = _scanned(doctor, session_of, made, site="forehead")
    manager = api_as("manager")
    assert _exposed(manager, made.lots[0].id) == [session_of.patient_id]

    response = _void(doctor, administration_id, reason, note)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "voided"
    assert body["void"]["reason"] == reason
    assert body["void"]["note"] == note
    assert body["void"]["by"] == doctor.user.id
    assert body["syringe"] == {"code": made.syringe.code, "status": syringe_status}
    assert _exposed(manager, made.lots[0].id) == []
    session = doctor.get(f"/api/v1/sessions/{session_of.id}").get_json()
    assert [(a["id"], a["status"]) for a in session["administrations"]] == [(administration_id, "voided")]
    patient_trace = manager.get(f"/api/v1/trace/patients/{session_of.patient_id}").get_json()
    assert patient_trace["lots"] == []


def test_safe_14_a_voided_syringe_can_be_scanned_again_and_given(
    doctor: ApiClient, session_of: TreatmentSession, make_syringe: MakeSyringe
) -> None:
    made = make_syringe()
    first = _scanned(doctor, session_of, made)
    assert _void(doctor, first, "not_given").status_code == 200
    second = _scanned(doctor, session_of, made, site="scalp")
    assert second != first
    session = doctor.get(f"/api/v1/sessions/{session_of.id}").get_json()
    assert [a["status"] for a in session["administrations"]] == ["voided", "given"]


def test_safe_14_void_twice_is_already_voided(
    doctor: ApiClient, session_of: TreatmentSession, make_syringe: MakeSyringe
) -> None:
    administration_id = _scanned(doctor, session_of, make_syringe())
    assert _void(doctor, administration_id, "not_given").status_code == 200
    again = _void(doctor, administration_id, "dropped")
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "already_voided")


def test_safe_14_void_in_a_closed_session_is_409(
    doctor: ApiClient, session_of: TreatmentSession, make_syringe: MakeSyringe
) -> None:
    administration_id = _scanned(doctor, session_of, make_syringe())
    given(doctor, session_of.id, administration_id)
    assert doctor.post(f"/api/v1/sessions/{session_of.id}/close").status_code == 200
    response = _void(doctor, administration_id, "not_given")
    assert (response.status_code, response.get_json()["error"]["code"]) == (409, "session_closed")


def test_safe_14_another_practitioner_cannot_void_but_an_admin_can(
    doctor: ApiClient,
    session_of: TreatmentSession,
    make_syringe: MakeSyringe,
    api_as: Callable[..., ApiClient],
) -> None:
    administration_id = _scanned(doctor, session_of, make_syringe())
    other = _void(api_as("practitioner"), administration_id, "not_given")
    assert other.status_code == 403
    assert _void(api_as("admin"), administration_id, "not_given").status_code == 200


def test_safe_14_other_needs_a_note_and_reasons_are_fixed(
    doctor: ApiClient, session_of: TreatmentSession, make_syringe: MakeSyringe
) -> None:
    administration_id = _scanned(doctor, session_of, make_syringe())
    without_note = _void(doctor, administration_id, "other", "  ")
    assert without_note.status_code == 422
    assert "note" in without_note.get_json()["error"]["fields"]
    assert _void(doctor, administration_id, "sneezed").status_code == 422
    assert doctor.post(f"/api/v1/administrations/{administration_id}/void", json={}).status_code == 422


def test_safe_14_unknown_administration_is_404(doctor: ApiClient) -> None:
    assert _void(doctor, 999_999, "not_given").status_code == 404


def test_safe_14_next_scan_waits_for_given_or_not_given(
    doctor: ApiClient, session_of: TreatmentSession, make_syringe: MakeSyringe
) -> None:
    first, second = make_syringe(), make_syringe()
    administration_id = _scanned(doctor, session_of, first)
    refused = _scan(doctor, session_of.id, second.syringe.code)
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "previous_pending")
    assert _void(doctor, administration_id, "not_given").status_code == 200
    assert _scan(doctor, session_of.id, second.syringe.code).status_code == 201


def test_safe_14_void_is_audited(
    db: Any, doctor: ApiClient, session_of: TreatmentSession, make_syringe: MakeSyringe
) -> None:
    administration_id = _scanned(doctor, session_of, make_syringe())
    _void(doctor, administration_id, "dropped", "contaminated glove")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "administration_voided"))
    assert entry is not None
    assert (entry.entity_id, entry.details["void_reason"]) == (administration_id, "dropped")


# ---- corrections (SAFE-14) --------------------------------------------------------------------------------


def test_safe_14_correction_is_appended_and_shown(
    db: Any, doctor: ApiClient, session_of: TreatmentSession, make_syringe: MakeSyringe
) -> None:
    made = make_syringe(syringe={"volume_ul": 5000})
    administration_id = _scanned(doctor, session_of, made, site="left thigh", volume_ml=3)
    given(doctor, session_of.id, administration_id)
    response = doctor.post(
        f"/api/v1/administrations/{administration_id}/corrections",
        json={"site": "right thigh", "volume_ml": 4.5, "reason": "charted the wrong leg"},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["site"], body["volume_ml"]) == ("right thigh", 4.5)
    assert [(c["field"], c["before"], c["after"], c["reason"]) for c in body["corrections"]] == [
        ("site", "left thigh", "right thigh", "charted the wrong leg"),
        ("volume_ml", 3, 4.5, "charted the wrong leg"),
    ]
    session = doctor.get(f"/api/v1/sessions/{session_of.id}").get_json()
    assert session["administrations"][0]["site"] == "right thigh"
    assert len(session["administrations"][0]["corrections"]) == 2
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "administration_corrected"))
    assert entry is not None
    assert entry.reason == "charted the wrong leg"


def test_safe_14_corrected_site_and_volume_are_what_every_trace_of_the_lot_says(
    doctor: ApiClient,
    session_of: TreatmentSession,
    make_syringe: MakeSyringe,
    api_as: Callable[..., ApiClient],
    client: Any,
    login_as: Any,
) -> None:
    made = make_syringe(syringe={"volume_ul": 5000})
    administration_id = _scanned(doctor, session_of, made, site="left thigh", volume_ml=3)
    given(doctor, session_of.id, administration_id)
    corrected = doctor.post(
        f"/api/v1/administrations/{administration_id}/corrections",
        json={"site": "right thigh", "volume_ml": 4.5, "reason": "charted the wrong leg"},
    )
    assert corrected.status_code == 201, corrected.get_json()
    manager = api_as("manager")
    lot = manager.get(f"/api/v1/trace/lots/{made.lots[0].id}").get_json()
    batch = manager.get(f"/api/v1/trace/batches/{made.batch.id}").get_json()
    for found in (lot["administrations"], batch["administrations"]):
        assert [(a["id"], a["site"], a["volume_ml"]) for a in found] == [
            (administration_id, "right thigh", 4.5)
        ]
    login_as("manager", username="lot-reader")
    exported = client.get(f"/trace/lots/{made.lots[0].id}.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [(row["site"], row["volume_ml"]) for row in rows] == [("right thigh", "4.5")]


def test_safe_14_correction_needs_a_reason_and_a_volume_within_the_syringe(
    doctor: ApiClient, session_of: TreatmentSession, make_syringe: MakeSyringe
) -> None:
    made = make_syringe(syringe={"volume_ul": 2000})
    administration_id = _scanned(doctor, session_of, made)
    path = f"/api/v1/administrations/{administration_id}/corrections"
    assert doctor.post(path, json={"site": "scalp"}).status_code == 422
    assert doctor.post(path, json={"reason": "nothing said"}).status_code == 422
    too_much = doctor.post(path, json={"volume_ml": 3, "reason": "typo"})
    assert (too_much.status_code, too_much.get_json()["error"]["code"]) == (422, "volume_exceeds_syringe")


# ---- wrong indication (SAFE-13) and allergy (SAFE-12) -----------------------------------------------------


def test_safe_13_cocktail_of_another_indication_is_blocked(
    db: Any, doctor: ApiClient, session_of: TreatmentSession, make_syringe: MakeSyringe
) -> None:
    made = make_syringe(recipe__indication="cellulite")
    response = _scan(doctor, session_of.id, made.syringe.code)
    assert (response.status_code, response.get_json()["reasons"]) == (409, ["wrong_indication"])
    assert db.session.scalar(select(Syringe.status).where(Syringe.id == made.syringe.id)) == "available"


@pytest.mark.parametrize(("recipe", "session"), [("other", "skin"), ("hair", "other"), ("skin", "skin")])
def test_safe_13_other_matches_any_indication(
    doctor: ApiClient, make_syringe: MakeSyringe, recipe: str, session: str
) -> None:
    treatment = factories.SessionFactory(practitioner=doctor.user, indication=session)
    made = make_syringe(recipe__indication=recipe)
    assert _scan(doctor, treatment.id, made.syringe.code).status_code == 201


def test_safe_12_allergy_blocks_the_scan_naming_the_substance(
    doctor: ApiClient,
    session_of: TreatmentSession,
    make_syringe: MakeSyringe,
    api_as: Callable[..., ApiClient],
) -> None:
    nurse = api_as("nurse")
    recorded = nurse.post(
        f"/api/v1/patients/{session_of.patient_id}/allergies",
        json={"substance": "  LIDOCAINE ", "reaction": "hives"},
    )
    assert recorded.status_code == 201, recorded.get_json()
    assert recorded.get_json()["substance"] == "lidocaine"
    made = make_syringe(lots=[{}, {"product__substances": ["Lidocaine"]}])
    response = _scan(doctor, session_of.id, made.syringe.code)
    body = response.get_json()
    assert (response.status_code, body["reasons"], body["allergens"]) == (409, ["allergy"], ["lidocaine"])
    assert "lidocaine" in body["error"]["fields"]["allergy"]


def test_safe_12_several_reasons_are_all_listed(
    doctor: ApiClient,
    session_of: TreatmentSession,
    make_syringe: MakeSyringe,
    api_as: Callable[..., ApiClient],
) -> None:
    api_as("nurse").post(f"/api/v1/patients/{session_of.patient_id}/allergies", json={"substance": "biotin"})
    made = make_syringe(
        recipe__indication="hair", lots=[{"product__substances": ["biotin"], "status": "recalled"}]
    )
    response = _scan(doctor, session_of.id, made.syringe.code)
    assert response.status_code == 409
    assert response.get_json()["reasons"] == ["recalled", "wrong_indication", "allergy"]


def test_safe_12_product_substances_are_normalised(api_as: Callable[..., ApiClient]) -> None:
    manager = api_as("manager")
    response = manager.post(
        "/api/v1/products",
        json={
            "name": "Lidocaine HCl 2% 20 mL",
            "category": "anaesthetic",
            "container": "multi_dose",
            "volume_ml": 20,
            "storage": "room",
            "substances": [" Lidocaine ", "LIDOCAINE", "Sodium  chloride"],
        },
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["substances"] == ["lidocaine", "sodium chloride"]
    product_id = response.get_json()["id"]
    patched = manager.patch(f"/api/v1/products/{product_id}", json={"strength": "20 mg/mL"})
    assert patched.get_json()["substances"] == ["lidocaine", "sodium chloride"]


def test_safe_12_allergy_needs_a_substance(api_as: Callable[..., ApiClient]) -> None:
    patient = factories.PatientFactory()
    response = api_as("nurse").post(f"/api/v1/patients/{patient.id}/allergies", json={"substance": " "})
    assert response.status_code == 422
    assert (
        api_as("nurse").post("/api/v1/patients/999999/allergies", json={"substance": "x"}).status_code == 404
    )


# ---- the patient's safety context ------------------------------------------------------------------------


def test_patient_shows_allergies_adverse_events_and_open_recalls(
    doctor: ApiClient,
    session_of: TreatmentSession,
    make_syringe: MakeSyringe,
    api_as: Callable[..., ApiClient],
) -> None:
    made = make_syringe()
    given(doctor, session_of.id, _scanned(doctor, session_of, made))
    doctor.post(f"/api/v1/patients/{session_of.patient_id}/allergies", json={"substance": "hyaluronidase"})
    event = doctor.post(
        "/api/v1/adverse-events",
        json={
            "session_id": session_of.id,
            "onset_at": session_of.started_at.isoformat(),
            "severity": "mild",
            "description": "redness",
        },
    )
    assert event.status_code == 201, event.get_json()
    recall = api_as("manager").post(
        "/api/v1/recalls", json={"lot_id": made.lots[0].id, "classification": "II", "reason": "particulates"}
    )
    assert recall.status_code == 201, recall.get_json()

    body = doctor.get(f"/api/v1/patients/{session_of.patient_id}").get_json()

    assert [a["substance"] for a in body["allergies"]] == ["hyaluronidase"]
    assert [e["description"] for e in body["adverse_events"]] == ["redness"]
    assert body["recalls"] == [
        {
            "recall_id": recall.get_json()["id"],
            "lot": made.lots[0].number,
            "product": made.lots[0].product.name,
            "classification": "II",
            "status": "pending",
            "note": "",
        }
    ]
