"""COLD-01 at preparation: a new batch's syringes go into a storage unit (chosen, or the clinic's only unit
of the batch's storage), recorded as moves, audited, and held at once if the unit's excursion is open."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from inventory.models import AuditEntry, Batch, StorageMove, StorageUnit, Syringe, Vial
from inventory.models.coldchain import ExcursionHold
from tests import factories
from tests.coldchain.conftest import NOW, error_of
from tests.compounding.conftest import make_recipe, make_vials
from tests.support import csrf_from


@pytest.fixture
def recipe(app: Any) -> Any:
    product = factories.ProductFactory(name="Hyaluronidase 5 mL", volume_ul=5000, container="multi_dose")
    make_vials(product, 2)
    return make_recipe([(product, 1000)], name="Dissolver", indication="skin")


def _batch(api: Any, recipe_id: int, **extra: Any) -> Any:
    body = {"recipe_id": recipe_id, "syringes": 2, "category": "category_1", "storage": "fridge", **extra}
    return api.post("/api/v1/batches", json=body)


def test_cold_01_the_syringes_go_into_the_unit_chosen_recorded_and_audited(
    api_as: Any, db: Any, recipe: Any, fridge: StorageUnit
) -> None:
    other = factories.StorageUnitFactory(name="Fridge 2", kind="fridge", min_dc=20, max_dc=80)
    api = api_as("nurse")
    response = _batch(api, recipe.id, storage_unit_id=other.id)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [s["storage_unit_id"] for s in body["syringes"]] == [other.id, other.id]
    moves = db.session.scalars(select(StorageMove).order_by(StorageMove.id)).all()
    assert [(m.item_type, m.from_unit_id, m.to_unit_id, m.moved_by_id) for m in moves] == [
        ("syringe", None, other.id, api.user.id)
    ] * 2
    assert {m.syringe_id for m in moves} == {s["id"] for s in body["syringes"]}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "batch_prepared"))
    assert entry.details["storage_unit_id"] == other.id


def test_cold_01_without_a_choice_the_only_unit_of_the_batch_storage_is_used(
    api_as: Any, db: Any, recipe: Any, fridge: StorageUnit, room: StorageUnit
) -> None:
    body = _batch(api_as("nurse"), recipe.id).get_json()
    assert {s["storage_unit_id"] for s in body["syringes"]} == {fridge.id}
    room_batch = _batch(api_as("nurse"), recipe.id, syringes=1, storage="room").get_json()
    assert {s["storage_unit_id"] for s in room_batch["syringes"]} == {room.id}


def test_cold_01_with_two_fridges_and_no_choice_nothing_is_guessed(
    api_as: Any, db: Any, recipe: Any, fridge: StorageUnit
) -> None:
    factories.StorageUnitFactory(name="Fridge 2", kind="fridge", min_dc=20, max_dc=80)
    body = _batch(api_as("nurse"), recipe.id).get_json()
    assert {s["storage_unit_id"] for s in body["syringes"]} == {None}
    assert db.session.scalar(select(StorageMove)) is None


@pytest.mark.parametrize("which", ["unknown", "inactive", "too_warm"])
def test_cold_01_a_unit_that_cannot_take_the_syringes_is_refused_before_drawing(
    api_as: Any, db: Any, recipe: Any, fridge: StorageUnit, room: StorageUnit, which: str
) -> None:
    unit_id = {"unknown": 424242, "too_warm": room.id}.get(which)
    if which == "inactive":
        fridge.active = False
        db.session.commit()
        unit_id = fridge.id
    response = _batch(api_as("nurse"), recipe.id, storage_unit_id=unit_id)
    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert "storage_unit_id" in error["fields"]
    assert error["code"] == ("storage_unit_too_warm" if which == "too_warm" else "invalid_input")
    assert db.session.scalar(select(Batch)) is None
    assert {v.remaining_ul for v in db.session.scalars(select(Vial))} == {5000}, "nothing drawn"


def test_cold_01_a_room_batch_may_go_into_a_fridge(
    api_as: Any, recipe: Any, fridge: StorageUnit, room: StorageUnit
) -> None:
    body = _batch(api_as("nurse"), recipe.id, storage="room", storage_unit_id=fridge.id).get_json()
    assert {s["storage_unit_id"] for s in body["syringes"]} == {fridge.id}


def test_safe_16_syringes_made_into_a_unit_during_its_excursion_are_held_at_once(
    api_as: Any, db: Any, recipe: Any, fridge: StorageUnit
) -> None:
    nurse = api_as("nurse")
    opened = nurse.post(
        f"/api/v1/storage-units/{fridge.id}/readings",
        json={"temperature_c": 10.5, "at": (NOW - timedelta(minutes=5)).isoformat()},
    ).get_json()
    body = _batch(nurse, recipe.id, storage_unit_id=fridge.id).get_json()
    assert {s["blocked_reason"] for s in body["syringes"]} == {"temperature_hold"}
    held = db.session.scalars(select(ExcursionHold).where(ExcursionHold.batch_id == body["id"])).all()
    assert {h.excursion_id for h in held} == {opened["excursion_id"]}
    assert len(held) == 2
    excursion = api_as("manager").get(f"/api/v1/excursions/{opened['excursion_id']}").get_json()
    assert excursion["batches"] == [{"batch_id": body["id"], "decision": None, "reason": None}]


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    assert match, f"no field {name}"
    return match.group(1)


def test_cold_01_the_preparation_page_proposes_the_unit_and_puts_the_syringes_there(
    client: FlaskClient, login_as: Any, db: Any, recipe: Any, fridge: StorageUnit, room: StorageUnit
) -> None:
    login_as("nurse")
    html = client.get(f"/compounding/batches/new?recipe_id={recipe.id}").get_data(as_text=True)
    fields = {
        "recipe_id": str(recipe.id),
        "syringes": "2",
        "category": "category_1",
        "storage": "fridge",
        "patient_id": "0",
    }
    proposal = client.post(
        "/compounding/batches/new", data={"csrf_token": csrf_from(html), "action": "propose", **fields}
    ).get_data(as_text=True)
    assert re.search(
        rf'<option selected value="{fridge.id}">|<option value="{fridge.id}" selected', proposal
    ), "the only fridge is proposed"
    step_two = {
        **fields,
        "csrf_token": csrf_from(proposal),
        "prepared_at": _hidden(proposal, "prepared_at"),
        "vial_ids": _hidden(proposal, "vial_ids"),
        "override_reason": "",
    }
    too_warm = client.post(
        "/compounding/batches/new", data={**step_two, "storage_unit_id": str(room.id), "action": "confirm"}
    )
    assert too_warm.status_code == 200
    assert "warmer than the batch&#39;s storage" in too_warm.get_data(as_text=True)
    assert db.session.scalar(select(Batch)) is None
    done = client.post(
        "/compounding/batches/new", data={**step_two, "storage_unit_id": str(fridge.id), "action": "confirm"}
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    assert {s.storage_unit_id for s in db.session.scalars(select(Syringe))} == {fridge.id}
