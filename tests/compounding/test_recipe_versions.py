"""Versioned recipes (SAFE-10, api.md 1.1 "Records"): an edit makes a new version, and a batch keeps
the version it was made from: its components, label text, scan verdict and trace."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from inventory.models import Batch, RecipeComponent, RecipeVersion
from inventory.rules.recipes import Change, ChangeKind, RecipeSpec, recipe_changes
from inventory.services import printing
from tests import factories
from tests.support import csrf_from


def _released_batch(api_as: Any, recipe_id: int) -> dict[str, Any]:
    nurse = api_as("nurse")
    made = nurse.post(
        "/api/v1/batches",
        json={"recipe_id": recipe_id, "syringes": 1, "category": "category_1", "storage": "room"},
    )
    assert made.status_code == 201, made.get_json()
    body: dict[str, Any] = made.get_json()
    checker = api_as("nurse")
    drawn = sorted({draw["vial_code"] for draw in body["draws"]})
    verified = checker.post(f"/api/v1/batches/{body['id']}/verify", json={"volume_ml": 3, "vials": drawn})
    assert verified.status_code == 200, verified.get_json()
    return body


def test_safe_10_recipe_edit_after_a_batch_leaves_its_scan_label_and_trace(
    api_as: Any, hair: dict[str, Any], db: Any
) -> None:
    recipe = hair["recipe"]
    batch = _released_batch(api_as, recipe.id)
    assert batch["recipe_version"] == 1
    enzyme = factories.ProductFactory(name="Hyaluronidase 1 mL", category="enzyme", biological=True)

    doctor = api_as("practitioner")
    edited = doctor.patch(
        f"/api/v1/recipes/{recipe.id}",
        json={
            "name": "Hair cocktail forte",
            "route": "subcutaneous",
            "components": [
                {"product_id": hair["dex"].id, "volume_ml": 1.5},
                {"product_id": enzyme.id, "volume_ml": 0.5},
            ],
        },
    )
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["version"] == 2
    assert [v["version"] for v in edited.get_json()["versions"]] == [1, 2]

    kept = doctor.get(f"/api/v1/batches/{batch['id']}").get_json()
    assert kept["recipe_version"] == 1
    assert kept["recipe_name"] == "Hair cocktail"
    assert kept["route"] == "intradermal"
    assert [(c["product_id"], c["volume_ml"]) for c in kept["components"]] == [
        (hair["dex"].id, 1),
        (hair["silicon"].id, 2),
    ]

    # The label a reprint would carry.
    label = printing.syringe_labels(db.session.get(Batch, batch["id"]))[0]
    assert label.recipe_name == "Hair cocktail"
    assert "intradermal" in label.route.lower()
    # LBL-01: the names labels print (no pack size), from what was drawn, not from the edited recipe
    printed = [hair["dex"].printed_name, hair["silicon"].printed_name]
    assert [part.name for part in label.ingredients] == printed

    # The scan: no missing_lot for the enzyme the old batch never had.
    patient = factories.PatientFactory()
    session = doctor.post(
        "/api/v1/sessions", json={"patient_id": patient.id, "indication": "hair"}
    ).get_json()
    scan = doctor.post(f"/api/v1/sessions/{session['id']}/scans", json={"code": batch["syringes"][0]["code"]})
    assert scan.status_code == 201, scan.get_json()
    assert scan.get_json()["verdict"] == "ok"

    # The trace.
    manager = api_as("manager")
    traced = manager.get(f"/api/v1/trace/batches/{batch['id']}").get_json()
    assert traced["batch"]["recipe"] == "Hair cocktail"


def test_safe_10_a_new_batch_takes_the_new_version(api_as: Any, hair: dict[str, Any]) -> None:
    recipe = hair["recipe"]
    doctor = api_as("practitioner")
    assert doctor.patch(f"/api/v1/recipes/{recipe.id}", json={"storage": "fridge"}).get_json()["version"] == 2
    made = api_as("nurse").post(
        "/api/v1/batches",
        json={"recipe_id": recipe.id, "syringes": 1, "category": "category_1", "storage": "fridge"},
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["recipe_version"] == 2


def test_safe_10_notes_and_in_use_change_without_a_new_version(api_as: Any, hair: dict[str, Any]) -> None:
    recipe = hair["recipe"]
    doctor = api_as("practitioner")
    body = doctor.patch(
        f"/api/v1/recipes/{recipe.id}", json={"notes": "Shake well", "active": True}
    ).get_json()
    assert body["version"] == 1
    assert body["notes"] == "Shake well"
    same = doctor.patch(
        f"/api/v1/recipes/{recipe.id}", json={"name": " Hair  cocktail ", "route": "intradermal"}
    )
    assert same.get_json()["version"] == 1


def test_safe_10_old_versions_are_never_edited_in_place(api_as: Any, hair: dict[str, Any], db: Any) -> None:
    recipe = hair["recipe"]
    first = db.session.scalar(select(RecipeVersion).where(RecipeVersion.recipe_id == recipe.id))
    before = [(c.product_id, c.volume_ul) for c in first.components]
    api = api_as("manager")
    api.patch(
        f"/api/v1/recipes/{recipe.id}", json={"components": [{"product_id": hair["dex"].id, "volume_ml": 4}]}
    )
    db.session.expire_all()
    again = db.session.get(RecipeVersion, first.id)
    assert (again.version, again.name) == (1, "Hair cocktail")
    assert [(c.product_id, c.volume_ul) for c in again.components] == before
    assert db.session.scalar(select(func.count()).select_from(RecipeComponent)) == 3


@pytest.mark.parametrize(
    "components",
    [
        [{"product_id": 1}],
        [{"volume_ml": 1}],
        [{}],
    ],
)
def test_patch_with_partial_components_is_422_not_500(
    api_as: Any, hair: dict[str, Any], components: list[dict[str, Any]]
) -> None:
    api = api_as("practitioner")
    response = api.patch(f"/api/v1/recipes/{hair['recipe'].id}", json={"components": components})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["fields"]
    assert api.get(f"/api/v1/recipes/{hair['recipe'].id}").get_json()["version"] == 1


def test_recipe_page_shows_versions_and_what_changed(
    client: Any, login_as: Any, hair: dict[str, Any], api_as: Any
) -> None:
    recipe = hair["recipe"]
    api_as("practitioner").patch(
        f"/api/v1/recipes/{recipe.id}",
        json={
            "name": "Hair cocktail forte",
            "components": [
                {"product_id": hair["dex"].id, "volume_ml": 1.5},
                {"product_id": hair["silicon"].id, "volume_ml": 2},
            ],
        },
    )
    login_as("nurse")
    html = client.get(f"/compounding/recipes/{recipe.id}").get_data(as_text=True)
    assert "Version 2" in html
    assert "Version 1" in html
    assert "Hair cocktail → Hair cocktail forte" in html
    assert f"{hair['dex'].name}: 1 mL → 1.5 mL" in html


def test_recipe_edit_form_saves_a_new_version(
    client: Any, login_as: Any, hair: dict[str, Any], db: Any
) -> None:
    recipe = hair["recipe"]
    login_as("practitioner")
    page = client.get(f"/compounding/recipes/{recipe.id}/edit")
    assert page.status_code == 200
    assert "This is version 1" in page.get_data(as_text=True)
    form = {
        "csrf_token": csrf_from(page.get_data(as_text=True)),
        "name": "Hair cocktail",
        "indication": "hair",
        "route": "intradermal",
        "storage": "room",
        "notes": "",
        "active": "y",
        "components-0-product_id": str(hair["dex"].id),
        "components-0-volume_ul": "1",
        "components-1-product_id": str(hair["silicon"].id),
        "components-1-volume_ul": "2,5",
        "components-2-product_id": "0",
        "components-2-volume_ul": "",
    }
    response = client.post(f"/compounding/recipes/{recipe.id}/edit", data=form, follow_redirects=True)
    assert response.status_code == 200
    assert "version 2" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(recipe), recipe.id).version == 2


def _spec(**changes: Any) -> RecipeSpec:
    values: dict[str, Any] = {
        "name": "Skin",
        "indication": "skin",
        "route": "intradermal",
        "storage": "room",
        "components": ((1, 1000), (2, 2000)),
    }
    return RecipeSpec(**{**values, **changes})


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (_spec(), []),
        (
            _spec(route="subcutaneous"),
            [Change(ChangeKind.FIELD, "route", None, "intradermal", "subcutaneous")],
        ),
        (_spec(components=((1, 1000), (2, 2500))), [Change(ChangeKind.VOLUME, None, 2, 2000, 2500)]),
        (
            _spec(components=((1, 1000), (3, 500))),
            [Change(ChangeKind.ADDED, None, 3, None, 500), Change(ChangeKind.REMOVED, None, 2, 2000, None)],
        ),
        (_spec(components=((2, 2000), (1, 1000))), [Change(ChangeKind.ORDER)]),
    ],
)
def test_safe_10_recipe_changes_list_every_difference(after: RecipeSpec, expected: list[Change]) -> None:
    assert recipe_changes(_spec(), after) == expected
