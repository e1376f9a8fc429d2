"""Sign-in, the lock after repeated failures, passwords, headers, CSRF, role-based pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inventory import clock
from inventory.models import AuditEntry
from tests import factories
from tests.conftest import login
from tests.support import csrf_from


def test_sign_in_with_wrong_password_shows_the_form_again_with_the_username(client):
    factories.UserFactory(username="ayse")
    response = login(client, "ayse", "wrong-password")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Wrong username or password." in html
    assert 'value="ayse"' in html


def test_fifth_failure_locks_the_username_for_15_minutes_and_is_audited(client, db):
    factories.UserFactory(username="ayse")
    start = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    with clock.frozen_at(start):
        for _ in range(5):
            login(client, "ayse", "wrong-password")
        locked = login(client, "ayse")
        assert locked.status_code == 200
        assert "Too many failed sign-ins" in locked.get_data(as_text=True)
        entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "login_locked")).one()
        assert entry.details["username"] == "ayse"
        clock.advance(timedelta(minutes=15, seconds=1))
        assert login(client, "ayse").status_code == 302


def test_unknown_usernames_are_throttled_too(client):
    for _ in range(5):
        login(client, "ghost", "x-password")
    response = login(client, "ghost", "x-password")
    assert "Too many failed sign-ins" in response.get_data(as_text=True)


def test_inactive_user_cannot_sign_in(client):
    factories.UserFactory(username="gone", active=False)
    assert login(client, "gone").status_code == 200


def test_pages_need_sign_in_and_come_back_after_it(client):
    factories.UserFactory(username="ayse")
    response = client.get("/products/")
    assert response.status_code == 302
    assert "/login?next=/products/" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    response = client.post(
        "/login?next=/products/",
        data={"username": "ayse", "password": "correct-horse-battery", "csrf_token": csrf_from(page.text)},
    )
    assert response.headers["Location"] == "/products/"


def test_next_never_leaves_the_site(client):
    factories.UserFactory(username="ayse")
    page = client.get("/login")
    response = client.post(
        "/login?next=//evil.example/x",
        data={"username": "ayse", "password": "correct-horse-battery", "csrf_token": csrf_from(page.text)},
    )
    assert response.headers["Location"] == "/"


def test_forms_refuse_a_post_without_csrf_token(client):
    factories.UserFactory(username="ayse")
    response = client.post("/login", data={"username": "ayse", "password": "correct-horse-battery"})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_password_change_needs_the_current_password(client, login_as):
    login_as("nurse")
    page = client.get("/account")
    data = {"current_password": "not-it", "new_password": "a-new-password", "confirm": "a-new-password"}
    response = client.post("/account", data={**data, "csrf_token": csrf_from(page.text)})
    assert "The current password is wrong." in response.get_data(as_text=True)
    data["current_password"] = "correct-horse-battery"
    response = client.post("/account", data={**data, "csrf_token": csrf_from(page.text)})
    assert response.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").text)})
    assert login(client, "nurse-user", "a-new-password").status_code == 302


def test_sign_out_ends_the_session(client, login_as):
    login_as("nurse")
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").text)})
    assert client.get("/").status_code == 302


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self' 'wasm-unsafe-eval'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=(self)" in response.headers["Permissions-Policy"]


def test_session_cookie_is_httponly_and_lax(client, login_as):
    factories.UserFactory(username="ayse")
    response = login(client, "ayse")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_navigation_follows_the_role(client, login_as):
    login_as("nurse")
    html = client.get("/").get_data(as_text=True)
    assert "/products/" in html
    assert "/manager/audit" not in html


def test_pages_forbidden_for_the_role_show_a_403_page(client, login_as):
    login_as("nurse")
    response = client.get("/manager/audit")
    assert response.status_code == 403
    assert "Not for your role" in response.get_data(as_text=True)


def test_unknown_page_is_a_friendly_404(client, login_as):
    login_as("nurse")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Back to the start" in response.get_data(as_text=True)
