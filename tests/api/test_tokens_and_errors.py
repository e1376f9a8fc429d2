"""API plumbing: tokens, and the error body of api.md for every failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inventory import clock
from tests import factories
from tests.support import TEST_PASSWORD, selects, statements_run


def test_token_is_issued_for_good_credentials(client):
    factories.UserFactory(username="ayse", roles=("nurse",))
    response = client.post("/api/v1/tokens", json={"username": "ayse", "password": TEST_PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert len(body["token"]) >= 32
    assert datetime.fromisoformat(body["expires_at"]) > clock.now()


def test_bad_credentials_answer_401_with_error_body(client):
    factories.UserFactory(username="ayse")
    response = client.post("/api/v1/tokens", json={"username": "ayse", "password": "wrong-password"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_credentials"


def test_token_is_stored_hashed(app, client, db):
    from inventory.models import ApiToken

    factories.UserFactory(username="ayse")
    raw = client.post("/api/v1/tokens", json={"username": "ayse", "password": TEST_PASSWORD}).get_json()[
        "token"
    ]
    stored = db.session.scalars(db.select(ApiToken)).one()
    assert raw not in stored.token_hash
    assert len(stored.token_hash) == 64


def test_revoked_token_no_longer_works(api_as):
    api = api_as("nurse")
    assert api.get("/api/v1/products").status_code == 200
    assert api.delete("/api/v1/tokens/current").status_code == 204
    response = api.get("/api/v1/products")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_expired_token_is_refused(api_as):
    api = api_as("nurse")
    with clock.frozen_at(datetime.now(UTC) + timedelta(hours=13)):
        assert api.get("/api/v1/products").status_code == 401


def test_no_token_is_401_not_a_login_page(client):
    response = client.get("/api/v1/products")
    assert response.status_code == 401
    assert response.is_json
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_garbage_bearer_token_is_401(client):
    response = client.get("/api/v1/products", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401


def test_malformed_json_is_400(api_as):
    api = api_as("manager")
    response = api.post("/api/v1/products", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed_json"


def test_wrong_role_is_403(api_as):
    api = api_as("nurse")
    response = api.post("/api/v1/products", json={"name": "X"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_unknown_api_path_is_json_404(api_as):
    response = api_as("nurse").get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_wrong_method_is_json_405(api_as):
    response = api_as("nurse").delete("/api/v1/products")
    assert response.status_code == 405
    assert response.is_json


def test_json_array_instead_of_object_is_422(api_as):
    response = api_as("manager").post("/api/v1/products", json=[1, 2])
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_input"


def test_bearer_requests_need_no_csrf_token(api_as):
    response = api_as("manager").post(
        "/api/v1/products",
        json={
            "name": "Saline 10 mL",
            "category": "diluent",
            "container": "single_dose",
            "volume_ml": 10,
            "storage": "room",
        },
    )
    assert response.status_code == 201


def test_cookie_session_api_writes_keep_csrf(client, login_as):
    login_as("manager")
    response = client.post(
        "/api/v1/products",
        json={
            "name": "Saline 10 mL",
            "category": "diluent",
            "container": "single_dose",
            "volume_ml": 10,
            "storage": "room",
        },
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"


def test_an_unexpected_error_is_a_json_500_without_details(app, api_as, monkeypatch, config):
    from inventory.services import catalogue

    def explode():
        raise RuntimeError("secret internals")

    monkeypatch.setattr(catalogue, "list_products", explode)
    config(PROPAGATE_EXCEPTIONS=False)
    response = api_as("nurse").get("/api/v1/products")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert b"secret internals" not in response.data


def test_the_role_is_checked_before_the_body_on_every_api_write(app, api_as):
    """A person without the right gets 403 whatever they send, never field-by-field feedback."""
    nurse = api_as("nurse")
    writes = [
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and "<" not in rule.rule
        for method in rule.methods & {"POST", "PATCH"}
    ]
    refused = {
        path
        for path, method in writes
        if getattr(nurse, method.lower())(path, json={"x": 1}).status_code == 403
    }
    for path in ("/api/v1/products", "/api/v1/recalls", "/api/v1/sessions", "/api/v1/adverse-events"):
        assert path in refused


def test_current_token_says_whose_it_is_and_until_when_from_the_token_check_alone(api_as, db):
    api = api_as("practitioner", "nurse")
    with statements_run(db.engine) as statements:
        response = api.get("/api/v1/tokens/current")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["user_id"], body["username"]) == (api.user.id, api.user.username)
    assert body["roles"] == ["nurse", "practitioner"]
    assert body["must_change_password"] is False
    assert datetime.fromisoformat(body["expires_at"]) > clock.now()
    assert len(selects(statements)) == 1  # the token with its user and roles


def test_current_token_without_a_bearer_token_is_401_and_after_revoking_too(api_as, client):
    response = client.get("/api/v1/tokens/current")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    api = api_as("nurse")
    assert api.delete("/api/v1/tokens/current").status_code == 204
    assert api.get("/api/v1/tokens/current").status_code == 401
