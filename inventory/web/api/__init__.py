"""The JSON API (api.md): flask-smorest blueprints whose marshmallow schemas validate requests,
serialise responses and generate the OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

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


class ApiBlueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = ApiParser()


def register_api(app: Flask) -> None:
    from inventory.web.api import (
        audit,
        clinic,
        coldchain,
        compounding,
        manager,
        products,
        stock,
        tokens,
        trace,
    )

    api = Api(app, spec_kwargs={"info": {"description": "The clinic pharmacy's JSON API (api.md)."}})
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
        coldchain.blp,
    ):
        api.register_blueprint(blueprint)
    app.extensions["api"] = api
