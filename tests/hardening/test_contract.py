"""The document is the contract (issue 15): the OpenAPI document against api.md, and the role table of
api.md against `inventory.permissions`, compared by a test rather than by reading.

api.md lives in the project's shared docs beside the repository (`../shared/docs/api.md`, or the path
in API_MD); without it these tests skip with the reason.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

import inventory
from inventory.models.users import Role
from inventory.permissions import GRANTS, Permission

ROOT = Path(inventory.__file__).resolve().parent.parent
API_MD = Path(os.environ.get("API_MD", ROOT.parent / "shared" / "docs" / "api.md"))
OPERATION = re.compile(r"`(GET|POST|PATCH|PUT|DELETE) (/api/v1/[^`\s?]*)")
#: Operations api.md names that the document does not list: the document itself.
NOT_IN_DOCUMENT: set[tuple[str, str]] = {("GET", "/api/v1/openapi.json")}

#: Each row of api.md's permission table, as the permissions that grant it (a row may need several).
ROWS = {
    "read products, lots, vials, recipes, batches": {Permission.READ_CATALOGUE},
    "create/edit products": {Permission.EDIT_PRODUCTS},
    "receive stock, discard vials, stock counts": {Permission.MANAGE_STOCK},
    "create/edit recipes": {Permission.EDIT_RECIPES},
    "prepare batches, verify batches (not one's own), print labels": {Permission.COMPOUND},
    "patients: create, read": {Permission.WRITE_PATIENTS, Permission.READ_PATIENTS},
    "sessions, scans (administration), adverse events": {Permission.ADMINISTER},
    "trace, recalls, reorder, reports, audit": {Permission.TRACE, Permission.QUALITY, Permission.REPORTS},
    "users": {Permission.USERS},
}
#: Partial marks in the table: what the role holds of the row.
PARTIAL = {"read": {Permission.READ_PATIENTS}, "trace only": {Permission.TRACE}}


def api_md() -> str:
    if not API_MD.exists():
        pytest.skip(f"api.md not found at {API_MD} (set API_MD to its path)")
    return API_MD.read_text(encoding="utf-8")


def _normalise(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path.rstrip("/.,"))


def test_every_operation_of_api_md_is_in_the_document(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {
        (method.upper(), _normalise(path))
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "patch", "put", "delete"}
    }
    named = {(method, _normalise(path)) for method, path in OPERATION.findall(api_md())}
    missing = sorted(named - documented - NOT_IN_DOCUMENT)
    assert not missing, f"api.md names operations the OpenAPI document lacks: {missing}"


def test_every_operation_documents_the_error_body(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    error = document["components"]["schemas"]["ErrorBody"]
    assert error["required"] == ["error"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "patch", "put", "delete"}:
                continue
            errors = {status for status in operation["responses"] if status.startswith(("4", "5"))}
            assert errors, f"{method} {path} documents no error status"
            if "{" in path:
                assert "404" in errors, f"{method} {path} takes an id but documents no 404"


def test_the_role_table_of_api_md_is_the_permissions_module() -> None:
    table = [line for line in api_md().splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in table[0].strip("|").split("|")]
    roles = [Role(name) for name in header[1:]]
    rows = {}
    for line in table[1:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0] in ROWS:
            rows[cells[0]] = dict(zip(roles, cells[1:], strict=True))
    assert set(rows) == set(ROWS), "api.md's table changed: update ROWS"
    wrong = []
    for row, marks in rows.items():
        for role, mark in marks.items():
            expected = ROWS[row] if mark == "✓" else PARTIAL.get(mark, set())
            held = ROWS[row] & GRANTS[role]
            if held != expected:
                wrong.append(f"{role}: '{row}' is '{mark}' in api.md, the app grants {sorted(held)}")
    assert not wrong, "\n".join(wrong)


def test_request_schemas_state_their_bounds(client: FlaskClient) -> None:
    """As strict as the validation: every integer has a maximum, every text a length or a choice."""
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    loose = []

    def walk(where: str, schema: dict[str, Any]) -> None:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return walk(name, schemas[name])
        kind = schema.get("type")
        if kind == "integer" and "maximum" not in schema:
            loose.append(f"{where}: integer without maximum")
        if kind == "string" and not ({"maxLength", "enum", "format"} & set(schema)):
            loose.append(f"{where}: text without maxLength")
        for name, inner in schema.get("properties", {}).items():
            walk(f"{where}.{name}", inner)
        if "items" in schema:
            walk(f"{where}[]", schema["items"])
        return None

    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                walk(f"{method} {path} {parameter.get('name')}", parameter.get("schema", {}))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            if body:
                walk(f"{method} {path} body", body.get("schema", {}))
    assert not loose, "\n".join(sorted(set(loose)))
