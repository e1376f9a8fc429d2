"""Accounts managed in the app (issue 14 §2): create, roles, deactivate, unlock, reset; sessions and
tokens that end; NIST 800-63B password rules."""

from __future__ import annotations

import pytest

from inventory.models import AuditEntry, LoginThrottle, User
from inventory.rules.passwords import PasswordProblem, password_problem
from tests import factories
from tests.conftest import login
from tests.support import TEST_PASSWORD, csrf_from

NEW = "a fresh long passphrase"


def _token(client, username, password=TEST_PASSWORD):
    return client.post("/api/v1/tokens", json={"username": username, "password": password})


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _actions(db, action):
    return db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)).all()


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", PasswordProblem.TOO_SHORT),
        ("password1", PasswordProblem.COMMON),
        ("iloveyou", PasswordProblem.COMMON),
        ("Password123!", PasswordProblem.COMMON),
        ("qwertyuiop", PasswordProblem.COMMON),
        ("ayse-yilmaz-2026", PasswordProblem.CONTAINS_USERNAME),
        ("x" * 201, PasswordProblem.TOO_LONG),
        ("no digits no symbols just long", None),  # no composition rules
        ("şifrem çok uzun ve güzel", None),
    ],
)
def test_nist_password_rules(password, problem):
    assert password_problem(password, username="ayse-yilmaz") == problem


def test_admin_creates_a_user_who_must_choose_a_password_at_first_sign_in(app, db, api_as, client):
    admin = api_as("admin")
    response = admin.post(
        "/api/v1/users", json={"username": "Elif", "roles": ["practitioner"], "password": "first-pass-word"}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["username"], body["roles"], body["active"], body["must_change_password"]) == (
        "elif",
        ["practitioner"],
        True,
        True,
    )
    assert [u["username"] for u in admin.get("/api/v1/users").get_json()["items"]].count("elif") == 1
    created = _token(client, "elif", "first-pass-word")
    assert created.status_code == 201
    assert created.get_json()["must_change_password"] is True
    token = created.get_json()["token"]
    blocked = client.get("/api/v1/products", headers=_bearer(token))
    assert blocked.status_code == 403
    assert blocked.get_json()["error"]["code"] == "password_change_required"
    # The token may still say whose it is: a scanner shows why it is refused.
    own = client.get("/api/v1/tokens/current", headers=_bearer(token))
    assert own.status_code == 200
    assert own.get_json()["must_change_password"] is True
    changed = client.post(
        "/api/v1/account/password", json={"current": "first-pass-word", "new": NEW}, headers=_bearer(token)
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["must_change_password"] is False
    assert client.get("/api/v1/products", headers=_bearer(token)).status_code == 200
    assert _actions(db, "user_created")
    assert _actions(db, "password_changed")


def test_user_api_refuses_a_common_password_and_other_roles(api_as):
    admin = api_as("admin")
    weak = admin.post("/api/v1/users", json={"username": "x1", "roles": ["nurse"], "password": "password1"})
    assert weak.status_code == 422
    assert weak.get_json()["error"]["code"] == "weak_password"
    assert "common" in weak.get_json()["error"]["fields"]["password"]
    manager = api_as("manager")
    assert manager.get("/api/v1/users").status_code == 403
    assert manager.patch(f"/api/v1/users/{manager.user.id}", json={"roles": ["admin"]}).status_code == 403


def test_deactivation_stops_tokens_and_sessions_at_once(app, db, api_as, client):
    admin = api_as("admin")
    nurse = factories.UserFactory(username="nurse-a", roles=("nurse",))
    token = _token(app.test_client(), "nurse-a").get_json()["token"]
    assert login(client, "nurse-a").status_code == 302
    assert client.get("/stock/vials").status_code == 200
    response = admin.patch(f"/api/v1/users/{nurse.id}", json={"active": False})
    assert response.status_code == 200
    assert response.get_json()["active"] is False
    assert app.test_client().get("/api/v1/products", headers=_bearer(token)).status_code == 401
    assert client.get("/stock/vials").status_code == 302  # back to sign-in
    entry = _actions(db, "user_deactivated")[0]
    assert entry.details["changed"] == {"active": [True, False]}
    assert _token(app.test_client(), "nurse-a").status_code == 401


def test_roles_are_edited_with_before_and_after_in_the_audit_trail(db, api_as):
    admin = api_as("admin")
    nurse = factories.UserFactory(username="nurse-b", roles=("nurse",))
    response = admin.patch(f"/api/v1/users/{nurse.id}", json={"roles": ["nurse", "manager"]})
    assert response.get_json()["roles"] == ["manager", "nurse"]
    assert _actions(db, "user_updated")[0].details["changed"] == {"roles": [["nurse"], ["manager", "nurse"]]}
    empty = admin.patch(f"/api/v1/users/{nurse.id}", json={"roles": []})
    assert empty.status_code == 422


def test_the_last_active_admin_cannot_be_deactivated(api_as):
    admin = api_as("admin")
    response = admin.patch(f"/api/v1/users/{admin.user.id}", json={"active": False})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "last_admin"


def test_unlock_lifts_the_lock_at_once(app, db, api_as, client):
    factories.UserFactory(username="locked-nurse", roles=("nurse",))
    for _ in range(5):
        login(client, "locked-nurse", "wrong-password")
    assert "Too many failed sign-ins" in login(client, "locked-nurse").get_data(as_text=True)
    admin = api_as("admin")
    person = db.session.scalars(db.select(User).where(User.username == "locked-nurse")).one()
    listed = next(u for u in admin.get("/api/v1/users").get_json()["items"] if u["id"] == person.id)
    assert listed["locked_until"] is not None
    response = admin.post(f"/api/v1/users/{person.id}/unlock")
    assert response.status_code == 200
    assert response.get_json()["locked_until"] is None
    assert db.session.get(LoginThrottle, "locked-nurse").locked_until is None
    assert login(client, "locked-nurse").status_code == 302
    assert _actions(db, "user_unlocked")


def test_reset_password_ends_sessions_and_the_user_must_change_it(app, db, api_as, client):
    person = factories.UserFactory(username="nurse-c", roles=("nurse",))
    old_token = _token(app.test_client(), "nurse-c").get_json()["token"]
    admin = api_as("admin")
    response = admin.post(f"/api/v1/users/{person.id}/password", json={"password": "given-by-admin-1"})
    assert response.status_code == 200
    assert response.get_json()["must_change_password"] is True
    assert app.test_client().get("/api/v1/products", headers=_bearer(old_token)).status_code == 401
    assert _actions(db, "password_reset")
    # On the pages: signed in, sent to choose a new password before anything else.
    signed_in = login(client, "nurse-c", "given-by-admin-1")
    assert signed_in.headers["Location"].endswith("/account")
    assert client.get("/stock/vials").headers["Location"].endswith("/account")
    page = client.get("/account").get_data(as_text=True)
    assert "An administrator set your password" in page
    done = client.post(
        "/account",
        data={
            "current_password": "given-by-admin-1",
            "new_password": NEW,
            "confirm": NEW,
            "csrf_token": csrf_from(page),
        },
    )
    assert done.status_code == 302
    assert client.get("/stock/vials").status_code == 200


def test_sign_out_ends_a_copied_session_cookie_and_the_users_tokens(app, client):
    factories.UserFactory(username="nurse-d", roles=("nurse",))
    token = _token(app.test_client(), "nurse-d").get_json()["token"]
    assert login(client, "nurse-d").status_code == 302
    copied = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/stock/vials").status_code == 200
    page = client.get("/account").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert thief.get("/stock/vials").status_code == 302
    assert app.test_client().get("/api/v1/products", headers=_bearer(token)).status_code == 401


def test_own_password_change_ends_other_sessions_and_tokens_but_not_this_one(app, client):
    factories.UserFactory(username="nurse-e", roles=("nurse",))
    other_token = _token(app.test_client(), "nurse-e").get_json()["token"]
    this_token = _token(app.test_client(), "nurse-e").get_json()["token"]
    assert login(client, "nurse-e").status_code == 302
    api = app.test_client()
    response = api.post(
        "/api/v1/account/password", json={"current": TEST_PASSWORD, "new": NEW}, headers=_bearer(this_token)
    )
    assert response.status_code == 200
    assert api.get("/api/v1/products", headers=_bearer(this_token)).status_code == 200
    assert api.get("/api/v1/products", headers=_bearer(other_token)).status_code == 401
    assert client.get("/stock/vials").status_code == 302
    wrong = api.post(
        "/api/v1/account/password", json={"current": "not-it-at-all", "new": NEW}, headers=_bearer(this_token)
    )
    assert wrong.status_code == 422
    assert wrong.get_json()["error"]["code"] == "wrong_password"
    assert set(wrong.get_json()["error"]["fields"]) == {"current"}
    common = api.post(
        "/api/v1/account/password", json={"current": NEW, "new": "iloveyou1"}, headers=_bearer(this_token)
    )
    assert common.status_code == 422
    assert set(common.get_json()["error"]["fields"]) == {"new"}


def test_web_password_change_keeps_this_session_and_ends_the_copy(app, client):
    factories.UserFactory(username="nurse-f", roles=("nurse",))
    assert login(client, "nurse-f").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    page = client.get("/account").get_data(as_text=True)
    response = client.post(
        "/account",
        data={
            "current_password": TEST_PASSWORD,
            "new_password": NEW,
            "confirm": NEW,
            "csrf_token": csrf_from(page),
        },
    )
    assert response.status_code == 302
    assert client.get("/stock/vials").status_code == 200
    assert thief.get("/stock/vials").status_code == 302


def test_account_pages_create_deactivate_unlock_and_reset(app, db, client, login_as):
    login_as("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "New account" in page
    created = client.post(
        "/admin/users",
        data={
            "username": "Hande",
            "display_name": "Hande Kaya",
            "roles": ["nurse"],
            "password": "password1",
            "csrf_token": csrf_from(page),
        },
    )
    html = created.get_data(as_text=True)
    assert created.status_code == 200
    assert "common or breached" in html
    assert 'value="Hande"' in html  # what was typed is kept
    created = client.post(
        "/admin/users",
        data={
            "username": "Hande",
            "display_name": "Hande Kaya",
            "roles": ["nurse"],
            "password": "first-pass-word",
            "csrf_token": csrf_from(html),
        },
    )
    assert created.status_code == 302
    hande = db.session.scalars(db.select(User).where(User.username == "hande")).one()
    assert hande.must_change_password
    person_page = client.get(f"/admin/users/{hande.id}").get_data(as_text=True)
    assert "Deactivate and sign out everywhere" in person_page
    client.post(f"/admin/users/{hande.id}/deactivate", data={"action-csrf_token": csrf_from(person_page)})
    db.session.refresh(hande)
    assert not hande.active
    assert "Reactivate" in client.get(f"/admin/users/{hande.id}").get_data(as_text=True)


def test_cli_deactivate_unlock_and_set_password(app, db):
    factories.UserFactory(username="cli-nurse", roles=("nurse",))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "deactivate", "cli-nurse"]).exit_code == 0
    person = db.session.scalars(db.select(User).where(User.username == "cli-nurse")).one()
    assert not person.active
    assert runner.invoke(args=["users", "unlock", "cli-nurse"]).exit_code == 0
    result = runner.invoke(
        args=["users", "set-password", "cli-nurse", "--password-stdin"], input="qwertyuiop\n"
    )
    assert result.exit_code != 0
    assert "common" in result.output
    result = runner.invoke(args=["users", "set-password", "cli-nurse", "--password-stdin"], input=f"{NEW}\n")
    assert result.exit_code == 0, result.output
    db.session.refresh(person)
    assert person.must_change_password
    assert runner.invoke(args=["users", "unlock", "nobody"]).exit_code != 0
    assert {e.action for e in db.session.scalars(db.select(AuditEntry))} >= {
        "user_deactivated",
        "user_unlocked",
        "password_reset",
    }
