"""api.md's role table, exact (issue 15): every route × role, pages and API alike, file routes included.

The expected answer is derived from one table, `inventory.permissions.GRANTS`, and the permission each
view declares with `permission_required`: a role without it gets 403, a role with it anything but
401/403 (the ids in the URL need not exist: the role is checked before anything is read). Every route
is called with a Bearer token (integrations download labels and CSVs that way), and every GET page
with a signed-in browser session too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from inventory.models.users import Role
from inventory.permissions import GRANTS, Permission
from tests import factories
from tests.conftest import ApiClient, login

ROLES = tuple(Role)
#: Routes any signed-in user (or anybody) may call: they declare no permission, by design.
OPEN_ROUTES = {
    "main.home",
    "server.health",
    "auth.setup",  # the first-run page: only while no user exists
    "auth.account",
    "auth.set_language",
    "auth.login",
    "auth.logout",
    "static",
    "api-docs.openapi_json",
    "api_tokens.create_token",
    "api_tokens.current_token",  # whose the token is: every signed-in user
    "api_tokens.revoke_current_token",
    "api_users.change_own_password",  # one's own password: every signed-in user
}
METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE")


def required_permission(view: Callable[..., Any]) -> Permission | None:
    seen: set[int] = set()
    current: Any = view
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        permission = getattr(current, "required_permission", None)
        if permission is not None:
            return Permission(permission)
        current = getattr(current, "__wrapped__", None)
    return None


def concrete_path(rule: Rule) -> str:
    path = re.sub(r"<any\(([a-z_]+)[^>]*\):[a-z_]+>", lambda m: m[1], rule.rule)
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: "x.csv" if m[1] == "filename" else "1", path)


def routes(app: Flask) -> Iterator[tuple[Rule, str, Permission | None]]:
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        view = app.view_functions[rule.endpoint]
        for method in METHOD_ORDER:
            if method in (rule.methods or set()):
                yield rule, method, required_permission(view)


def test_every_route_declares_its_permission(app: Flask) -> None:
    undeclared = [
        f"{method} {rule.rule} ({rule.endpoint})"
        for rule, method, permission in routes(app)
        if permission is None and rule.endpoint not in OPEN_ROUTES
    ]
    assert not undeclared, "routes without permission_required:\n" + "\n".join(undeclared)


def _call(client: FlaskClient, method: str, path: str, headers: dict[str, str]) -> Any:
    kwargs: dict[str, Any] = {"headers": headers}
    if method != "GET":
        kwargs["json"] = {}
    return client.open(path, method=method, **kwargs)


def _mismatches(
    app: Flask, role: Role, call: Callable[[str, str], Any], only_get_pages: bool = False
) -> list[str]:
    granted = GRANTS[role]
    wrong = []
    for rule, method, permission in routes(app):
        if permission is None:
            continue
        is_api = rule.rule.startswith("/api/")
        if only_get_pages and (is_api or method != "GET"):
            continue
        response = call(method, concrete_path(rule))
        status = response.status_code
        allowed = permission in granted
        if (status in (401, 403) or status >= 500) if allowed else status != 403:
            expected = "not 401/403/5xx" if allowed else "403"
            wrong.append(f"{role} {method} {rule.rule}: {status}, expected {expected} ({permission})")
    return wrong


@pytest.mark.parametrize("role", ROLES)
def test_role_table_with_a_bearer_token(app: Flask, role: Role, api_as: Callable[..., ApiClient]) -> None:
    api = api_as(role.value)
    wrong = _mismatches(app, role, lambda method, path: _call(api.client, method, path, api.headers))
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_role_table_for_pages_in_a_browser_session(app: Flask, role: Role) -> None:
    client = app.test_client()
    user = factories.UserFactory(roles=(role.value,), username=f"page-{role.value}")
    assert login(client, user.username).status_code == 302
    wrong = _mismatches(app, role, lambda method, path: _call(client, method, path, {}), only_get_pages=True)
    assert not wrong, "\n".join(wrong)


def test_a_file_route_answers_a_bad_token_with_401_json(client: FlaskClient) -> None:
    response = client.get("/recalls/1/patients.csv", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
