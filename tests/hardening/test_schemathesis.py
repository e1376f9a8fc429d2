"""Schemathesis, a property-based API fuzzer nobody here wrote, against /api/v1/openapi.json (issue 15).

In process (its WSGI transport), on the demo data, once per role, for every operation of the document:
positive cases (valid by the schema) and negative ones (invalid by it), each answer checked with
schemathesis's default checks (no server error, status and body as documented, auth enforced, …).
One check is ours instead of its `positive_data_acceptance`: the document is the contract, so a request
that is valid by the schema must never be refused as malformed (400, or 422 `invalid_input` from the
schema validation); a 422 with a rule's own code (`expired`, `immediate_use_limit`, …) is a business
rule no schema can state, which api.md documents.

Bounded so the suite stays fast: FUZZ_EXAMPLES cases per operation and mode (derandomised, so a run is
repeatable); for a longer hunt set FUZZ_EXAMPLES=200 FUZZ_RANDOM=1.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from inventory import demo

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
RANDOM = os.environ.get("FUZZ_RANDOM", "") == "1"
ROLES = ("nurse", "practitioner", "manager", "admin")
NOT_FUZZED = {
    ("DELETE", "/api/v1/tokens/current"): "revokes the token the run signs with (tests/api covers it)",
    (
        "POST",
        "/api/v1/users/{user_id}/password",
    ): "a reset of the run's own user locks it (tests/golive covers it)",
    (
        "POST",
        "/api/v1/account/password",
    ): "changes the password the run signed in with (tests/golive covers it)",
}
SCHEMA_REFUSALS = {"invalid_input", "malformed_json"}


def _token(app: Flask, role: str, passwords: dict[str, str]) -> str:
    password = passwords[role]
    response = app.test_client().post("/api/v1/tokens", json={"username": role, "password": password})
    assert response.status_code == 201, response.get_json()
    token: str = response.get_json()["token"]
    return token


def _refused_as_malformed(case: Any, response: Any) -> str | None:
    """Our positive-data check: valid by the schema, yet refused by the schema validation."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    body = response.json() if "json" in response.headers.get("Content-Type", "") else {}
    error = body.get("error", {}) if isinstance(body, dict) else {}
    if error.get("code") in SCHEMA_REFUSALS:
        return f"valid by the schema, refused {response.status_code} {error}"
    return None


def _fuzz_operation(operation: Any, token: str, failures: dict[str, list[str]]) -> int:
    label = f"{operation.method.upper()} {operation.path}"
    count = 0

    for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=not RANDOM,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            nonlocal count
            count += 1
            # The generated Authorization header becomes our token; a negative case that left it out on
            # purpose stays without one (and must get 401).
            if "Authorization" in (case.headers or {}):
                case.headers["Authorization"] = f"Bearer {token}"
                case._has_explicit_auth = True  # so schemathesis's auth checks also probe without it
            response = case.call()
            try:
                case.validate_response(response, excluded_checks=[positive_data_acceptance])
            except (Exception, BaseExceptionGroup) as error:  # a FailureGroup: a line per failure
                for failure in getattr(error, "exceptions", [error]):
                    title = getattr(failure, "title", type(failure).__name__)
                    failures[f"{label}: {title}"].append(case.as_curl_command())
            refusal = _refused_as_malformed(case, response)
            if refusal:
                failures[f"{label}: {refusal}"].append(case.as_curl_command())

        run()
    return count


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_schemathesis_finds_nothing(app: Flask, role: str) -> None:
    passwords = demo.load()
    assert passwords
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    token = _token(app, role, passwords)
    failures: dict[str, list[str]] = defaultdict(list)
    cases = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in NOT_FUZZED:
            continue
        cases += _fuzz_operation(operation, token, failures)
    print(f"schemathesis: {cases} cases as {role}")
    assert not failures, "\n".join(f"{key} (×{len(v)})\n    {v[0]}" for key, v in sorted(failures.items()))
