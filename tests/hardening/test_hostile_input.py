"""No 500 for bad input, anywhere (issue 15): a list of hostile values fed to every API operation and to
every page and form, with an admin's rights so that every route reads its input.

API: each value in every property of the operation's request schema (from the OpenAPI document) and in
every path id; raw bodies (JSON nested 10,000 deep, NaN, empty, not JSON, another content type, 1 MB).
Pages: every id in every GET route, hostile query arguments, and every form of the demo's pages posted
back with each hostile value in each of its fields (with its CSRF token). Every answer must be a 4xx or
a success; an API 4xx carries api.md's error body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from inventory import demo
from tests.conftest import login
from tests.support import csrf_from

HOSTILE_VALUES: list[Any] = [
    2**31,
    2**63,
    2**64 + 1,
    -(2**63) - 1,
    1e308,
    -0.0,
    1.5,
    "NaN",
    "nul\x00byte",
    "lone \ud800 surrogate",
    "x" * 1_000_000,
    None,
    [],
    {"a": {"b": [1]}},
]
HOSTILE_IDS = ["2147483648", "9223372036854775808", "00000000000000000000001"]
HOSTILE_QUERY = {
    "page": "9223372036854775808",
    "per_page": "-1",
    "q": "nul\x00",
    "days": "1e308",
    "entity_id": "99999999999999999999",
    "product_id": "2147483648",
    "lot_id": "-0",
    "since": "2026-13-45",
    "next": "/\r\nSet-Cookie: x=1",
}
RAW_BODIES: list[tuple[bytes, str]] = [
    (b"[" * 10_000 + b"]" * 10_000, "application/json"),
    (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "application/json"),
    (b"NaN", "application/json"),
    (b"", "application/json"),
    (b"{not json", "application/json"),
    (b"\xff\xfe\x00", "application/json"),
    (b'{"name": "x"}', "text/plain"),
    (b"name=x", "application/x-www-form-urlencoded"),
    (b'"' + b"x" * 1_000_000 + b'"', "application/json"),
]
ID_PARAM = re.compile(r"<(?:int:)?([a-z_]+)>")


def _admin(app: Flask) -> tuple[FlaskClient, dict[str, str]]:
    password = app.config["TEST_DEMO_PASSWORDS"]["admin"]
    client = app.test_client()
    token = client.post("/api/v1/tokens", json={"username": "admin", "password": password}).get_json()[
        "token"
    ]
    return client, {"Authorization": f"Bearer {token}"}


@pytest.fixture
def demo_app(app: Flask) -> Iterator[Flask]:
    passwords = demo.load()
    assert passwords
    app.config["TEST_DEMO_PASSWORDS"] = passwords
    yield app
    app.config.pop("TEST_DEMO_PASSWORDS")


def _operations(client: FlaskClient) -> Iterator[tuple[str, str, dict[str, Any]]]:
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            if (method, path) == ("delete", "/api/v1/tokens/current"):
                continue  # would revoke the token the test signs with
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = body.get("schema", {}).get("$ref", "")
            properties = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}) if ref else {}
            yield method, path, properties


def _path_with(path: str, value: str) -> str:
    return re.sub(r"\{[a-z_]+\}", value, path)


def _assert_handled(response: Any, what: str, *, api: bool) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.get_data()[:300]!r}"
    if api and response.status_code >= 400:
        body = response.get_json(silent=True)
        assert isinstance(body, dict), f"{what}: {body!r}"
        assert "code" in body.get("error", {}), f"{what}: {body!r}"


@pytest.mark.slow
def test_hostile_values_in_every_api_field_and_id(demo_app: Flask) -> None:
    client, headers = _admin(demo_app)
    for method, path, properties in _operations(client):
        for bad_id in HOSTILE_IDS:
            target = _path_with(path, bad_id)
            if target != path:
                response = client.open(target, method=method, headers=headers, json={})
                _assert_handled(response, f"{method} {target}", api=True)
        target = _path_with(path, "1")
        for value in HOSTILE_VALUES:
            if properties:
                body = dict.fromkeys(properties, value)
                response = client.open(target, method=method, headers=headers, json=body)
            else:
                response = client.open(target, method=method, headers=headers, query_string=HOSTILE_QUERY)
            _assert_handled(response, f"{method} {target} with {str(value)[:40]!r}", api=True)


@pytest.mark.slow
def test_hostile_raw_bodies_to_every_api_operation(demo_app: Flask) -> None:
    client, headers = _admin(demo_app)
    for method, path, _properties in _operations(client):
        if method == "get":
            continue
        target = _path_with(path, "1")
        for data, content_type in RAW_BODIES:
            response = client.open(
                target, method=method, headers={**headers, "Content-Type": content_type}, data=data
            )
            _assert_handled(response, f"{method} {target} with {data[:30]!r} as {content_type}", api=True)


def _page_routes(app: Flask) -> Iterator[str]:
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/", "/static/")) or "GET" not in (rule.methods or set()):
            continue
        yield rule.rule


@pytest.mark.slow
def test_hostile_ids_and_query_arguments_on_every_page(demo_app: Flask) -> None:
    client = demo_app.test_client()
    assert login(client, "admin", demo_app.config["TEST_DEMO_PASSWORDS"]["admin"]).status_code == 302
    for route in _page_routes(demo_app):
        for bad_id in [*HOSTILE_IDS, "1"] if ID_PARAM.search(route) else ["-"]:
            target = ID_PARAM.sub(bad_id, route)
            response = client.get(target, query_string=HOSTILE_QUERY)
            _assert_handled(response, f"GET {target}?{HOSTILE_QUERY}", api=False)


FORM_FIELD = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', re.I)
FORM = re.compile(r'<form[^>]*method="post"[^>]*>(.*?)</form>', re.I | re.S)
ACTION = re.compile(r'action="([^"]*)"')


def _forms(html: str, page: str) -> Iterator[tuple[str, list[str]]]:
    for match in FORM.finditer(html):
        opening = html[match.start() : html.index(">", match.start())]
        action = ACTION.search(opening)
        target = (action.group(1) if action and action.group(1) else page).replace("&amp;", "&")
        names = sorted({name for name in FORM_FIELD.findall(match.group(1)) if name != "csrf_token"})
        yield target, names


#: Already percent-encoded, as a browser would send them; "%ED%A0%80" is a UTF-16 surrogate in UTF-8 bytes,
#: "%FF" a byte that is no UTF-8 at all.
FORM_VALUES = ["9223372036854775808", "nul%00", "lone%20%ED%A0%80%FF", "x" * 100_000, "1e308", "2%2C5%2C5"]


def _form_body(names: list[str], value: str, token: str) -> str:
    return "&".join([*(f"{quote(name)}={value}" for name in names), f"csrf_token={quote(token)}"])


@pytest.mark.slow
def test_hostile_values_in_every_form_of_the_demo_pages(demo_app: Flask) -> None:
    client = demo_app.test_client()
    assert login(client, "admin", demo_app.config["TEST_DEMO_PASSWORDS"]["admin"]).status_code == 302
    posted = 0
    for route in _page_routes(demo_app):
        if route in {"/logout"}:
            continue
        page = ID_PARAM.sub("1", route)
        response = client.get(page)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        html = response.get_data(as_text=True)
        for target, names in _forms(html, page):
            if target.endswith("/logout") or not names:
                continue
            for value in FORM_VALUES:
                token = csrf_from(client.get(page).get_data(as_text=True))
                answer = client.post(
                    target,
                    data=_form_body(names, value, token),
                    content_type="application/x-www-form-urlencoded",
                )
                posted += 1
                _assert_handled(answer, f"POST {target} (form of {page}) with {value[:20]!r}", api=False)
    assert posted > 100, f"only {posted} form posts: the demo pages should have many forms"
