"""The audit trail: appended by every service that changes state (SAFE-10)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_login import current_user
from sqlalchemy import Select, func, select

from inventory import clock
from inventory.extensions import db
from inventory.models import AuditEntry, User


def _acting_user_id(user: User | None) -> int | None:
    if user is not None:
        return user.id
    if current_user and getattr(current_user, "is_authenticated", False):
        return int(current_user.id)
    return None


def record(
    action: str,
    entity_type: str,
    entity_id: int | None,
    *,
    details: dict[str, Any] | None = None,
    reason: str | None = None,
    user: User | None = None,
) -> AuditEntry:
    """Append an entry to the caller's transaction; the caller commits."""
    entry = AuditEntry(
        at=clock.now(),
        user_id=_acting_user_id(user),
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        details=_jsonable(details or {}),
        reason=reason,
    )
    db.session.add(entry)
    return entry


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Changed fields as {field: [old, new]}."""
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class AuditFilter:
    entity_type: str | None = None
    entity_id: int | None = None
    action: str | None = None
    user_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(query: Select[Any], where: AuditFilter) -> Select[Any]:
    if where.entity_type:
        query = query.where(AuditEntry.entity_type == where.entity_type)
    if where.entity_id is not None:
        query = query.where(AuditEntry.entity_id == where.entity_id)
    if where.action:
        query = query.where(AuditEntry.action == where.action)
    if where.user_id is not None:
        query = query.where(AuditEntry.user_id == where.user_id)
    if where.since is not None:
        query = query.where(AuditEntry.at >= where.since)
    if where.until is not None:
        query = query.where(AuditEntry.at < where.until)
    return query


def entries(where: AuditFilter, *, page: int = 1, per_page: int = 50) -> tuple[list[AuditEntry], bool]:
    """A page of entries, newest first, and whether there is a next page."""
    query = _filtered(select(AuditEntry), where).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    rows = list(db.session.scalars(query.offset((page - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


def actions() -> list[str]:
    return list(
        db.session.scalars(select(AuditEntry.action).group_by(AuditEntry.action).order_by(AuditEntry.action))
    )


def entity_types() -> list[str]:
    query = select(AuditEntry.entity_type).group_by(AuditEntry.entity_type).order_by(AuditEntry.entity_type)
    return list(db.session.scalars(query))


def count(where: AuditFilter) -> int:
    return int(db.session.scalar(_filtered(select(func.count(AuditEntry.id)), where)) or 0)


def acting_user_id(user: User | None = None) -> int | None:
    """Who is acting: the user given, else the signed-in user, else nobody (the CLI, demo data)."""
    return _acting_user_id(user)
