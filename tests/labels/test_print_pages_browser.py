"""In a real browser: after a receipt the nurse prints the vial labels from the same tab; the batch
print page shows pictures of the real labels and says a refusal on the page, not in a new tab."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from inventory.models import Batch, VialLabelPrint
from tests import factories
from tests.compounding.conftest import make_recipe, make_vials
from tests.support import TEST_PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page: Any, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def test_lbl_03_after_a_receipt_the_nurse_prints_one_label_per_vial(
    page: Any, live_server: Any, db: Any
) -> None:
    product = factories.ProductFactory(
        name="Lidocaine HCl 2% 20 mL", container="multi_dose", volume_ul=20_000
    )
    factories.UserFactory(username="ayse", roles=("nurse",))
    product_id = product.id
    db.session.rollback()  # leave SQLite's write lock to the server
    _sign_in(page, live_server.url, "ayse")
    page.goto(f"{live_server.url}/stock/receive/manual")
    page.select_option("select[name=product_id]", str(product_id))
    page.fill("input[name=lot]", "LIDO-77")
    page.fill("input[name=expiry]", "2029-03-31")
    page.fill("input[name=vials]", "2")
    page.click("button[type=submit].big")
    page.wait_for_selector("[data-testid=vial-labels]")

    page.select_option("[data-testid=vial-labels] select[name=layout]", "a4-l7163")
    with page.expect_response(lambda r: "/labels/receipts/" in r.url) as answer:
        page.click("[data-testid=print-vial-labels]")
    response = answer.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert len(page.context.pages) == 1  # the same tab: no new tab to lose
    rows = db.session.execute(select(VialLabelPrint.layout, VialLabelPrint.reprint)).all()
    assert [tuple(row) for row in rows] == [("a4-l7163", False)] * 2


def test_lbl_02_print_page_shows_the_real_labels_and_refusals_in_plain_words(
    page: Any, live_server: Any, app: Any, db: Any, api_as: Any
) -> None:
    products = [factories.ProductFactory(name=f"Extract number {i} 5 mL") for i in range(6)]
    for product in products:
        make_vials(product)
    recipe = make_recipe([(p, 500) for p in products], name="Cellulite cocktail")
    batch = (
        api_as("nurse")
        .post(
            "/api/v1/batches",
            json={"recipe_id": recipe.id, "syringes": 2, "category": "category_1", "storage": "fridge"},
        )
        .get_json()
    )
    factories.UserFactory(username="elif", roles=("nurse",))
    db.session.rollback()
    _sign_in(page, live_server.url, "elif")

    page.goto(f"{live_server.url}/labels/batches/{batch['id']}?layout=roll-50x25")
    pictures = page.locator("[data-testid=label-preview] img")
    parts = pictures.count()
    assert parts >= 2  # the 6-ingredient cocktail continues on more 50x25 labels instead of a refusal
    assert f"each syringe gets {parts} labels" in page.inner_text("main")
    assert all(
        page.evaluate("img => img.naturalWidth > 400", handle) for handle in pictures.element_handles()
    )
    assert page.get_attribute("[data-testid=pdf-link]", "target") is None

    db.session.get(Batch, batch["id"]).status = "quarantined"
    db.session.commit()
    db.session.rollback()
    page.goto(f"{live_server.url}/labels/batches/{batch['id']}")
    assert "is quarantined" in page.inner_text("[data-testid=label-refusal]")
    assert page.locator("[data-testid=pdf-link]").count() == 0
