"""In Chromium: a nurse prepares a batch through the pages, a practitioner releases it, the labels
PDF downloads."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from inventory.models import Draw
from tests import factories
from tests.support import TEST_PASSWORD, focused


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.mark.browser
def test_safe_05_prepare_release_and_print_in_the_browser(
    browser: Any, live_server: Any, hair: dict[str, Any]
) -> None:
    factories.UserFactory(roles=("nurse",), username="bench-nurse")
    factories.UserFactory(roles=("practitioner",), username="second-person")
    recipe_id = hair["recipe"].id
    first_vial = hair["dex_vials"][0].code
    base = live_server.url
    factories.db.session.commit()  # SQLite: this thread keeps no write lock while the server works
    nurse_context = browser.new_context(accept_downloads=True)
    verifier_context = browser.new_context()
    try:
        nurse = nurse_context.new_page()
        _sign_in(nurse, base, "bench-nurse")
        nurse.goto(f"{base}/compounding/batches/new?recipe_id={recipe_id}")
        nurse.fill("input[name=syringes]", "2")
        nurse.select_option("select[name=category]", "category_1")
        nurse.click("button[value=propose]")
        assert first_vial in nurse.inner_text("table.draw-plan")
        nurse.click("button[value=confirm]")
        nurse.wait_for_url("**/compounding/batches/*")
        assert "You prepared this batch" in nurse.inner_text("#verify")
        batch_url = nurse.url
        code = nurse.inner_text("h1 code")

        verifier = verifier_context.new_page()
        _sign_in(verifier, base, "second-person")
        verifier.goto(f"{base}/compounding/verify")
        verifier.fill("#code", code)
        verifier.press("#code", "Enter")
        verifier.wait_for_url("**/compounding/batches/*/verify")
        # SAFE-15: the volume per syringe (3 mL) and the vials drawn are nowhere before a correct entry
        factories.db.session.expire_all()
        drawn = [draw.vial.code for draw in factories.db.session.scalars(select(Draw).order_by(Draw.id))]
        factories.db.session.rollback()  # SQLite: hold no lock while the server works
        assert drawn
        scanned: list[str] = []
        for _attempt in ("first look", "after a wrong entry"):
            shown = verifier.content()
            assert re.search(r"(?<![\d.,])3([.,]0+)?\s*mL", shown) is None, _attempt
            assert not [code for code in drawn if code in shown and code not in scanned], _attempt
            if _attempt == "first look":
                assert focused(verifier) == "vials"  # the scan field has focus
                verifier.keyboard.type(drawn[0] + "\n")  # a handheld scanner types the code and Enter
                scanned.append(drawn[0])
                verifier.fill("input[name=volume_ml]", "2,5")
                verifier.click("text=Verify and release")
                verifier.wait_for_selector(".flash-error")
                verifier.fill("textarea[name=vials]", "")
        verifier.focus("textarea[name=vials]")
        for code in drawn:
            verifier.keyboard.type(code + "\n")
        verifier.fill("input[name=volume_ml]", "3")
        verifier.click("text=Verify and release")
        verifier.wait_for_url(lambda url: not url.endswith("/verify"))
        verifier.wait_for_selector(".verdict.ok")

        nurse.goto(batch_url)
        nurse.click("text=Print labels")
        pdf_url = nurse.get_attribute("[data-testid=pdf-link]", "href")
        response = nurse.request.get(f"{base}{pdf_url}")
        assert response.status == 200
        assert response.body().startswith(b"%PDF")
    finally:
        nurse_context.close()
        verifier_context.close()
