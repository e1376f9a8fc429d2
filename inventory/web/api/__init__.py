"""The JSON API (api.md): flask-smorest blueprints whose marshmallow schemas validate requests,
serialise responses and generate the OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from apispec import BasePlugin
from flask import Flask
from flask_babel import gettext as _
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser

from inventory.errors import Invalid, MalformedRequest
from inventory.web.api.fields import Celsius, Money, VolumeMl


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested messages as {"components.0.volume_ml": "…"}."""
    if isinstance(messages, list | tuple):
        if all(isinstance(item, str) for item in messages):
            return {prefix or "_schema": " ".join(messages)}
        flat: dict[str, str] = {}
        for index, item in enumerate(messages):
            flat.update(flatten_messages(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    if isinstance(messages, dict):
        flat = {}
        for key, item in messages.items():
            flat.update(flatten_messages(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix or "_schema": str(messages)}


class ApiParser(FlaskParser):
    """Errors in the body shape of api.md: 400 malformed JSON, 422 with the fields at fault."""

    DEFAULT_VALIDATION_STATUS = 422

    def handle_error(
        self, error: Any, req: Any, schema: Any, *, error_status_code: Any, error_headers: Any
    ) -> Any:
        by_location = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        fields: dict[str, str] = {}
        for location_messages in by_location.values():
            fields.update(flatten_messages(location_messages))
        raise Invalid("invalid_input", _("Some fields are not valid."), fields=fields)

    def _handle_invalid_json_error(self, error: Any, req: Any, *args: Any, **kwargs: Any) -> Any:
        raise MalformedRequest("malformed_json", _("The request body is not valid JSON."))

    def _raw_load_json(self, req: Any) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            raise MalformedRequest("malformed_json", _("The request body is nested too deeply.")) from None


class ApiBlueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = ApiParser()


class ErrorDetail(ma.Schema):
    code = ma.fields.String(
        required=True, metadata={"description": "A machine code, e.g. insufficient_stock."}
    )
    message = ma.fields.String(required=True, metadata={"description": "A sentence for a person."})
    field_messages = ma.fields.Dict(
        data_key="fields",
        keys=ma.fields.String(),
        values=ma.fields.Raw(),
        metadata={"description": "The fields at fault, each with its message."},
    )


class ErrorBody(ma.Schema):
    """api.md's error body; a blocked scan adds its verdict and reasons beside it."""

    class Meta:
        unknown = ma.INCLUDE

    error = ma.fields.Nested(ErrorDetail, required=True)


PUBLIC_OPERATIONS = {("post", "/api/v1/tokens"), ("get", "/api/v1/openapi.json")}
WRITES = {"post", "put", "patch", "delete"}


class ErrorResponses(BasePlugin):
    """Document on every operation each error status it can answer, all with api.md's error body."""

    def operation_helper(self, path: str | None = None, operations: Any = None, **kwargs: Any) -> None:
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            for status in error_statuses(method, path or "", operation):
                responses.setdefault(str(status), ERROR_RESPONSES[status])


ERROR_RESPONSES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    413: "REQUEST_ENTITY_TOO_LARGE",
    422: "UNPROCESSABLE_ENTITY",
    503: "SERVICE_UNAVAILABLE",
}


def error_statuses(method: str, path: str, operation: dict[str, Any]) -> list[int]:
    has_body = "requestBody" in operation
    has_query = any(p.get("in") == "query" for p in operation.get("parameters", []) if isinstance(p, dict))
    statuses = [503]
    if (method, path) not in PUBLIC_OPERATIONS:
        statuses += [401, 403]
    if "{" in path:
        statuses.append(404)
    if method in WRITES:
        statuses += [409, 413]
    if has_body:
        statuses.append(400)
    if has_body or has_query or method in WRITES:
        statuses.append(422)
    return statuses


class ClinicApi(Api):
    ERROR_SCHEMA = ErrorBody


def register_api(app: Flask) -> None:
    from inventory.web.api import (
        audit,
        clinic,
        coldchain,
        compounding,
        imports,
        manager,
        policy,
        products,
        stock,
        tokens,
        trace,
        users,
    )

    api = ClinicApi(
        app,
        spec_kwargs={
            "info": {"description": "The clinic pharmacy's JSON API (api.md)."},
            "extra_plugins": [ErrorResponses()],
        },
    )
    api.register_field(VolumeMl, "number", None)
    api.register_field(Money, "number", None)
    api.register_field(Celsius, "number", None)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    for blueprint in (
        tokens.blp,
        products.blp,
        stock.blp,
        compounding.blp,
        clinic.blp,
        trace.blp,
        manager.blp,
        audit.blp,
        users.blp,
        policy.blp,
        imports.blp,
        coldchain.blp,
    ):
        api.register_blueprint(blueprint)
    app.extensions["api"] = api
