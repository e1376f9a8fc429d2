"""Engine set-up: SQLite safe for concurrent writers, and reads that never wait for them.

SQLite ignores FOR UPDATE and Python's sqlite3 begins transactions lazily, so every transaction that may
write begins IMMEDIATE (SQLAlchemy's documented recipe): two nurses drawing from one vial queue on the
write lock instead of both reading the old remaining volume.

A request that only reads (GET, HEAD, OPTIONS) begins a plain deferred transaction instead: in WAL mode
it reads a snapshot without ever taking the write lock, so a manager's heavy page cannot make the scan
at the chair wait. A writer that still cannot get the lock within the busy timeout is answered 503
(`database_busy`, see `is_busy`), never a 500.

On PostgreSQL a transaction that ran nothing but SELECTs ends with COMMIT, not ROLLBACK (the same outcome:
there is nothing to undo): psycopg forgets every prepared statement of the connection at a ROLLBACK and
sends DEALLOCATE ALL, so each page (a GET ends its read transaction with a rollback) made the next scan
plan its statements afresh: a blocked scan took 11.7 ms instead of 6.6 (issue 16). Any other statement
(a write, a savepoint) and the transaction is rolled back as before.

Planner statistics are kept up by the app: `optimize` after every migration, and on SQLite
`PRAGMA optimize` at most once per `OPTIMIZE_EVERY_SECONDS` at the start of a write transaction. After
a bulk load (`demo generate`), `after_bulk_load` also vacuums PostgreSQL's tables.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, g, has_app_context, request
from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import OperationalError

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPTIMIZE_EVERY_SECONDS = 3600.0
# Rows ANALYZE looks at per index when it runs from the app: statistics good enough for the planner
# in milliseconds, whatever the size of the tables.
ANALYSIS_LIMIT = 1000
# Statements psycopg keeps prepared per PostgreSQL connection (its default is 100; the manager's pages
# run a few hundred distinct ones, the scan a dozen).
PREPARED_MAX = 1000

_last_optimized = {"at": time.monotonic()}


def configure_engine(engine: Engine, *, busy_timeout_ms: int) -> None:
    if engine.dialect.name == "postgresql":
        _keep_prepared_statements(engine)
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if read_only_request():
            connection.exec_driver_sql("BEGIN")
            return
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        if time.monotonic() - _last_optimized["at"] >= OPTIMIZE_EVERY_SECONDS:
            _last_optimized["at"] = time.monotonic()
            _sqlite_optimize(connection)


def _keep_prepared_statements(engine: Engine) -> None:
    """End a transaction that only read with COMMIT, so that psycopg keeps its prepared statements;
    and keep more of them than psycopg's 100 (`PREPARED_MAX`), so that a few heavy pages between two
    scans do not push the scan's statements out."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.prepared_max = PREPARED_MAX

    @event.listens_for(engine, "begin")
    def _reading(connection: Connection) -> None:
        connection.info["only_read"] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _watch(connection: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if connection.info.get("only_read") and statement.lstrip()[:6].upper() != "SELECT":
            connection.info["only_read"] = False

    @event.listens_for(engine, "rollback")
    def _commit_reads(connection: Connection) -> None:
        if connection.info.pop("only_read", False):
            connection.connection.dbapi_connection.commit()  # type: ignore[union-attr]
            # psycopg's rollback that follows finds no transaction: it sends nothing, forgets nothing.


def register_request_transactions(app: Flask) -> None:
    """Mark each request read-only or not before anything else of it touches the database."""

    @app.before_request
    def _mark_read_only() -> None:
        g.read_only_transaction = request.method in READ_METHODS


def read_only_request() -> bool:
    """True inside a GET, HEAD or OPTIONS request (as dispatched by the app, not a bare test context)."""
    return has_app_context() and bool(g.get("read_only_transaction", False))


def is_busy(error: BaseException) -> bool:
    """SQLite's lock could not be had within the busy timeout (or a read snapshot could not be upgraded)."""
    if not isinstance(error, OperationalError):
        return False
    message = str(error.orig).lower()
    return "database is locked" in message or "database is busy" in message


def optimize(connection: Connection) -> None:
    """Fresh planner statistics: after migrations, and after a bulk load such as `demo generate`."""
    if connection.dialect.name == "sqlite":
        _sqlite_optimize(connection, analyze_all=True)
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE")


def after_bulk_load(engine: Engine) -> None:
    """Statistics after a bulk load, and on PostgreSQL a VACUUM: it marks the new rows visible to every
    transaction, without which PostgreSQL reads the table's rows behind an index-only plan (the lot
    trace's counts and patients took 9–11 ms instead of 3–4 at five years). Autovacuum would get there
    later, or never where it is turned off. VACUUM cannot run in a transaction: its own connection."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM (ANALYZE)")
        else:
            optimize(connection)
            connection.commit()


def _sqlite_optimize(connection: Connection, *, analyze_all: bool = False) -> None:
    connection.exec_driver_sql(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
    # PRAGMA optimize only re-analyses tables whose statistics it judges stale (or missing, from 3.46);
    # after a migration every table is analysed so that a new index is known at once.
    connection.exec_driver_sql("ANALYZE" if analyze_all else "PRAGMA optimize")
