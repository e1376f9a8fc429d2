"""First-run setup and the account page in Debian's Chromium (issue 14, done when)."""

from __future__ import annotations

import pytest

from inventory.extensions import db
from inventory.models import User
from tests import factories
from tests.support import focused

pytestmark = pytest.mark.browser

PASSPHRASE = "our own long passphrase"


def test_first_run_setup_then_an_admin_creates_and_deactivates_an_account(page, live_server, app):
    base = live_server.url
    page.goto(f"{base}/login")
    page.click("text=Set up the pharmacy")
    page.wait_for_url(f"{base}/setup")
    assert focused(page) == "display_name"
    page.fill("input[name=display_name]", "Zeynep Ak")
    page.fill("input[name=username]", "zeynep")
    page.fill("input[name=new_password]", "password1")
    page.fill("input[name=confirm]", "password1")
    page.click("button[type=submit]")
    assert "common or breached" in page.content()  # refused, what was typed kept
    assert page.input_value("input[name=username]") == "zeynep"
    page.fill("input[name=new_password]", PASSPHRASE)
    page.fill("input[name=confirm]", PASSPHRASE)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/users")
    assert "The pharmacy is set up" in page.content()
    assert "Demo data" not in page.content()

    page.fill("input[name=username]", "hande")
    page.fill("input[name=display_name]", "Hande Kaya")
    page.check("input[name=roles][value=nurse]")
    page.fill("input[name=password]", "a first pass for the new nurse")
    page.click("button:has-text('Create the account')")
    page.wait_for_url(f"{base}/admin/users")
    assert page.locator("tr:has-text('hande')").inner_text().count("Must choose a new password") == 1
    page.click("a:has-text('hande')")
    page.click("button:has-text('Deactivate and sign out everywhere')")
    assert "hande is deactivated and signed out everywhere." in page.content()
    assert page.locator("button:has-text('Reactivate')").is_visible()


def test_account_page_reset_password_must_be_changed_at_next_sign_in(page, live_server, app):
    factories.UserFactory(username="ayse", display_name="Ayşe Yılmaz", roles=("nurse",))
    db.session.commit()
    base = live_server.url
    app.test_cli_runner().invoke(args=["users", "set-password", "ayse", "--password", "given by the admin"])
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "ayse")
    page.fill("input[name=password]", "given by the admin")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/account")
    assert "An administrator set your password" in page.content()
    page.goto(f"{base}/stock/vials")
    page.wait_for_url(f"{base}/account")  # nothing else until a new password is chosen
    page.fill("input[name=current_password]", "given by the admin")
    page.fill("input[name=new_password]", PASSPHRASE)
    page.fill("input[name=confirm]", PASSPHRASE)
    page.click("button:has-text('Change password')")
    assert "Your password is changed" in page.content()
    page.goto(f"{base}/stock/vials")
    page.wait_for_url(f"{base}/stock/vials")
    db.session.expire_all()
    assert not db.session.scalars(db.select(User).where(User.username == "ayse")).one().must_change_password
