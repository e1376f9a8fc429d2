"""SAFE-10: history rows are never edited or deleted, and the database itself refuses it (raw SQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, exc, inspect, text

from inventory.extensions import db
from inventory.models import AuditEntry, Receipt, history
from inventory.services import audit
from tests import factories

#: One row of each history table, made the way the app makes them.


@pytest.fixture
def rows(app: Any) -> dict[str, int]:
    session = factories.SessionFactory()
    syringe = factories.SyringeFactory()
    administration = factories.AdministrationFactory(session=session, syringe=syringe)
    vial = factories.VialFactory()
    draw = factories.DrawFactory(vial=vial)
    with app.test_request_context():
        entry = audit.record("product_created", "product", None, details={"name": "x"})
    db.session.flush()
    db.session.execute(
        text(
            "INSERT INTO scan_attempts (session_id, user_id, scanned_at, raw, verdict, reasons) "
            "VALUES (:session, :user, :at, 'S1', 'blocked', '[]')"
        ),
        {"session": session.id, "user": session.practitioner_id, "at": datetime(2026, 1, 1, tzinfo=UTC)},
    )
    db.session.commit()
    return {
        "audit_entries": entry.id,
        "administrations": administration.id,
        "draws": draw.id,
        "receipts": vial.receipt_id,
        "scan_attempts": int(db.session.scalar(text("SELECT max(id) FROM scan_attempts")) or 0),
    }


SETS = {
    "audit_entries": "action = 'forged'",
    "administrations": "volume_ul = 1",
    "draws": "volume_ul = 1",
    "receipts": "supplier = 'forged'",
    "scan_attempts": "verdict = 'ok'",
}


@pytest.mark.parametrize("table", sorted(SETS))
def test_safe_10_raw_update_of_history_is_refused(db: Any, rows: dict[str, int], table: str) -> None:
    with pytest.raises(exc.DBAPIError, match="append-only"):
        db.session.execute(text(f"UPDATE {table} SET {SETS[table]} WHERE id = :id"), {"id": rows[table]})
    db.session.rollback()


@pytest.mark.parametrize("table", sorted(SETS))
def test_safe_10_raw_delete_of_history_is_refused(db: Any, rows: dict[str, int], table: str) -> None:
    with pytest.raises(exc.DBAPIError, match="append-only"):
        db.session.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": rows[table]})
    db.session.rollback()
    assert db.session.scalar(text(f"SELECT count(*) FROM {table} WHERE id = :id"), {"id": rows[table]}) == 1


def test_safe_10_an_orm_edit_of_an_audit_entry_is_refused(db: Any, rows: dict[str, int]) -> None:
    entry = db.session.get(AuditEntry, rows["audit_entries"])
    entry.reason = "rewritten"
    with pytest.raises(exc.DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    receipt = db.session.get(Receipt, rows["receipts"])
    db.session.delete(receipt)
    with pytest.raises(exc.DBAPIError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.postgres_only
def test_safe_10_truncate_of_history_is_refused_on_postgresql(db: Any, rows: dict[str, int]) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; DELETE without WHERE is refused by the row trigger")
    with pytest.raises(exc.DBAPIError, match="append-only"):
        db.session.execute(text("TRUNCATE audit_entries CASCADE"))
    db.session.rollback()


def test_safe_10_a_table_whose_rows_change_state_is_not_protected(db: Any, rows: dict[str, int]) -> None:
    """Vials move, open, empty: their rows change (the audit trail keeps what changed)."""
    db.session.execute(text("UPDATE vials SET location = 'shelf 2'"))
    db.session.commit()


def test_safe_10_every_history_table_has_its_triggers(db: Any) -> None:
    names = set(inspect(db.engine).get_table_names())
    assert set(history.HISTORY_TABLES) <= names
    if db.engine.dialect.name == "postgresql":
        query = "SELECT DISTINCT event_object_table FROM information_schema.triggers"
    else:
        query = "SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger'"
    assert set(db.session.scalars(text(query))) == set(history.HISTORY_TABLES)


def test_safe_10_the_migration_protects_the_same_tables(tmp_path: Any) -> None:
    """`flask db upgrade` on an empty database: raw UPDATE and DELETE refused there too."""
    import subprocess
    import sys
    from pathlib import Path

    from tests.support import fresh_database

    root = Path(__file__).resolve().parent.parent
    with fresh_database(tmp_path) as url:
        env = {"DATABASE_URL": url, "PATH": str(Path(sys.executable).parent), "SECRET_KEY": "x"}
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        engine = create_engine(url)
        try:
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO audit_entries (at, action, entity_type, details) "
                        "VALUES (:at, 'signed_in', 'user', '{}')"
                    ),
                    {"at": datetime(2026, 1, 1, tzinfo=UTC)},
                )
            for statement in ("UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries"):
                with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as connection:
                    connection.execute(text(statement))
        finally:
            engine.dispose()
