"""POST /api/v1/batches and friends: api.md "Compounding", domain.md BUD-0x, SAFE-04/05/11."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from inventory import clock
from inventory.models import AuditEntry, Batch, Draw, Syringe, Vial
from tests import factories
from tests.compounding.conftest import make_recipe, make_vials


def _vials(body: dict[str, Any]) -> list[str]:
    """What the second person scans: every vial drawn (SAFE-15)."""
    return [draw["vial_code"] for draw in body["draws"]]


def _batch(api: Any, recipe_id: int, **extra: Any) -> Any:
    body = {"recipe_id": recipe_id, "syringes": 2, "category": "category_1", "storage": "room", **extra}
    return api.post("/api/v1/batches", json=body)


def test_batch_response_has_the_shape_of_api_md(api_as: Any, hair: dict[str, Any]) -> None:
    api = api_as("nurse")
    response = _batch(api, hair["recipe"].id)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    for key in (
        "id",
        "code",
        "recipe_id",
        "status",
        "category",
        "storage",
        "patient_id",
        "prepared_by",
        "prepared_at",
        "verified_by",
        "verified_at",
        "bud",
        "draws",
        "syringes",
    ):
        assert key in body
    assert body["code"].startswith("B")
    assert body["status"] == "awaiting_verification"
    assert body["prepared_by"] == api.user.id
    assert {d["product_id"]: d["volume_ml"] for d in body["draws"]} == {
        hair["dex"].id: 2,
        hair["silicon"].id: 4,
    }
    for key in ("vial_id", "vial_code", "product_id", "lot_id", "lot", "expiry", "volume_ml"):
        assert key in body["draws"][0]
    assert [s["volume_ml"] for s in body["syringes"]] == [3, 3]
    assert all(s["code"].startswith("S") and s["status"] == "awaiting_verification" for s in body["syringes"])
    assert api.get(f"/api/v1/batches/{body['id']}").get_json() == body


def test_bud_02_t1_category_1_room_is_12_hours_from_the_start(api_as: Any, hair: dict[str, Any]) -> None:
    start = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)  # 09:00 in Istanbul
    with clock.frozen_at(start):
        api = api_as("nurse")
        hair_vials = [*make_vials(hair["dex"], 1), *make_vials(hair["silicon"], 1)]
        assert hair_vials
        clock.advance(timedelta(minutes=20))
        response = _batch(api, hair["recipe"].id, prepared_at=start.isoformat())
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["bud"] == "2025-03-10T18:00:00+00:00"  # 21:00 clinic time


def test_bud_02_prepared_at_in_the_future_is_refused(api_as: Any, hair: dict[str, Any]) -> None:
    later = (clock.now() + timedelta(hours=1)).isoformat()
    response = _batch(api_as("nurse"), hair["recipe"].id, prepared_at=later)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_prepared_at"


def test_safe_04_fefo_draws_the_earliest_expiry_first(api_as: Any, app: Any) -> None:
    product = factories.ProductFactory(volume_ul=5000)
    late = make_vials(product, expiry=clock.today() + timedelta(days=300))[0]
    early = make_vials(product, expiry=clock.today() + timedelta(days=30))[0]
    recipe = make_recipe([(product, 1000)])
    body = _batch(api_as("nurse"), recipe.id).get_json()
    assert [d["vial_id"] for d in body["draws"]] == [early.id]
    assert late.id not in {d["vial_id"] for d in body["draws"]}


def test_safe_04_opened_vial_in_limit_goes_first(api_as: Any, app: Any) -> None:
    product = factories.ProductFactory(volume_ul=5000)
    sealed = make_vials(product, expiry=clock.today() + timedelta(days=30))[0]
    opened = make_vials(
        product,
        expiry=clock.today() + timedelta(days=300),
        remaining_ul=3000,
        opened_at=clock.now() - timedelta(days=1),
    )[0]
    recipe = make_recipe([(product, 1000)])
    body = _batch(api_as("nurse"), recipe.id).get_json()
    assert [d["vial_id"] for d in body["draws"]] == [opened.id]
    assert sealed.id not in {d["vial_id"] for d in body["draws"]}


def test_safe_04_choosing_another_vial_needs_a_reason(api_as: Any, db: Any) -> None:
    product = factories.ProductFactory(volume_ul=5000)
    make_vials(product, expiry=clock.today() + timedelta(days=30))
    late = make_vials(product, expiry=clock.today() + timedelta(days=300))[0]
    recipe = make_recipe([(product, 1000)])
    api = api_as("nurse")
    refused = _batch(api, recipe.id, vials=[late.id])
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "override_reason_required"
    assert db.session.get(Vial, late.id).remaining_ul == 5000
    accepted = _batch(
        api, recipe.id, vials=[late.id], override_reason="Short-dated lot reserved for a patient"
    )
    assert accepted.status_code == 201, accepted.get_json()
    assert accepted.get_json()["draws"][0]["vial_id"] == late.id
    assert accepted.get_json()["draws"][0]["override_reason"] == "Short-dated lot reserved for a patient"


def test_safe_11_draws_across_several_vials_and_opens_them(api_as: Any, db: Any) -> None:
    product = factories.ProductFactory(volume_ul=2000, container="multi_dose")
    first, second = make_vials(product, 2)
    recipe = make_recipe([(product, 1500)])
    response = _batch(api_as("nurse"), recipe.id, syringes=2)
    assert response.status_code == 201, response.get_json()
    assert [(d["vial_id"], d["volume_ml"]) for d in response.get_json()["draws"]] == [
        (first.id, 2),
        (second.id, 1),
    ]
    db.session.expire_all()
    one, two = db.session.get(Vial, first.id), db.session.get(Vial, second.id)
    assert (one.status, one.remaining_ul) == ("empty", 0)
    assert (two.status, two.remaining_ul) == ("open", 1000)
    assert two.opened_at is not None


def test_safe_11_insufficient_stock_says_what_is_short_and_draws_nothing(api_as: Any, db: Any) -> None:
    product = factories.ProductFactory(name="Biotin 1 mL", volume_ul=1000)
    vial = make_vials(product)[0]
    recipe = make_recipe([(product, 1000)])
    response = _batch(api_as("nurse"), recipe.id, syringes=3)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "insufficient_stock"
    assert error["fields"]["product"] == "Biotin 1 mL"
    assert (error["fields"]["needed_ml"], error["fields"]["available_ml"]) == ("3", "1")
    assert response.get_json()["short"][0]["product_id"] == product.id
    db.session.expire_all()
    assert db.session.get(Vial, vial.id).remaining_ul == 1000
    assert db.session.scalar(select(Batch.id)) is None


def test_safe_11_all_or_nothing_across_products(api_as: Any, db: Any) -> None:
    plenty = factories.ProductFactory(volume_ul=5000)
    scarce = factories.ProductFactory(volume_ul=1000)
    big = make_vials(plenty)[0]
    make_vials(scarce)
    recipe = make_recipe([(plenty, 1000), (scarce, 1000)])
    assert _batch(api_as("nurse"), recipe.id, syringes=2).status_code == 409
    db.session.expire_all()
    assert db.session.get(Vial, big.id).remaining_ul == 5000
    assert db.session.scalar(select(Draw.id)) is None


def test_safe_03_quarantined_lot_is_not_drawn_and_cannot_be_chosen(api_as: Any, app: Any) -> None:
    product = factories.ProductFactory(volume_ul=5000)
    blocked = make_vials(product, lot_status="quarantined")[0]
    recipe = make_recipe([(product, 1000)])
    api = api_as("nurse")
    assert _batch(api, recipe.id).get_json()["error"]["code"] == "insufficient_stock"
    chosen = _batch(api, recipe.id, vials=[blocked.id], override_reason="test")
    assert chosen.status_code == 409
    assert chosen.get_json()["error"]["code"] == "vial_unusable"
    assert chosen.get_json()["error"]["fields"]["blocked_reason"] == "quarantined"


def test_safe_01_expired_lot_is_not_drawn(api_as: Any, app: Any) -> None:
    product = factories.ProductFactory(volume_ul=5000)
    make_vials(product, expiry=clock.today() - timedelta(days=1))
    recipe = make_recipe([(product, 1000)])
    assert _batch(api_as("nurse"), recipe.id).get_json()["error"]["code"] == "insufficient_stock"


def test_safe_02_single_dose_past_its_in_use_limit_is_not_drawn(api_as: Any, app: Any) -> None:
    product = factories.ProductFactory(volume_ul=5000, container="single_dose")
    opened = make_vials(product, remaining_ul=4000, opened_at=clock.now() - timedelta(hours=13))[0]
    recipe = make_recipe([(product, 1000)])
    api = api_as("nurse")
    assert _batch(api, recipe.id).get_json()["error"]["code"] == "insufficient_stock"
    chosen = _batch(api, recipe.id, vials=[opened.id], override_reason="test").get_json()["error"]
    assert chosen["code"] == "vial_unusable"
    assert chosen["message"].endswith("cannot be drawn: past its in-use limit.")


def test_bud_03_opened_vial_in_use_limit_binds_the_bud(api_as: Any, app: Any) -> None:
    product = factories.ProductFactory(volume_ul=5000, container="single_dose")
    opened_at = clock.now() - timedelta(hours=10)
    make_vials(product, remaining_ul=4000, opened_at=opened_at)
    recipe = make_recipe([(product, 1000)])
    body = _batch(api_as("nurse"), recipe.id, storage="fridge").get_json()
    bud = datetime.fromisoformat(body["bud"])
    assert abs(bud - (opened_at + timedelta(hours=12))) < timedelta(seconds=1)  # not prepared_at + 24 h


def test_bud_04_t3_category_1_in_the_freezer_is_refused(api_as: Any, hair: dict[str, Any]) -> None:
    response = _batch(api_as("nurse"), hair["recipe"].id, storage="freezer")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "storage_not_allowed"


def test_bud_05_immediate_use_needs_a_patient(api_as: Any, hair: dict[str, Any]) -> None:
    response = _batch(api_as("nurse"), hair["recipe"].id, category="immediate", syringes=1)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "patient_required"


def test_bud_05_t9_four_products_cannot_be_immediate_use(api_as: Any, app: Any) -> None:
    products = [factories.ProductFactory(volume_ul=5000) for _ in range(4)]
    for product in products:
        make_vials(product)
    recipe = make_recipe([(product, 1000) for product in products])
    patient = factories.PatientFactory()
    response = _batch(api_as("nurse"), recipe.id, category="immediate", syringes=1, patient_id=patient.id)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "immediate_use_limit"


def test_bud_05_t8_immediate_use_is_released_at_once_with_a_4_hour_bud(
    api_as: Any, hair: dict[str, Any]
) -> None:
    patient = factories.PatientFactory()
    start = clock.now()
    body = _batch(
        api_as("nurse"),
        hair["recipe"].id,
        category="immediate",
        syringes=1,
        patient_id=patient.id,
        prepared_at=start.isoformat(),
    ).get_json()
    assert body["status"] == "released"
    assert body["syringes"][0]["status"] == "available"
    assert body["patient_id"] == patient.id
    assert abs(datetime.fromisoformat(body["bud"]) - (start + timedelta(hours=4))) < timedelta(seconds=1)


def test_bud_06_immediate_use_discards_what_is_left_and_no_other_preparation_gets_it(
    api_as: Any, db: Any
) -> None:
    single = factories.ProductFactory(volume_ul=3000, container="single_dose")
    ampoule = factories.ProductFactory(volume_ul=2000, container="ampoule")
    multi = factories.ProductFactory(volume_ul=20000, container="multi_dose")
    single_vial = make_vials(single)[0]
    ampoule_vial = make_vials(ampoule)[0]
    multi_vial = make_vials(multi)[0]
    recipe = make_recipe([(single, 1000), (ampoule, 500), (multi, 500)])
    patient = factories.PatientFactory()
    nurse = api_as("nurse")
    response = _batch(nurse, recipe.id, category="immediate", syringes=1, patient_id=patient.id)
    assert response.status_code == 201, response.get_json()
    db.session.expire_all()
    # what was left in the single-dose vial and the ampoule is discarded as waste, with an audit entry
    for vial_id, waste in ((single_vial.id, 2000), (ampoule_vial.id, 1500)):
        wasted = db.session.get(Vial, vial_id)
        assert (wasted.status, wasted.remaining_ul, wasted.waste_ul) == ("discarded", 0, waste)
        assert db.session.scalar(
            select(AuditEntry.id).where(
                AuditEntry.action == "vial_discarded", AuditEntry.entity_id == vial_id
            )
        )
    kept = db.session.get(Vial, multi_vial.id)
    assert (kept.status, kept.remaining_ul) == ("open", 19500)
    # and it never goes to another preparation: the next batch finds no single-dose stock at all
    again = _batch(nurse, recipe.id, category="immediate", syringes=1, patient_id=patient.id)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "insufficient_stock"
    listed = nurse.get(f"/api/v1/vials?product_id={single.id}").get_json()["items"]
    assert [(item["status"], item["usable"]) for item in listed] == [("discarded", False)]


def test_vial_02_an_opened_ampoule_is_never_stored(api_as: Any, db: Any) -> None:
    ampoule = factories.ProductFactory(volume_ul=5000, container="ampoule")
    vial = make_vials(ampoule)[0]
    recipe = make_recipe([(ampoule, 1000)])
    assert _batch(api_as("nurse"), recipe.id, syringes=1).status_code == 201
    db.session.expire_all()
    assert db.session.get(Vial, vial.id).status == "discarded"
    assert db.session.get(Vial, vial.id).waste_ul == 4000


def test_safe_05_the_preparer_cannot_verify_their_own_batch(api_as: Any, hair: dict[str, Any]) -> None:
    api = api_as("nurse")
    body = _batch(api, hair["recipe"].id).get_json()
    response = api.post(f"/api/v1/batches/{body['id']}/verify", json={"volume_ml": 3, "vials": _vials(body)})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "own_batch"


def test_safe_05_a_volume_mismatch_is_refused_and_audited(api_as: Any, hair: dict[str, Any], db: Any) -> None:
    body = _batch(api_as("nurse"), hair["recipe"].id).get_json()
    response = api_as("practitioner").post(
        f"/api/v1/batches/{body['id']}/verify", json={"volume_ml": 2.5, "vials": _vials(body)}
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "verification_mismatch"
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "verification_mismatch"))
    assert db.session.get(Batch, body["id"]).status == "awaiting_verification"


def test_safe_05_another_person_releases_the_batch(api_as: Any, hair: dict[str, Any]) -> None:
    body = _batch(api_as("nurse"), hair["recipe"].id).get_json()
    verifier = api_as("nurse")
    url = f"/api/v1/batches/{body['id']}/verify"
    response = verifier.post(url, json={"volume_ml": 3, "vials": _vials(body)})
    assert response.status_code == 200, response.get_json()
    released = response.get_json()
    assert released["status"] == "released"
    assert released["verified_by"] == verifier.user.id
    assert {s["status"] for s in released["syringes"]} == {"available"}
    again = verifier.post(url, json={"volume_ml": 3, "vials": _vials(body)})
    assert again.status_code == 409


def test_syringe_discard_records_reason_and_refuses_twice(api_as: Any, hair: dict[str, Any], db: Any) -> None:
    api = api_as("nurse")
    code = _batch(api, hair["recipe"].id).get_json()["syringes"][0]["code"]
    response = api.post(f"/api/v1/syringes/{code}/discard", json={"reason": "damaged", "note": "dropped"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "discarded"
    syringe = db.session.scalar(select(Syringe).where(Syringe.code == code))
    assert (syringe.discard_reason, syringe.discard_note) == ("damaged", "dropped")
    assert api.post(f"/api/v1/syringes/{code}/discard", json={"reason": "other"}).status_code == 409


def test_bud_07_moving_to_a_warmer_storage_shortens_the_bud(api_as: Any, hair: dict[str, Any]) -> None:
    api = api_as("nurse")
    body = _batch(api, hair["recipe"].id, storage="fridge").get_json()
    prepared_at = datetime.fromisoformat(body["prepared_at"])
    assert datetime.fromisoformat(body["bud"]) - prepared_at == timedelta(hours=24)
    moved = api.post(f"/api/v1/batches/{body['id']}/storage", json={"storage": "room"}).get_json()
    assert datetime.fromisoformat(moved["syringes"][0]["bud"]) - prepared_at == timedelta(hours=12)
    assert moved["syringes"][0]["storage"] == "room"
    back = api.post(f"/api/v1/batches/{body['id']}/storage", json={"storage": "fridge"}).get_json()
    assert datetime.fromisoformat(back["syringes"][0]["bud"]) - prepared_at == timedelta(hours=12)


def test_managers_cannot_prepare_batches(api_as: Any, hair: dict[str, Any]) -> None:
    assert _batch(api_as("manager"), hair["recipe"].id).status_code == 403


def test_bud_01_a_batch_past_its_bud_is_not_released(api_as: Any, hair: dict[str, Any]) -> None:
    with clock.frozen_at(datetime(2025, 3, 10, 6, 0, tzinfo=UTC)):
        hair_vials = [*make_vials(hair["dex"], 1), *make_vials(hair["silicon"], 1)]
        assert hair_vials
        body = _batch(api_as("nurse"), hair["recipe"].id).get_json()
        clock.advance(timedelta(hours=12, minutes=1))
        response = api_as("nurse").post(
            f"/api/v1/batches/{body['id']}/verify", json={"volume_ml": 3, "vials": _vials(body)}
        )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "bud_passed"


def test_bud_07_category_1_cannot_move_to_the_freezer(api_as: Any, hair: dict[str, Any]) -> None:
    api = api_as("nurse")
    body = _batch(api, hair["recipe"].id).get_json()
    response = api.post(f"/api/v1/batches/{body['id']}/storage", json={"storage": "freezer"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "storage_not_allowed"


def test_safe_03_a_recalled_lot_shows_on_the_batch_syringes(api_as, db):
    from tests import factories

    batch = factories.BatchFactory(status="released")
    syringe = factories.SyringeFactory(batch=batch)
    draw = factories.DrawFactory(batch=batch)
    draw.vial.lot.status = "recalled"
    db.session.commit()
    body = api_as("nurse").get(f"/api/v1/batches/{batch.id}").get_json()
    shown = next(item for item in body["syringes"] if item["code"] == syringe.code)
    assert shown["blocked_reason"] == "recalled"
    assert "recalled" in shown["blocked_reasons"]
