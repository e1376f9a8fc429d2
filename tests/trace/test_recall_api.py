"""The worked scenario of domain.md §3 through the API, and the recall rules RCL-01..05, SAFE-03."""

from __future__ import annotations

from typing import Any

from inventory import clock
from inventory.extensions import db
from inventory.models import AuditEntry, Batch, Lot, Recall, Syringe
from inventory.rules.expiry import vial_blocked_reason
from inventory.services import recalls, transaction
from tests import factories as f


def test_rcl_worked_scenario_recall_quarantines_and_finds_exposed_patients(scenario, api_as):
    api = api_as("manager")
    s = scenario
    response = api.post(
        "/api/v1/recalls",
        json={"product_id": s.hyal.id, "lot": "hyal-2409 ", "classification": "II", "reason": "particulates"},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["lot_id"] == s.lot_2409.id
    assert body["lot"] == "HYAL-2409"
    assert body["quarantined"] == {"vials": 2, "batches": 2, "syringes": 0}
    exposed = {row["patient_id"]: row for row in body["patients"]}
    assert set(exposed) == {s.p12.id, s.p15.id}
    assert exposed[s.p15.id]["administrations"] == 2
    assert exposed[s.p12.id]["administrations"] == 1
    assert exposed[s.p12.id]["status"] == "pending"
    assert exposed[s.p12.id]["date_of_birth"] == "1985-06-15"
    assert exposed[s.p12.id]["phone"] == "+90 555 111 1212"

    db.session.expire_all()
    assert db.session.get(Lot, s.lot_2409.id).status == "recalled"
    assert db.session.get(Lot, s.lot_2411.id).status == "available"
    assert {db.session.get(Batch, b.id).status for b in (s.b1, s.b2)} == {"quarantined"}

    vials = {v["code"]: v for v in api.get(f"/api/v1/trace/lots/{s.lot_2409.id}").get_json()["vials"]}
    assert set(vials) == {s.v7.code, s.v9.code}
    blocked = {
        vial.code: vial_blocked_reason(
            now=clock.now(),
            expiry=vial.lot.expiry,
            tz=clock.clinic_zone(),
            lot_status=vial.lot.status,
            opened_at=None,
            in_use_until=None,
        )
        for vial in (s.v7, s.v9, s.v8)
    }
    assert blocked == {s.v7.code: "recalled", s.v9.code: "recalled", s.v8.code: None}

    trace = api.get(f"/api/v1/trace/lots/{s.lot_2409.id}").get_json()
    fates = {row["code"]: row["fate"] for row in trace["syringes"]}
    assert fates == {
        s.s1.code: "administered",
        s.s2.code: "administered",
        s.s3.code: "administered",
        s.s4.code: "destroyed",
    }
    assert {p["id"]: p["administrations"] for p in trace["patients"]} == {s.p12.id: 1, s.p15.id: 2}
    assert len(trace["administrations"]) == 3


def test_rcl_02_unused_syringes_are_blocked_and_counted(scenario, api_as):
    spare = f.SyringeFactory(batch=scenario.b1, number=4, status="available")
    body = (
        api_as("manager")
        .post(
            "/api/v1/recalls",
            json={"lot_id": scenario.lot_2409.id, "classification": "I", "reason": "sterility"},
        )
        .get_json()
    )
    assert body["quarantined"]["syringes"] == 1
    db.session.expire_all()
    assert db.session.get(Syringe, spare.id).status == "available"
    trace = api_as("manager").get(f"/api/v1/trace/batches/{scenario.b1.id}").get_json()
    blocked = {row["code"]: row["blocked_reason"] for row in trace["syringes"]}
    assert blocked[spare.code] == "recalled"
    # the administered syringe answers what the batch API and the scan answer: recalled, and used
    given = next(row for row in trace["syringes"] if row["code"] == scenario.s1.code)
    assert given["fate"] == "administered"
    assert {"recalled", "already_administered"} <= set(given["blocked_reasons"])


def test_safe_10_recall_is_audited_once_plus_each_batch(scenario, api_as):
    api_as("manager").post(
        "/api/v1/recalls", json={"lot_id": scenario.lot_2409.id, "classification": "I", "reason": "sterility"}
    )
    actions = [entry.action for entry in db.session.scalars(db.select(AuditEntry))]
    assert actions.count("recall_entered") == 1
    assert actions.count("batch_quarantined") == 2


def test_rcl_01_lot_numbers_match_exactly_never_by_prefix(app, frozen, api_as):
    product = f.ProductFactory()
    longer = f.LotFactory(product=product, number="HYAL-24090")
    response = api_as("manager").post(
        "/api/v1/recalls",
        json={
            "product_id": product.id,
            "lot": "hyal-2409 ",
            "classification": "II",
            "reason": "particulates",
        },
    )
    assert response.status_code == 201
    assert response.get_json()["lot_id"] is None
    db.session.expire_all()
    assert db.session.get(Lot, longer.id).status == "available"


def test_rcl_04_recall_of_a_lot_not_yet_received_is_kept(app, frozen, api_as):
    from inventory.services.recalls import recall_for

    product = f.ProductFactory(gtin="09506000134352")
    response = api_as("manager").post(
        "/api/v1/recalls",
        json={"gtin": "09506000134352", "lot": " abc123", "classification": "I", "reason": "falsified"},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["lot_id"] is None
    assert body["lot"] == "ABC123"
    assert body["patients"] == []
    assert body["quarantined"] == {"vials": 0, "batches": 0, "syringes": 0}
    assert db.session.scalar(db.select(Recall).where(Recall.lot_number == "ABC123")) is not None
    assert recall_for(product.id, "abc123 ").id == body["id"]
    assert recall_for(product.id, "ABC1234") is None


def scenario_expiry():
    from datetime import date

    return date(2027, 1, 31)


def test_rcl_recall_errors(app, frozen, api_as):
    api = api_as("manager")
    lot = f.LotFactory()
    cases = [
        ({"classification": "I", "reason": "x"}, 422),
        ({"lot_id": 999999, "classification": "I", "reason": "x"}, 422),
        ({"product_id": 999999, "lot": "A", "classification": "I", "reason": "x"}, 422),
        ({"product_id": lot.product_id, "classification": "I", "reason": "x"}, 422),
        ({"gtin": "09506000134352", "lot": "A", "classification": "I", "reason": "x"}, 422),
        ({"lot_id": lot.id, "classification": "IV", "reason": "x"}, 422),
    ]
    for body, status in cases:
        response = api.post("/api/v1/recalls", json=body)
        assert response.status_code == status, (body, response.get_json())
        assert "error" in response.get_json()
    first = api.post("/api/v1/recalls", json={"lot_id": lot.id, "classification": "I", "reason": "x"})
    assert first.status_code == 201
    again = api.post(
        "/api/v1/recalls",
        json={"product_id": lot.product_id, "lot": lot.number.lower(), "classification": "I", "reason": "x"},
    )
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_recalled"


def test_safe_03_no_role_can_undo_a_recall(scenario, api_as):
    api = api_as("admin")
    recall = api.post(
        "/api/v1/recalls", json={"lot_id": scenario.lot_2409.id, "classification": "I", "reason": "x"}
    ).get_json()
    for method in ("delete", "put"):
        assert getattr(api, method)(f"/api/v1/recalls/{recall['id']}").status_code in (404, 405)
    db.session.expire_all()
    assert db.session.get(Lot, scenario.lot_2409.id).status == "recalled"


def test_rcl_05_follow_up_statuses_and_history(scenario, api_as):
    api = api_as("manager")
    recall = api.post(
        "/api/v1/recalls", json={"lot_id": scenario.lot_2409.id, "classification": "I", "reason": "x"}
    ).get_json()
    path = f"/api/v1/recalls/{recall['id']}/patients/{scenario.p12.id}"
    assert api.patch(path, json={"status": "not_required"}).status_code == 422
    response = api.patch(path, json={"status": "contacted", "note": "called, no reaction"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "contacted"
    assert api.patch(path, json={"status": "not_required", "note": "moved abroad"}).status_code == 200
    missing = api.patch(f"/api/v1/recalls/{recall['id']}/patients/999999", json={"status": "contacted"})
    assert missing.status_code == 404
    detail = api.get(f"/api/v1/recalls/{recall['id']}").get_json()
    statuses = {row["patient_id"]: row["status"] for row in detail["patients"]}
    assert statuses == {scenario.p12.id: "not_required", scenario.p15.id: "pending"}
    history = [
        e.action for e in db.session.scalars(db.select(AuditEntry).where(AuditEntry.entity_type == "recall"))
    ]
    assert "recall_patient_contacted" in history
    assert "recall_patient_not_required" in history
    listed = api.get("/api/v1/recalls").get_json()["items"]
    assert listed[0]["patients"] == 2
    assert listed[0]["pending"] == 1


def test_rcl_05_exposed_patients_are_refreshed_and_statuses_kept(scenario, api_as):
    api = api_as("manager")
    recall = api.post(
        "/api/v1/recalls", json={"lot_id": scenario.lot_2409.id, "classification": "I", "reason": "x"}
    ).get_json()
    api.patch(f"/api/v1/recalls/{recall['id']}/patients/{scenario.p12.id}", json={"status": "contacted"})
    late = f.SyringeFactory(batch=scenario.b1, number=5, status="administered")
    newcomer = f.PatientFactory()
    f.AdministrationFactory(session=f.SessionFactory(patient=newcomer), syringe=late)
    shown = api.get(f"/api/v1/recalls/{recall['id']}").get_json()
    # a GET only reads: the late administration is not on the list until a writer refreshes it
    assert {row["patient_id"] for row in shown["patients"]} == {scenario.p12.id, scenario.p15.id}
    with transaction():  # the writer that changed who received the lot keeps the list
        recalls.refresh_exposed_patients([scenario.lot_2409.id])
    detail = api.get(f"/api/v1/recalls/{recall['id']}").get_json()
    rows = {row["patient_id"]: row for row in detail["patients"]}
    assert set(rows) == {scenario.p12.id, scenario.p15.id, newcomer.id}
    assert rows[scenario.p12.id]["status"] == "contacted"
    assert rows[newcomer.id]["status"] == "pending"


def test_recall_permissions(scenario, api_as):
    body = {"lot_id": scenario.lot_2409.id, "classification": "I", "reason": "x"}
    assert api_as("practitioner").post("/api/v1/recalls", json=body).status_code == 403
    assert api_as("nurse").get(f"/api/v1/trace/lots/{scenario.lot_2409.id}").status_code == 403
    assert api_as("practitioner").get(f"/api/v1/trace/lots/{scenario.lot_2409.id}").status_code == 200


def test_rcl_03_lot_trace_json_has_exactly_the_documented_fields(scenario, api_as):
    from inventory.web.api.trace import TraceOfLotOut

    f.AdministrationFactory()  # another lot's chain: must not appear
    body = api_as("manager").get(f"/api/v1/trace/lots/{scenario.lot_2409.id}").get_json()
    schema = TraceOfLotOut()
    assert set(body) == set(schema.fields)
    nested: Any = schema.fields
    for key in ("lot",):
        assert set(body[key]) == set(nested[key].schema.fields)
    for key in ("vials", "draws", "batches", "syringes", "administrations", "patients"):
        assert body[key], key
        item_fields = set(nested[key].inner.schema.fields)
        assert all(set(item) == item_fields for item in body[key]), key
    assert body["lot"]["number"] == "HYAL-2409"
    assert body["lot"]["expiry"] == scenario.lot_2409.expiry.isoformat()
    administered = body["administrations"][0]
    assert administered["volume_ml"] == 1
    assert administered["administered_at"].endswith("+00:00")
