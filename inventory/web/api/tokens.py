"""POST /api/v1/tokens, GET and DELETE /api/v1/tokens/current."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from inventory.errors import DomainError, Unauthorized
from inventory.models import ApiToken
from inventory.services import audit, auth
from inventory.web.api import ApiBlueprint
from inventory.web.api.fields import InputSchema

blp = ApiBlueprint("api_tokens", __name__, url_prefix="/api/v1/tokens", description="Bearer tokens")


class Credentials(InputSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenOut(Schema):
    token = fields.String()
    expires_at = fields.AwareDateTime()
    must_change_password = fields.Boolean()


class CurrentTokenOut(Schema):
    user_id = fields.Integer()
    username = fields.String()
    roles = fields.List(fields.String())
    expires_at = fields.AwareDateTime()
    must_change_password = fields.Boolean()


@blp.route("", methods=["POST"])
@blp.arguments(Credentials)
@blp.response(201, TokenOut)
@blp.doc(security=[])
def create_token(credentials: dict[str, Any]) -> dict[str, Any]:
    """Exchange a username and password for a bearer token."""
    try:
        user = auth.authenticate(credentials["username"], credentials["password"])
    except DomainError as error:
        audit.sign_in_failed(credentials["username"], code=error.code, via="api")
        raise
    audit.signed_in(user, via="api")
    raw, token = auth.issue_token(user)
    return {"token": raw, "expires_at": token.expires_at, "must_change_password": user.must_change_password}


@blp.route("/current", methods=["GET"])
@blp.response(200, CurrentTokenOut)
def current_token() -> dict[str, Any]:
    """Whose token this request is sent with, and until when it works (a scanner or a label station
    checks its token this way when it starts). Answered from the token check alone: no other query."""
    token = _sent_token(_("Send the token to look up as a bearer token."))
    user = token.user
    return {
        "user_id": user.id,
        "username": user.username,
        "roles": sorted(user.roles),
        "expires_at": token.expires_at,
        "must_change_password": user.must_change_password,
    }


@blp.route("/current", methods=["DELETE"])
@blp.response(204)
def revoke_current_token() -> None:
    """Revoke the token this request is sent with."""
    auth.revoke_token(_sent_token(_("Send the token to revoke as a bearer token.")))


def _sent_token(message: str) -> ApiToken:
    """The bearer token of this request (a signed-in page's cookie has none)."""
    token: ApiToken | None = g.get("api_token")
    if token is None:
        raise Unauthorized("unauthorized", message)
    return token
