"""A real server (issue 14 §5): /healthz, the app's own 503 page, the request size limit, no-store."""

from __future__ import annotations

from inventory import create_app
from tests.conftest import BASE_CONFIG


def test_healthz_is_ok_while_the_database_answers(client):
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def _app_without_database(tmp_path):
    # A SQLite file in a directory that does not exist: every connection fails, as with a stopped server.
    return create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite"}
    )


def test_healthz_is_503_and_pages_show_our_own_503_when_the_database_is_down(tmp_path):
    app = _app_without_database(tmp_path)
    client = app.test_client()
    health = client.get("/healthz")
    assert (health.status_code, health.get_json()) == (503, {"status": "unavailable"})
    page = client.get("/login")
    assert page.status_code == 503
    html = page.get_data(as_text=True)
    assert "The pharmacy is not available right now" in html
    assert "Nothing was saved" in html
    api = client.get("/api/v1/products", headers={"Authorization": "Bearer whatever"})
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "database_unavailable"
    assert api.headers["Retry-After"] == "30"


def test_bodies_over_the_limit_are_413_with_the_error_body(app, api_as):
    api = api_as("manager")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = api.post("/api/v1/products", json={"name": "x" * 5000})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 8 * 1024 * 1024
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_the_default_limit_refuses_a_10_mb_body(api_as):
    api = api_as("manager")
    response = api.client.post(
        "/api/v1/products",
        data=b"{" + b" " * (10 * 1024 * 1024) + b"}",
        headers={**api.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_signed_in_pages_and_api_answers_are_no_store(client, login_as, api_as):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    login_as("practitioner")
    assert client.get("/clinic/patients").headers["Cache-Control"] == "no-store"
    api = api_as("nurse")
    assert api.get("/api/v1/patients").headers["Cache-Control"] == "no-store"
