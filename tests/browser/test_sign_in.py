"""A person signs in through the real login page in a real browser."""

from __future__ import annotations

import pytest

from tests import factories
from tests.support import TEST_PASSWORD, focused

pytestmark = pytest.mark.browser


def test_nurse_signs_in_and_sees_her_menu(page, live_server):
    factories.UserFactory(username="ayse", display_name="Ayşe Yılmaz", roles=("nurse",))
    page.goto(f"{live_server.url}/products/")
    assert "/login" in page.url
    assert focused(page) == "username"
    page.fill("input[name=username]", "ayse")
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/products/")
    assert "Welcome, Ayşe Yılmaz." in page.content()
    assert page.locator("a", has_text="Audit").count() == 0


def test_wrong_password_says_so_in_the_browser(page, live_server):
    factories.UserFactory(username="ayse")
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", "ayse")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator(".flash-error").inner_text() == "Wrong username or password."
