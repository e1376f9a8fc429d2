"""Demo and real installs apart (issue 14 §1): the demo mark, generated demo passwords, `flask setup`
and the first-run page."""

from __future__ import annotations

from inventory.demo import catalogue as demo_catalogue
from inventory.models import AuditEntry, Product, User
from tests import factories
from tests.conftest import _empty_all_tables, login
from tests.support import csrf_from

MARK = "Demo data: not for patients"


def test_install_01_demo_passwords_are_generated_and_differ_between_installs(app, db):
    first = demo_catalogue.load()
    _empty_all_tables()  # another install
    second = demo_catalogue.load()
    assert set(first) == set(second) == {"nurse", "practitioner", "manager", "admin"}
    assert not set(first.values()) & set(second.values())
    assert len(set(first.values())) == 4


def test_install_02_every_page_of_a_demo_install_carries_the_mark(app, db, client):
    factories.UserFactory(username="ayse", roles=("nurse",))
    assert MARK not in client.get("/login").get_data(as_text=True)
    factories.ProductFactory(is_demo=True)
    db.session.commit()
    assert MARK in client.get("/login").get_data(as_text=True)
    login(client, "ayse")
    assert MARK in client.get("/stock/vials").get_data(as_text=True)


def test_install_03_flask_setup_creates_the_first_admin_without_demo_data(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["setup", "--username", "Zeynep", "--name", "Zeynep Ak", "--password-stdin"],
        input="our own long passphrase\n",
    )
    assert result.exit_code == 0, result.output
    admin = db.session.scalars(db.select(User)).one()
    assert (admin.username, sorted(admin.roles), admin.must_change_password) == ("zeynep", ["admin"], False)
    assert db.session.scalar(db.select(db.func.count(Product.id))) == 0
    assert login(app.test_client(), "zeynep", "our own long passphrase").status_code == 302
    again = runner.invoke(args=["setup", "--username", "x", "--password", "another long one"])
    assert again.exit_code != 0
    assert "already has users" in again.output
    demo = runner.invoke(args=["demo", "load"])
    assert "already has users" in demo.output
    assert db.session.scalar(db.select(db.func.count(Product.id))) == 0


def test_install_04_setup_refuses_a_common_password(app):
    result = app.test_cli_runner().invoke(args=["setup", "--username", "boss", "--password", "password123"])
    assert result.exit_code != 0
    assert "common" in result.output


def test_install_05_first_run_page_only_while_no_user_exists(app, db, client):
    login_page = client.get("/login").get_data(as_text=True)
    assert "Set up the pharmacy" in login_page
    page = client.get("/setup").get_data(as_text=True)
    form = {
        "display_name": "Zeynep Ak",
        "username": "zeynep",
        "new_password": "our own long passphrase",
        "confirm": "our own long passphrase",
        "csrf_token": csrf_from(page),
    }
    mismatch = client.post("/setup", data={**form, "confirm": "something else entirely"})
    assert "The two passwords differ." in mismatch.get_data(as_text=True)
    response = client.post("/setup", data=form)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/users")
    assert client.get("/admin/users").status_code == 200  # signed in as the new admin
    assert db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "first_admin_created")).one()
    other = app.test_client()
    assert other.get("/setup").headers["Location"].endswith("/login")
    assert "Set up the pharmacy" not in other.get("/login").get_data(as_text=True)
    assert other.post("/setup", data=form).status_code in {400, 409}
