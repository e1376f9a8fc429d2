"""Products' label_name (api.md "Bench"): what labels print, by default the name without a trailing
pack size, so that a pack size never stands next to the amount drawn (LBL-01)."""

from __future__ import annotations

from typing import Any

import pypdfium2 as pdfium
import pytest

from inventory.models import Product
from inventory.rules.labelling import default_label_name, has_two_bare_volumes
from tests import factories
from tests.api.test_products import LIDOCAINE
from tests.compounding.conftest import make_recipe, make_vials
from tests.labels.conftest import page_text
from tests.support import csrf_from
from tests.web.test_product_pages import FORM


@pytest.mark.parametrize(
    ("name", "printed"),
    [
        ("Vitamin C 100 mg/mL 5 mL", "Vitamin C 100 mg/mL"),
        ("Non-crosslinked hyaluronic acid 1% 2 mL", "Non-crosslinked hyaluronic acid 1%"),
        ("Lidocaine HCl 2% 20 mL", "Lidocaine HCl 2%"),
        ("Sodium chloride 0.9% 10ml", "Sodium chloride 0.9%"),
        ("Saline 0,9 % 2,5 mL", "Saline 0,9 %"),
        ("Caffeine 5 mL vial", "Caffeine"),
        (
            "Phosphatidylcholine/deoxycholate 250 mg/5 mL (off-label)",
            "Phosphatidylcholine/deoxycholate 250 mg/5 mL (off-label)",
        ),
        ("Dexpanthenol 250 mg/5 mL", "Dexpanthenol 250 mg/5 mL"),
        ("Hyaluronidase 150 U/mL", "Hyaluronidase 150 U/mL"),
        ("5 mL", "5 mL"),
    ],
)
def test_lbl_01_default_label_name_drops_a_trailing_pack_size(name: str, printed: str) -> None:
    assert default_label_name(name) == printed


@pytest.mark.parametrize(
    ("text", "two"),
    [
        ("Vitamin C 100 mg/mL 5 mL 1 mL", True),
        ("hyaluronic acid 1% 2 mL 2 mL", True),
        ("Vitamin C (100 mg/mL): 1 mL", False),
        ("Total 1.7 mL · Route ID", False),
        ("Dexpanthenol 250 mg/5 mL 1 mL", True),
    ],
)
def test_ismp_two_bare_volumes_in_a_row(text: str, two: bool) -> None:
    assert has_two_bare_volumes(text) is two


def test_api_label_name_defaults_then_follows_what_the_manager_types(api_as: Any) -> None:
    api = api_as("manager")
    created = api.post("/api/v1/products", json=LIDOCAINE).get_json()
    assert created["label_name"] == "Lidocaine HCl 2%"

    patched = api.patch(f"/api/v1/products/{created['id']}", json={"label_name": " Lidocaine  2 % "})
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["label_name"] == "Lidocaine 2 %"
    back = api.patch(f"/api/v1/products/{created['id']}", json={"label_name": ""}).get_json()
    assert back["label_name"] == "Lidocaine HCl 2%"
    assert (
        api.post(
            "/api/v1/products", json={**LIDOCAINE, "gtin": None, "name": "X", "label_name": "y" * 201}
        ).status_code
        == 422
    )


def test_product_form_saves_the_name_on_labels(client: Any, login_as: Any, db: Any) -> None:
    login_as("manager")
    page = client.get("/products/new")
    assert "Name on labels" in page.text
    client.post("/products/new", data={**FORM, "label_name": "Biotin", "csrf_token": csrf_from(page.text)})
    product = db.session.scalars(db.select(Product)).one()
    assert product.printed_name == "Biotin"
    assert "Biotin" in client.get(f"/products/{product.id}").text


def test_lbl_01_a_batch_label_prints_the_label_name_strength_and_amount_never_the_pack(
    api_as: Any, app: Any
) -> None:
    vitamin = factories.ProductFactory(name="Vitamin C 100 mg/mL 5 mL", strength="100 mg/mL", volume_ul=5000)
    gel = factories.ProductFactory(name="Hyaluronic acid 1% 2 mL", strength="10 mg/mL", volume_ul=2000)
    gel.label_name = "Hyaluronic acid 1%"
    for product in (vitamin, gel):
        make_vials(product, 3)
    recipe = make_recipe([(vitamin, 1000), (gel, 2000)], name="Skin cocktail")
    api = api_as("nurse")
    batch = api.post(
        "/api/v1/batches",
        json={"recipe_id": recipe.id, "syringes": 2, "category": "category_1", "storage": "room"},
    ).get_json()

    pdf = api.get(f"/labels/batches/{batch['id']}.pdf?layout=roll-50x25").data
    document = pdfium.PdfDocument(pdf)
    try:
        text = " ".join(page_text(page) for page in document)
    finally:
        document.close()
    assert "Vitamin C (100 mg/mL): 1 mL" in text
    assert "Hyaluronic acid 1% (10 mg/mL): 2 mL" in text
    assert "5 mL 1 mL" not in text
    assert "2 mL 2 mL" not in text
    assert not has_two_bare_volumes(text)
