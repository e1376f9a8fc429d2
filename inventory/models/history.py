"""Traceability rows are history: the database itself refuses UPDATE and DELETE on them (SAFE-10).

A trigger on every table whose rows record what happened, on SQLite and PostgreSQL alike. Tables whose
rows legitimately change state (vials, syringes, batches, lots, orders, recall follow-up status) are
not here: their changes are appended to the audit trail, which is.

What this protects against: the application (a bug, a careless service), an ad-hoc `UPDATE` or
`DELETE` typed into a database console. What it cannot protect against: whoever may change the schema
(drop the trigger). On PostgreSQL run the app with a role that does not own the tables to close that
too; `TRUNCATE` is refused by a statement trigger, and only a superuser can switch triggers off for a
session (`session_replication_role = replica`), which is what the test suite's cleanup does.
On SQLite anyone who can write the file can drop a trigger; the test cleanup drops and recreates them.

The same statements serve `create_all` (tests, benchmarks: attached to the metadata below) and the
migration (which passes the table list as it stood at its revision).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event

from inventory.extensions import Model

#: Rows that record what happened: who did what to which vial, syringe, patient, when.
HISTORY_TABLES = (
    "audit_entries",
    "administrations",
    "scan_attempts",
    "identity_checks",
    "draws",
    "receipts",
    "label_prints",
    "stock_count_scans",
    "purchase_order_receipts",
    "administration_voids",
    "administration_corrections",
    "adverse_event_updates",
    "vial_label_prints",
)

PG_FUNCTION = "refuse_history_change"


def protect_statements(dialect: str, tables: Iterable[str] = HISTORY_TABLES) -> list[str]:
    """DDL that makes the tables append-only on this dialect ("sqlite" or "postgresql")."""
    if dialect == "postgresql":
        statements = [
            f"""CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$"""
        ]
        for table in tables:
            statements += [
                f'CREATE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}" '
                f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()",
                f'CREATE TRIGGER "{table}_no_truncate" BEFORE TRUNCATE ON "{table}" '
                f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()",
            ]
        return statements
    if dialect == "sqlite":
        return [
            f'CREATE TRIGGER "{table}_no_{verb.lower()}" BEFORE {verb} ON "{table}" '
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
            for table in tables
            for verb in ("UPDATE", "DELETE")
        ]
    return []


def unprotect_statements(dialect: str, tables: Iterable[str] = HISTORY_TABLES) -> list[str]:
    """The reverse of `protect_statements` (a migration's downgrade, the test cleanup on SQLite)."""
    if dialect == "postgresql":
        statements = [
            f'DROP TRIGGER IF EXISTS "{table}_{name}" ON "{table}"'
            for table in tables
            for name in ("append_only", "no_truncate")
        ]
        return [*statements, f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()"]
    if dialect == "sqlite":
        return [
            f'DROP TRIGGER IF EXISTS "{table}_no_{verb}"' for table in tables for verb in ("update", "delete")
        ]
    return []


@event.listens_for(Model.metadata, "after_create")
def _protect_after_create(target: Any, connection: Any, **_kw: Any) -> None:
    """`create_all` makes the same database as the migrations: history protected (again, when it runs
    on a database that has the tables already)."""
    from sqlalchemy import text

    dialect = connection.dialect.name
    for statement in [*unprotect_statements(dialect), *protect_statements(dialect)]:
        connection.execute(text(statement))
