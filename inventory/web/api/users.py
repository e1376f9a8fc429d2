"""Accounts (admin): GET/POST /api/v1/users, PATCH /api/v1/users/{id}, unlock, password reset;
POST /api/v1/account/password for one's own password."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_login import current_user
from marshmallow import Schema, fields, validate

from inventory.errors import Invalid
from inventory.models import Role, User
from inventory.permissions import Permission, permission_required
from inventory.rules.passwords import MAX_LENGTH
from inventory.services import auth
from inventory.web.api import ApiBlueprint
from inventory.web.api.fields import InputSchema

blp = ApiBlueprint("api_users", __name__, url_prefix="/api/v1", description="Accounts")

ROLES = [role.value for role in Role]
API_FIELDS = {"current_password": "current", "new_password": "new"}


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    roles = fields.Function(lambda user: sorted(user.roles))
    active = fields.Boolean()
    must_change_password = fields.Boolean()
    locked_until = fields.Function(lambda user: auth.locked_until(user.username))
    created_at = fields.AwareDateTime()


class UserList(Schema):
    items = fields.List(fields.Nested(UserOut))


class UserIn(InputSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True)
    password = fields.String(required=True, validate=validate.Length(min=1, max=MAX_LENGTH))
    display_name = fields.String(validate=validate.Length(max=120))


class UserPatch(InputSchema):
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)))
    active = fields.Boolean()


class PasswordIn(InputSchema):
    password = fields.String(required=True, validate=validate.Length(min=1, max=MAX_LENGTH))


class OwnPasswordIn(InputSchema):
    current = fields.String(required=True, validate=validate.Length(min=1, max=MAX_LENGTH))
    new = fields.String(required=True, validate=validate.Length(min=1, max=MAX_LENGTH))


@blp.route("/users", methods=["GET"])
@permission_required(Permission.USERS)
@blp.response(200, UserList)
def list_users() -> dict[str, Any]:
    """Every account, active first."""
    return {"items": auth.list_users()}


@blp.route("/users", methods=["POST"])
@permission_required(Permission.USERS)
@blp.arguments(UserIn)
@blp.response(201, UserOut)
def create_user(data: dict[str, Any]) -> User:
    """A new account; the person chooses their own password at first sign-in."""
    return auth.create_user(
        data["username"],
        roles=data["roles"],
        password=data["password"],
        display_name=data.get("display_name"),
        must_change_password=True,
    )


@blp.route("/users/<int:user_id>", methods=["PATCH"])
@permission_required(Permission.USERS)
@blp.arguments(UserPatch)
@blp.response(200, UserOut)
def update_user(data: dict[str, Any], user_id: int) -> User:
    """Roles and/or active; deactivation ends the user's sessions and tokens at once."""
    return auth.update_user(auth.get_user(user_id), roles=data.get("roles"), active=data.get("active"))


@blp.route("/users/<int:user_id>/unlock", methods=["POST"])
@permission_required(Permission.USERS)
@blp.response(200, UserOut)
def unlock_user(user_id: int) -> User:
    """Lift the lock after failed sign-ins."""
    user = auth.get_user(user_id)
    auth.unlock(user)
    return user


@blp.route("/users/<int:user_id>/password", methods=["POST"])
@permission_required(Permission.USERS)
@blp.arguments(PasswordIn)
@blp.response(200, UserOut)
def reset_password(data: dict[str, Any], user_id: int) -> User:
    """Set a password the user must change at next sign-in; their sessions and tokens end."""
    user = auth.get_user(user_id)
    auth.reset_password(user, data["password"])
    return user


@blp.route("/account/password", methods=["POST"])
@blp.arguments(OwnPasswordIn)
@blp.response(200, UserOut)
def change_own_password(data: dict[str, Any]) -> User:
    """Change one's own password: every other session and token of this user ends."""
    user: User = current_user._get_current_object()
    try:
        auth.change_password(user, data["current"], data["new"], keep_token=g.get("api_token"))
    except Invalid as error:  # the page's field names, as this body names them
        error.fields = {API_FIELDS.get(name, name): message for name, message in error.fields.items()}
        raise
    return user
