"""The audit trail: appended by every service that changes state (SAFE-10)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from flask_login import current_user
from sqlalchemy import Insert, Select, Table, and_, bindparam, cast, func, insert, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import joinedload

from inventory import clock
from inventory.extensions import db
from inventory.models import AuditEntry, User
from inventory.services import row_insert, transaction


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
    entry = AuditEntry(**_values(action, entity_type, entity_id, details=details, reason=reason, user=user))
    db.session.add(entry)
    return entry


def _values(
    action: str,
    entity_type: str,
    entity_id: int | None,
    *,
    details: dict[str, Any] | None,
    reason: str | None,
    user: User | None,
) -> dict[str, Any]:
    """The columns of an entry, as `record` and `insert_with` write them."""
    return {
        "at": clock.now(),
        "user_id": _acting_user_id(user),
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "details": _jsonable(details or {}),
        "reason": reason,
    }


def insert_with(
    table: Table,
    row: dict[str, Any],
    action: str,
    entity_type: str,
    entity_id: int | None,
    *,
    details: dict[str, Any],
    id_detail: str | None = None,
    reason: str | None = None,
    user: User | None = None,
) -> int:
    """Insert `row` into `table` (its id returned) and append the entry that records it, in the caller's
    transaction; returns the row's id. `id_detail` names the detail that holds it.

    On PostgreSQL both go in one statement, one round trip (the scan at the chair writes its near miss
    or its administration's attempt this way): the row's insert is a CTE of the entry's, and the id
    is added to the details in SQL. Elsewhere (SQLite has no round trips to save, and no data-modifying
    CTEs) the row, then the entry. Either way the statement is built once per table, columns and
    `id_detail` (the scan's two kinds), and runs with bound parameters: building it cost more than
    running it."""
    values = _values(action, entity_type, entity_id, details=details, reason=reason, user=user)
    columns = tuple(row)
    # Core statements on the session's connection: nothing of the ORM's to flush or to track (the
    # caller has flushed what the row refers to).
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        row_id = int(connection.execute(row_insert(table, columns), row).scalar_one())
        if id_detail is not None:
            values["details"] = {**values["details"], id_detail: row_id}
        connection.execute(_entry_insert(), values)
        return row_id
    parameters = {**row, **{f"{ENTRY_PREFIX}{name}": value for name, value in values.items()}}
    return int(connection.execute(_insert_both(table, columns, id_detail), parameters).scalar_one())


#: The entry's parameters in `insert_with`'s one statement (the row's may share their names).
ENTRY_PREFIX = "audit_"


@cache
def _entry_insert() -> Insert:
    return insert(AuditEntry.__table__)  # type: ignore[arg-type]


@cache
def _insert_both(table: Table, columns: tuple[str, ...], id_detail: str | None) -> Insert:
    row = row_insert(table, columns).cte("audited_row")
    entry_columns = AuditEntry.__table__.c
    names = ("at", "user_id", "action", "entity_type", "entity_id", "reason")
    written: Any = bindparam(f"{ENTRY_PREFIX}details", type_=postgresql.JSONB)
    if id_detail is not None:
        written = written.op("||")(func.jsonb_build_object(id_detail, row.c.id))
    entry = select(
        *(bindparam(f"{ENTRY_PREFIX}{name}", type_=entry_columns[name].type) for name in names),
        cast(written, entry_columns["details"].type),
    ).select_from(row)
    return (
        insert(AuditEntry.__table__)  # type: ignore[arg-type]
        .from_select([*names, "details"], entry)
        .add_cte(row)
        .returning(select(row.c.id).scalar_subquery())
    )


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


# ---- entries written outside of another use case ------------------------------------------------


def exported(
    filename: str, *, entity_type: str, entity_id: int | None, details: dict[str, Any] | None = None
) -> AuditEntry:
    """A patient list, report, order or audit extract was downloaded: who took what, when."""
    with transaction():
        return record("exported", entity_type, entity_id, details={"file": filename, **(details or {})})


def signed_in(user: User, *, via: str) -> AuditEntry:
    """A sign-in on the page (`via="page"`) or for an API token (`via="api"`)."""
    with transaction():
        return record("signed_in", "user", user.id, details={"via": via}, user=user)


def sign_in_failed(username: str, *, code: str, via: str) -> AuditEntry:
    """A refused sign-in (wrong password, unknown or locked user): the name typed, never the password."""
    typed = username.strip().lower()[:80]
    known = db.session.scalar(select(User.id).where(User.username == typed))
    with transaction():
        return record(
            "sign_in_failed",
            "user",
            known,
            details={"username": typed, "why": code, "via": via},
            user=None,
        )


# ---- reading the trail ---------------------------------------------------------------------------


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


def _newest_first(where: AuditFilter) -> Select[Any]:
    query = select(AuditEntry).options(joinedload(AuditEntry.user))
    return _filtered(query, where).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def entries(where: AuditFilter, *, page: int = 1, per_page: int = 50) -> tuple[list[AuditEntry], bool]:
    """A page of entries, newest first, and whether there is a next page (the API's `?page=`)."""
    query = _newest_first(where)
    rows = list(db.session.scalars(query.offset((page - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


@dataclass(frozen=True)
class AuditPage:
    """Entries newest first, with the cursors of the pages around them (None: no such page)."""

    rows: list[AuditEntry]
    older: int | None
    newer: int | None


def _position(entry_id: int) -> tuple[datetime, int] | None:
    at = db.session.scalar(select(AuditEntry.at).where(AuditEntry.id == entry_id))
    return None if at is None else (at, entry_id)


def _older_than(at: datetime, entry_id: int) -> Any:
    return or_(AuditEntry.at < at, and_(AuditEntry.at == at, AuditEntry.id < entry_id))


def _newer_than(at: datetime, entry_id: int) -> Any:
    return or_(AuditEntry.at > at, and_(AuditEntry.at == at, AuditEntry.id > entry_id))


def page_of(
    where: AuditFilter, *, before: int | None = None, after: int | None = None, per_page: int = 50
) -> AuditPage:
    """A page without OFFSET (keyset on at, id): the entries older than entry `before`, or newer than
    entry `after`, or the newest. As fast on the last page of a million entries as on the first."""
    anchor = _position(before or after or 0) if (before or after) else None
    if anchor is not None and after:
        query = _filtered(select(AuditEntry).options(joinedload(AuditEntry.user)), where)
        query = query.where(_newer_than(*anchor)).order_by(AuditEntry.at, AuditEntry.id)
        rows = list(db.session.scalars(query.limit(per_page + 1)))
        more_newer = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
        if not rows:
            return page_of(where, per_page=per_page)
        return AuditPage(rows, older=rows[-1].id, newer=rows[0].id if more_newer else None)
    query = _newest_first(where)
    if anchor is not None:
        query = query.where(_older_than(*anchor))
    rows = list(db.session.scalars(query.limit(per_page + 1)))
    more_older = len(rows) > per_page
    rows = rows[:per_page]
    return AuditPage(
        rows,
        older=rows[-1].id if more_older and rows else None,
        newer=rows[0].id if anchor is not None and rows else None,
    )


def every_entry(where: AuditFilter, *, chunk: int = 500) -> Iterator[AuditEntry]:
    """Every entry of the filter, newest first, read a chunk at a time (for the CSV)."""
    cursor: tuple[datetime, int] | None = None
    while True:
        query = _newest_first(where)
        if cursor is not None:
            query = query.where(_older_than(*cursor))
        rows = list(db.session.scalars(query.limit(chunk)))
        yield from rows
        if len(rows) < chunk:
            return
        cursor = (rows[-1].at, rows[-1].id)


def count(where: AuditFilter) -> int:
    return int(db.session.scalar(_filtered(select(func.count(AuditEntry.id)), where)) or 0)


def acting_user_id(user: User | None = None) -> int | None:
    """Who is acting: the user given, else the signed-in user, else nobody (the CLI, demo data)."""
    return _acting_user_id(user)


# ---- what an entry says, for a person ------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One line of an entry's details: "field: before → after", or "field: value" (before is None)."""

    field: str
    after: str
    before: str | None = None

    def __str__(self) -> str:
        if self.before is None:
            return f"{self.field}: {self.after}"
        return f"{self.field}: {self.before} → {self.after}"


def action_label(action: str) -> str:
    from inventory.names import AUDIT_ACTION_LABELS, label

    return label(AUDIT_ACTION_LABELS, action)


def entity_label(entity_type: str) -> str:
    from inventory.names import ENTITY_LABELS, label

    return label(ENTITY_LABELS, entity_type)


def _field_label(name: str) -> str:
    from inventory.names import FIELD_LABELS

    if name in FIELD_LABELS:
        return str(FIELD_LABELS[name])
    for suffix in ("_minor", "_ul", "_id"):
        name = name.removesuffix(suffix)
    return name.replace("_", " ")


def _status_word(entity_type: str, value: str) -> str:
    from inventory import names

    labels: dict[str, Any] = {
        "batch": names.BATCH_STATUS_LABELS,
        "syringe": names.SYRINGE_STATUS_LABELS,
        "vial": names.VIAL_STATUS_LABELS,
        "lot": names.LOT_STATUS_LABELS,
    }
    if entity_type == "purchase_order":
        return names.label(names.ORDER_STATUS_LABELS, value)
    return names.label(labels.get(entity_type, {}), value)


def _value_text(name: str, value: Any, entity_type: str = "") -> str:
    """A stored detail value as a person reads it: money with its currency, volumes in mL, instants
    in the clinic's time zone, yes/no, lists and nested records spelled out."""
    from flask_babel import format_datetime
    from flask_babel import gettext as _

    from inventory.formatting import format_money, format_volume

    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, int) and name.endswith("_minor"):
        return format_money(value)
    if isinstance(value, int) and name.endswith("_ul"):
        return format_volume(value)
    if isinstance(value, list):
        return ", ".join(_value_text(name, item, entity_type) for item in value) or "—"
    if isinstance(value, dict):
        return "(" + "; ".join(str(change) for change in detail_lines(value, entity_type)) + ")"
    if isinstance(value, str):
        if name == "status":
            return _status_word(entity_type, value)
        if len(value) > 19 and value[10:11] == "T":
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                return value
            if moment.tzinfo is not None:
                return str(format_datetime(moment, "yyyy-MM-dd HH:mm"))
    return str(value)


def detail_lines(details: dict[str, Any], entity_type: str = "") -> list[Change]:
    def change(field: str, before: Any, after: Any) -> Change:
        return Change(
            _field_label(field),
            _value_text(field, after, entity_type),
            _value_text(field, before, entity_type),
        )

    lines = []
    for name, value in details.items():
        if name == "changed" and isinstance(value, dict):
            for field, pair in value.items():
                if isinstance(pair, list) and len(pair) == 2:
                    lines.append(change(field, pair[0], pair[1]))
                else:
                    lines.append(Change(_field_label(field), _value_text(field, pair, entity_type)))
        elif name == "status" and isinstance(value, list) and len(value) == 2:
            lines.append(change(name, value[0], value[1]))
        else:
            lines.append(Change(_field_label(name), _value_text(name, value, entity_type)))
    return lines


def describe(entry: AuditEntry) -> list[Change]:
    """The one place that turns an entry's details into lines for pages and the CSV (never a dict)."""
    return detail_lines(entry.details or {}, entry.entity_type)
