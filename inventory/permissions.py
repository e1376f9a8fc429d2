"""Who may do what: one table (api.md, Permissions), used by pages and API alike."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from flask_babel import gettext as _
from flask_login import current_user

from inventory.errors import Forbidden, Unauthorized
from inventory.models.users import Role, User


class Permission(StrEnum):
    READ_CATALOGUE = "read_catalogue"
    EDIT_PRODUCTS = "edit_products"
    MANAGE_STOCK = "manage_stock"
    EDIT_RECIPES = "edit_recipes"
    COMPOUND = "compound"
    WRITE_PATIENTS = "write_patients"
    READ_PATIENTS = "read_patients"
    ADMINISTER = "administer"
    TRACE = "trace"
    QUALITY = "quality"
    REPORTS = "reports"
    USERS = "users"
    POLICY = "policy"


P = Permission
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.NURSE: frozenset({P.READ_CATALOGUE, P.MANAGE_STOCK, P.COMPOUND, P.WRITE_PATIENTS, P.READ_PATIENTS}),
    Role.PRACTITIONER: frozenset(
        {
            P.READ_CATALOGUE,
            P.EDIT_RECIPES,
            P.COMPOUND,
            P.WRITE_PATIENTS,
            P.READ_PATIENTS,
            P.ADMINISTER,
            P.TRACE,
        }
    ),
    Role.MANAGER: frozenset(
        {
            P.READ_CATALOGUE,
            P.EDIT_PRODUCTS,
            P.MANAGE_STOCK,
            P.EDIT_RECIPES,
            P.READ_PATIENTS,
            P.TRACE,
            P.QUALITY,
            P.REPORTS,
            P.POLICY,
        }
    ),
    Role.ADMIN: frozenset(Permission),
}


def permissions_of(user: User) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in user.roles:
        granted |= GRANTS[role]
    return frozenset(granted)


def can(user: Any, permission: Permission) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return permission in permissions_of(user)


def require(permission: Permission) -> User:
    """The signed-in user, who must hold the permission."""
    if not current_user.is_authenticated:
        raise Unauthorized("unauthorized", _("Please sign in."))
    if not can(current_user, permission):
        raise Forbidden("forbidden", _("Your role does not allow this."))
    user: User = current_user._get_current_object()
    return user


F = TypeVar("F", bound=Callable[..., Any])


def permission_required(permission: Permission) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            require(permission)
            return view(*args, **kwargs)

        wrapped.required_permission = permission  # type: ignore[attr-defined]  # read by the role-matrix test
        return wrapped  # type: ignore[return-value]

    return decorator
