"""The compounding pages, with CSRF on: recipes, preparing a batch, the two-person check."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from flask import g
from flask.testing import FlaskClient
from sqlalchemy import select

from inventory import clock
from inventory.models import AuditEntry, Batch, Recipe
from tests import factories
from tests.compounding.conftest import make_recipe, make_vials
from tests.conftest import login
from tests.support import csrf_from


def _text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    assert match, f"no hidden field {name}"
    return match.group(1)


def test_recipe_form_adds_a_component_row_without_javascript(
    login_as: Any, client: FlaskClient, db: Any
) -> None:
    products = [factories.ProductFactory(name=f"Vitamin {n} 5 mL") for n in "ABCD"]
    login_as("practitioner")
    page = client.get("/compounding/recipes/new")
    assert page.status_code == 200
    html = _text(page)
    assert html.count('name="components-') == 6  # 3 rows: product and volume
    data = {
        "csrf_token": csrf_from(html),
        "name": "Four vitamins",
        "indication": "skin",
        "route": "intradermal",
        "storage": "room",
        "active": "y",
        **{f"components-{i}-product_id": str(p.id) for i, p in enumerate(products[:3])},
        **{f"components-{i}-volume_ul": "0,5" for i in range(3)},
    }
    more = client.post("/compounding/recipes/new", data={**data, "add_component": "1"})
    assert more.status_code == 200
    assert 'name="components-3-product_id"' in _text(more)
    assert db.session.scalar(select(Recipe.id)) is None
    saved = client.post(
        "/compounding/recipes/new",
        data={**data, "components-3-product_id": str(products[3].id), "components-3-volume_ul": "1"},
    )
    assert saved.status_code == 302, _text(saved)
    recipe = db.session.scalar(select(Recipe))
    assert [(c.product_id, c.volume_ul) for c in recipe.components] == [
        (products[0].id, 500),
        (products[1].id, 500),
        (products[2].id, 500),
        (products[3].id, 1000),
    ]


def test_nurses_cannot_write_recipes(login_as: Any, client: FlaskClient) -> None:
    login_as("nurse")
    assert client.get("/compounding/recipes/new").status_code == 403
    assert client.get("/compounding/recipes").status_code == 200


def test_editing_a_recipe_keeps_batch_history_and_is_audited(
    login_as: Any, client: FlaskClient, api_as: Any, hair: dict[str, Any], db: Any
) -> None:
    recipe = hair["recipe"]
    batch = (
        api_as("nurse")
        .post(
            "/api/v1/batches",
            json={"recipe_id": recipe.id, "syringes": 1, "category": "category_1", "storage": "room"},
        )
        .get_json()
    )
    login_as("manager")
    html = _text(client.get(f"/compounding/recipes/{recipe.id}/edit"))
    response = client.post(
        f"/compounding/recipes/{recipe.id}/edit",
        data={
            "csrf_token": csrf_from(html),
            "name": "Hair cocktail v2",
            "indication": "hair",
            "route": "intradermal",
            "storage": "room",
            "active": "y",
            "components-0-product_id": str(hair["dex"].id),
            "components-0-volume_ul": "2",
        },
    )
    assert response.status_code == 302, _text(response)
    db.session.expire_all()
    assert db.session.get(Recipe, recipe.id).volume_ul == 2000
    kept = db.session.get(Batch, batch["id"])
    assert kept.volume_per_syringe_ul == 3000
    assert sorted(d.volume_ul for d in kept.draws) == [1000, 2000]
    assert (kept.recipe_version.version, kept.recipe_version.name) == (1, "Hair cocktail")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "recipe_updated"))
    assert set(entry.details["changed"]) == {"name", "components", "version"}
    assert entry.details["changed"]["version"] == [1, 2]


def _start(client: FlaskClient, recipe_id: int, **fields: str) -> str:
    html = _text(client.get(f"/compounding/batches/new?recipe_id={recipe_id}"))
    data = {
        "csrf_token": csrf_from(html),
        "recipe_id": str(recipe_id),
        "syringes": "2",
        "category": "category_1",
        "storage": "room",
        "patient_id": "0",
        "action": "propose",
        **fields,
    }
    response = client.post("/compounding/batches/new", data=data)
    assert response.status_code == 200
    return _text(response)


def _step_two(html: str, **override: str) -> dict[str, str]:
    data = {
        name: _hidden(html, name)
        for name in (
            "csrf_token",
            "recipe_id",
            "syringes",
            "category",
            "storage",
            "patient_id",
            "prepared_at",
            "vial_ids",
        )
    }
    data["override_reason"] = ""
    return {**data, **override}


def test_safe_04_the_page_proposes_fefo_and_confirming_draws_it(
    login_as: Any, client: FlaskClient, hair: dict[str, Any], db: Any
) -> None:
    login_as("nurse")
    html = _start(client, hair["recipe"].id)
    first_dex = hair["dex_vials"][0]
    assert first_dex.code in html
    assert "BUD" in html
    response = client.post("/compounding/batches/new", data=_step_two(html, action="confirm"))
    assert response.status_code == 302, _text(response)
    batch = db.session.scalar(select(Batch))
    page = _text(client.get(response.headers["Location"]))
    assert batch.code in page
    assert first_dex.code in page
    assert "You prepared this batch" in page


def test_bud_02_the_batch_starts_when_the_proposal_was_shown(
    login_as: Any, client: FlaskClient, hair: dict[str, Any], db: Any
) -> None:
    login_as("nurse")
    html = _start(client, hair["recipe"].id)
    shown_at = _hidden(html, "prepared_at")
    client.post("/compounding/batches/new", data=_step_two(html, action="confirm"))
    batch = db.session.scalar(select(Batch))
    assert batch.prepared_at == datetime.fromisoformat(shown_at).replace(microsecond=0)
    assert batch.bud - batch.prepared_at == timedelta(hours=12)


def test_safe_04_swapping_a_vial_by_scan_asks_for_a_reason(
    login_as: Any, client: FlaskClient, hair: dict[str, Any], db: Any
) -> None:
    later = make_vials(hair["dex"], expiry=clock.today() + timedelta(days=700))[0]
    login_as("nurse")
    html = _start(client, hair["recipe"].id)
    swapped = client.post(
        "/compounding/batches/new", data=_step_two(html, action="swap", scan=later.code.lower())
    )
    text = _text(swapped)
    assert "not the vials that expire first" in text
    refused = client.post("/compounding/batches/new", data=_step_two(text, action="confirm"))
    assert refused.status_code == 200
    assert "say why" in _text(refused)
    done = client.post(
        "/compounding/batches/new", data=_step_two(text, action="confirm", override_reason="Open box first")
    )
    assert done.status_code == 302
    batch = db.session.scalar(select(Batch))
    assert later.id in {d.vial_id for d in batch.draws}
    assert {d.override_reason for d in batch.draws} == {"Open box first"}


def test_safe_11_insufficient_stock_on_the_page_says_what_is_short(
    login_as: Any, client: FlaskClient, db: Any
) -> None:
    product = factories.ProductFactory(name="Biotin 1 mL", volume_ul=1000)
    make_vials(product)
    recipe = make_recipe([(product, 1000)])
    login_as("nurse")
    html = _start(client, recipe.id, syringes="3")
    assert "Biotin 1 mL" in html
    assert "Not enough usable stock" in html


def test_safe_05_a_second_person_releases_the_batch_on_the_page(
    client: FlaskClient, app: Any, hair: dict[str, Any], db: Any
) -> None:
    preparer = factories.UserFactory(roles=("nurse",), username="preparer")
    verifier = factories.UserFactory(roles=("practitioner",), username="verifier")
    assert login(client, preparer.username).status_code == 302
    html = _start(client, hair["recipe"].id)
    client.post("/compounding/batches/new", data=_step_two(html, action="confirm"))
    batch = db.session.scalar(select(Batch))
    batch_id, scans = batch.id, "\r\n".join(draw.vial.code for draw in batch.draws)
    own = client.post(
        f"/compounding/batches/{batch_id}/verify",
        data={"csrf_token": csrf_from(html), "volume_ml": "3", "vials": scans},
    )
    assert own.status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(html)})
    other = app.test_client()
    g.pop(
        "csrf_token", None
    )  # the tests share one app context: Flask-WTF caches the first client's token in g
    signed_in = login(other, verifier.username)
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
    verify_page = _text(
        other.get(
            "/compounding/verify?code=" + db.session.get(Batch, batch_id).code.lower(), follow_redirects=True
        )
    )
    assert "Verify and release" in verify_page
    token = csrf_from(verify_page)
    wrong = other.post(
        f"/compounding/batches/{batch_id}/verify",
        data={"csrf_token": token, "volume_ml": "2,5", "vials": scans},
    )
    assert wrong.status_code == 422
    assert "does not match" in _text(wrong)
    right = other.post(
        f"/compounding/batches/{batch_id}/verify",
        data={"csrf_token": token, "volume_ml": "3", "vials": scans.lower()},
    )
    assert right.status_code == 302
    db.session.expire_all()
    assert db.session.get(Batch, batch_id).status == "released"


def test_batch_list_and_pages_render(
    login_as: Any, client: FlaskClient, api_as: Any, hair: dict[str, Any]
) -> None:
    batch = (
        api_as("nurse")
        .post(
            "/api/v1/batches",
            json={
                "recipe_id": hair["recipe"].id,
                "syringes": 1,
                "category": "category_1",
                "storage": "fridge",
            },
        )
        .get_json()
    )
    login_as("nurse")
    assert batch["code"] in _text(client.get("/compounding/batches"))
    assert batch["code"] in _text(client.get("/compounding/batches?status=awaiting_verification"))
    page = _text(client.get(f"/compounding/batches/{batch['id']}"))
    assert batch["syringes"][0]["code"] in page
    assert _text(client.get(f"/compounding/recipes/{hair['recipe'].id}")).count("Hair cocktail") >= 1
