"""COLD-03..05, SAFE-16: an out-of-range reading opens an excursion, holds everything in the unit,
and a manager's decisions per lot and batch close it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from inventory.models import AuditEntry, Batch, Excursion, StorageUnit, Syringe, Vial
from tests import factories
from tests.coldchain.conftest import NOW, error_of


def _reading(api: Any, unit: StorageUnit, celsius: float, at: Any = None, **extra: Any) -> Any:
    body: dict[str, Any] = {"temperature_c": celsius, **extra}
    if at is not None:
        body["at"] = at.isoformat()
    response = api.post(f"/api/v1/storage-units/{unit.id}/readings", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _open(api_as: Any, fridge: StorageUnit, *, celsius: float = 9.5) -> tuple[Any, int]:
    nurse = api_as("nurse")
    excursion_id = _reading(nurse, fridge, celsius, at=NOW - timedelta(minutes=10))["excursion_id"]
    assert excursion_id is not None
    return nurse, excursion_id


def test_cold_03_an_out_of_range_reading_holds_every_vial_in_the_unit_at_once(
    api_as: Any, fridge: StorageUnit, stocked: dict[str, Any]
) -> None:
    nurse, excursion_id = _open(api_as, fridge)
    for vial in stocked["vials"]:
        body = nurse.get(f"/api/v1/vials/{vial.id}").get_json()
        assert (body["usable"], body["blocked_reason"]) == (False, "temperature_hold")
    outside = nurse.get(f"/api/v1/vials/{stocked['outside'].id}").get_json()
    assert (outside["usable"], outside["blocked_reason"]) == (True, None)
    excursion = api_as("manager").get(f"/api/v1/excursions/{excursion_id}").get_json()
    assert excursion["status"] == "open"
    assert excursion["start"] == (NOW - timedelta(minutes=10)).isoformat()
    assert excursion["end"] is None
    assert excursion["lots"] == [{"lot_id": stocked["lot"].id, "decision": None, "reason": None}]
    assert excursion["batches"] == [{"batch_id": stocked["batch"].id, "decision": None, "reason": None}]


def test_safe_16_a_held_syringe_cannot_be_given_and_the_scan_says_why(
    api_as: Any, fridge: StorageUnit, stocked: dict[str, Any]
) -> None:
    _open(api_as, fridge)
    batch = api_as("nurse").get(f"/api/v1/batches/{stocked['batch'].id}").get_json()
    assert {s["blocked_reason"] for s in batch["syringes"]} == {"temperature_hold"}
    doctor = api_as("practitioner")
    session = factories.SessionFactory(practitioner=doctor.user)
    scan = doctor.post(f"/api/v1/sessions/{session.id}/scans", json={"code": stocked["syringes"][0].code})
    assert scan.status_code == 409
    assert scan.get_json()["reasons"] == ["temperature_hold"]


def test_cold_03_a_second_out_of_range_reading_continues_the_same_excursion(
    api_as: Any, db: Any, fridge: StorageUnit, stocked: dict[str, Any]
) -> None:
    nurse, excursion_id = _open(api_as, fridge, celsius=1.0)
    assert _reading(nurse, fridge, 10.0)["excursion_id"] == excursion_id
    assert len(list(db.session.scalars(select(Excursion)))) == 1
    assert db.session.get(Excursion, excursion_id).above is True


def test_cold_01_a_vial_moved_into_a_unit_during_its_excursion_is_held_too(
    api_as: Any, fridge: StorageUnit, room: StorageUnit, stocked: dict[str, Any]
) -> None:
    nurse, _excursion_id = _open(api_as, fridge)
    moved = nurse.post(f"/api/v1/vials/{stocked['outside'].id}/move", json={"storage_unit_id": fridge.id})
    assert moved.get_json()["blocked_reason"] == "temperature_hold"


def test_cold_04_the_excursion_closes_only_when_back_in_range_and_every_lot_and_batch_decided(
    api_as: Any, db: Any, fridge: StorageUnit, stocked: dict[str, Any]
) -> None:
    nurse, excursion_id = _open(api_as, fridge)
    manager = api_as("manager")
    url = f"/api/v1/excursions/{excursion_id}/decisions"
    released = manager.post(
        url,
        json={
            "lot_id": stocked["lot"].id,
            "decision": "release",
            "reason": "Manufacturer letter 2026-11: 24 h to 25 °C",
        },
    )
    assert released.status_code == 200, released.get_json()
    assert released.get_json()["status"] == "open"
    vial = nurse.get(f"/api/v1/vials/{stocked['vials'][0].id}").get_json()
    assert (vial["usable"], vial["blocked_reason"]) == (True, None)
    discarded = manager.post(
        url, json={"batch_id": stocked["batch"].id, "decision": "discard", "reason": "No stability data"}
    ).get_json()
    assert discarded["status"] == "open", "no reading back in range yet"
    assert {s.status for s in db.session.scalars(select(Syringe))} == {"discarded"}
    assert _reading(nurse, fridge, 5.0)["excursion_id"] == excursion_id
    closed = manager.get(f"/api/v1/excursions/{excursion_id}").get_json()
    assert (closed["status"], closed["end"]) == ("closed", NOW.isoformat())
    assert [e["id"] for e in manager.get("/api/v1/excursions?status=closed").get_json()["items"]] == [
        excursion_id
    ]
    assert manager.get("/api/v1/excursions?status=open").get_json()["items"] == []
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "excursion")))
    assert actions == {"excursion_opened", "excursion_decided", "excursion_ended", "excursion_closed"}


def test_cold_04_discarding_a_lot_records_the_waste_of_its_held_vials(
    api_as: Any, db: Any, fridge: StorageUnit, stocked: dict[str, Any]
) -> None:
    _nurse, excursion_id = _open(api_as, fridge)
    api_as("manager").post(
        f"/api/v1/excursions/{excursion_id}/decisions",
        json={"lot_id": stocked["lot"].id, "decision": "discard", "reason": "Frozen: do not use"},
    )
    held = [db.session.get(Vial, vial.id) for vial in stocked["vials"]]
    assert {(v.status, v.waste_ul > 0) for v in held} == {("discarded", True)}
    assert db.session.get(Vial, stocked["outside"].id).status == "sealed", "the room shelf was not exposed"


def test_cold_04_released_syringes_of_an_excursion_above_the_range_get_the_room_bud(
    api_as: Any, db: Any, fridge: StorageUnit, stocked: dict[str, Any]
) -> None:
    _nurse, excursion_id = _open(api_as, fridge, celsius=12.0)
    api_as("manager").post(
        f"/api/v1/excursions/{excursion_id}/decisions",
        json={
            "batch_id": stocked["batch"].id,
            "decision": "release",
            "reason": "Stable 12 h at room temperature",
        },
    )
    batch = db.session.get(Batch, stocked["batch"].id)
    room_bud = batch.prepared_at + timedelta(hours=12)
    assert {s.bud for s in db.session.scalars(select(Syringe))} == {room_bud}
    assert batch.bud == room_bud


def test_cold_04_a_release_below_the_range_never_changes_or_extends_a_bud(
    api_as: Any, db: Any, fridge: StorageUnit, stocked: dict[str, Any]
) -> None:
    _nurse, excursion_id = _open(api_as, fridge, celsius=0.5)
    before = {s.id: s.bud for s in stocked["syringes"]}
    api_as("manager").post(
        f"/api/v1/excursions/{excursion_id}/decisions",
        json={"batch_id": stocked["batch"].id, "decision": "release", "reason": "Not frozen; label says 0-8"},
    )
    assert {s.id: s.bud for s in db.session.scalars(select(Syringe))} == before


def test_cold_04_bad_decisions_are_refused(api_as: Any, fridge: StorageUnit, stocked: dict[str, Any]) -> None:
    _nurse, excursion_id = _open(api_as, fridge)
    manager = api_as("manager")
    url = f"/api/v1/excursions/{excursion_id}/decisions"
    other_lot = factories.LotFactory()
    not_held = manager.post(url, json={"lot_id": other_lot.id, "decision": "release", "reason": "x"})
    assert (not_held.status_code, error_of(not_held)["code"]) == (422, "not_in_excursion")
    both = manager.post(
        url,
        json={
            "lot_id": stocked["lot"].id,
            "batch_id": stocked["batch"].id,
            "decision": "release",
            "reason": "x",
        },
    )
    assert both.status_code == 422
    no_reason = manager.post(url, json={"lot_id": stocked["lot"].id, "decision": "release", "reason": "  "})
    assert no_reason.status_code == 422
    assert "reason" in error_of(no_reason)["fields"]
    assert (
        manager.post(
            url, json={"lot_id": stocked["lot"].id, "decision": "release", "reason": "ok"}
        ).status_code
        == 200
    )
    again = manager.post(
        url, json={"lot_id": stocked["lot"].id, "decision": "discard", "reason": "changed my mind"}
    )
    assert (again.status_code, error_of(again)["code"]) == (409, "already_decided")
    nurse = api_as("nurse").post(
        url, json={"batch_id": stocked["batch"].id, "decision": "release", "reason": "x"}
    )
    assert nurse.status_code == 403
    assert manager.get("/api/v1/excursions/999999").status_code == 404


def test_cold_05_syringes_given_during_an_excursion_decided_discard_list_their_patients(
    api_as: Any, fridge: StorageUnit, stocked: dict[str, Any]
) -> None:
    given = factories.SyringeFactory(
        batch=stocked["batch"], number=3, storage="fridge", status="administered", storage_unit_id=fridge.id
    )
    patient = factories.PatientFactory(name="Ayşe Yılmaz")
    session = factories.SessionFactory(patient=patient)
    factories.AdministrationFactory(
        session=session, syringe=given, administered_at=NOW - timedelta(minutes=30)
    )
    nurse = api_as("nurse")
    excursion_id = _reading(nurse, fridge, 11.0, at=NOW - timedelta(hours=1))["excursion_id"]
    manager = api_as("manager")
    undecided = manager.get(f"/api/v1/excursions/{excursion_id}").get_json()
    assert undecided["patients"] == []
    body = manager.post(
        f"/api/v1/excursions/{excursion_id}/decisions",
        json={"batch_id": stocked["batch"].id, "decision": "discard", "reason": "11 °C for an hour"},
    ).get_json()
    assert [(p["patient_id"], p["name"], p["syringe_code"]) for p in body["patients"]] == [
        (patient.id, "Ayşe Yılmaz", given.code)
    ]
