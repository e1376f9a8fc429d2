"""Issue 16: binding a request schema (once per request) must not add its checks again. marshmallow's
copy of a field shares the declared field's validators list; an appended check ran once more per
request the worker had served, so the scan at the chair grew slower with every scan."""

from __future__ import annotations

from typing import Any

from inventory.web.api.clinic import ClinicScanIn
from inventory.web.api.trace import TraceLotQuery


def _validators(schema: Any) -> dict[str, int]:
    return {name: len(field.validators) for name, field in schema.fields.items()}


def test_request_schemas_keep_their_checks_however_many_requests(app: Any) -> None:
    first = {kind: _validators(kind()) for kind in (ClinicScanIn, TraceLotQuery)}
    for _ in range(50):
        ClinicScanIn()
        TraceLotQuery()
    assert {kind: _validators(kind()) for kind in (ClinicScanIn, TraceLotQuery)} == first
    assert _validators(ClinicScanIn())["code"] == 2  # its length, and no NUL or lone surrogate


def test_scans_keep_their_checks_over_many_requests(app: Any, api_as: Any) -> None:
    api = api_as("practitioner")
    for _ in range(20):
        response = api.post("/api/v1/sessions/999999/scans", json={"code": "S\x00", "site": "face"})
        assert response.status_code == 422
    assert _validators(ClinicScanIn())["code"] == 2
