"""Backups that restore: a consistent copy while the app runs, a verification by restoring it into a
scratch database, and a restore into an empty database only.

- SQLite: the online backup API (`sqlite3.Connection.backup`), which copies a consistent snapshot
  while other connections write (WAL included). Copying the file instead loses what is still in the WAL.
- PostgreSQL: `pg_dump -Fc` inside an exported REPEATABLE READ snapshot, so the row counts in the
  manifest are those of the dump; `pg_restore` to verify and to restore.

Each backup has a manifest next to it (`<file>.json`): when, which database kind, the schema
revision, and the row count of every table at the backup's moment.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import URL, create_engine, make_url, text

from inventory import clock
from inventory.errors import Conflict, Invalid
from inventory.extensions import db

SUFFIX = {"sqlite": ".sqlite", "postgresql": ".dump"}
PREFIX = "clinic-"


@dataclass(frozen=True)
class Verification:
    file: Path
    integrity: str
    expected: dict[str, int]
    found: dict[str, int]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and not self.problems


def _url() -> URL:
    return make_url(str(db.engine.url.render_as_string(hide_password=False)))


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".json")


def read_manifest(backup: Path) -> dict[str, Any]:
    path = manifest_path(backup)
    if not path.exists():
        raise Invalid(
            "no_manifest",
            _("%(path)s is missing: not a backup made by `flask backup create`.", path=str(path)),
        )
    data: dict[str, Any] = json.loads(path.read_text())
    return data


# --- create ----------------------------------------------------------------------------------------


def create_backup(directory: Path, *, keep: int | None = None) -> Path:
    """A consistent backup of the app's database in `directory`, its manifest, and at most `keep`
    backups left there (the oldest go)."""
    directory.mkdir(parents=True, exist_ok=True)
    url = _url()
    kind = url.get_backend_name()
    if kind not in SUFFIX:
        raise Invalid("unsupported_database", _("No backup for %(kind)s databases.", kind=kind))
    stamp = clock.now().strftime("%Y%m%dT%H%M%S%fZ")
    target = directory / f"{PREFIX}{stamp}{SUFFIX[kind]}"
    partial = target.with_name(target.name + ".part")
    counts = _backup_sqlite(url, partial) if kind == "sqlite" else _backup_postgres(url, partial)
    os.replace(partial, target)
    manifest = {
        "created_at": clock.now().isoformat(),
        "database": kind,
        "revision": _revision_of(target, kind),
        "tables": counts,
    }
    manifest_path(target).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    if keep is not None:
        prune(directory, keep)
    return target


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups (and their manifests); the removed files."""
    if keep < 1:
        raise Invalid("invalid_keep", _("Keep at least one backup."))
    backups = sorted(
        (p for p in directory.iterdir() if p.name.startswith(PREFIX) and p.suffix in SUFFIX.values()),
        key=lambda p: p.name,
    )
    removed = backups[:-keep]
    for path in removed:
        path.unlink()
        manifest_path(path).unlink(missing_ok=True)
    return removed


def _sqlite_tables(connection: sqlite3.Connection) -> list[str]:
    rows = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    return [row[0] for row in rows]


def _sqlite_counts(connection: sqlite3.Connection) -> dict[str, int]:
    return {
        name: int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
        for name in _sqlite_tables(connection)
    }


def _sqlite_copy(source: str | Path, destination: str | Path) -> None:
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(destination)) as dst,
    ):
        src.backup(dst)


def _backup_sqlite(url: URL, target: Path) -> dict[str, int]:
    _sqlite_copy(str(url.database), target)
    with contextlib.closing(sqlite3.connect(target)) as copy:
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        return _sqlite_counts(copy)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise Conflict(
            "backup_failed",
            _("%(command)s failed: %(error)s", command=command[0], error=result.stderr.strip()[:2000]),
        )


def _postgres_counts(connection: Any) -> dict[str, int]:
    cursor = connection.cursor()
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    names = [row[0] for row in cursor.fetchall()]
    counts = {}
    for name in names:
        cursor.execute(f'SELECT count(*) FROM "{name}"')
        counts[name] = int(cursor.fetchone()[0])
    return counts


def _backup_postgres(url: URL, target: Path) -> dict[str, int]:
    """pg_dump inside the snapshot the counts were taken in."""
    dsn, env = _libpq(url)
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        row = cursor.fetchone()
        assert row is not None
        snapshot = row[0]
        counts = _postgres_counts(raw)
        _run(["pg_dump", "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(target), dsn], env)
        raw.rollback()
    finally:
        raw.close()
    return counts


def _revision_of(backup: Path, kind: str) -> str | None:
    if kind != "sqlite":
        return None
    with contextlib.closing(sqlite3.connect(backup)) as copy:
        if "alembic_version" not in _sqlite_tables(copy):
            return None
        row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


# --- verify ----------------------------------------------------------------------------------------


def _compare(expected: dict[str, int], found: dict[str, int]) -> list[str]:
    problems = []
    for name in sorted(set(expected) | set(found)):
        if name == "alembic_version":
            continue
        if expected.get(name) != found.get(name):
            problems.append(f"{name}: {expected.get(name)} rows in the manifest, {found.get(name)} restored")
    return problems


@contextlib.contextmanager
def _scratch_postgres(url: URL) -> Iterator[URL]:
    """A database of its own on the same server, dropped afterwards."""
    name = f"clinic_verify_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _restored_postgres_counts(url: URL) -> dict[str, int]:
    engine = create_engine(url)
    try:
        raw = engine.raw_connection()
        try:
            return _postgres_counts(raw)
        finally:
            raw.close()
    finally:
        engine.dispose()


def verify_backup(backup: Path) -> Verification:
    """Restore into a scratch database, check its integrity and compare row counts with the manifest."""
    manifest = read_manifest(backup)
    expected = {name: int(count) for name, count in manifest["tables"].items()}
    if manifest["database"] == "sqlite":
        with tempfile.TemporaryDirectory() as scratch:
            copy_path = Path(scratch) / "verify.sqlite"
            _sqlite_copy(backup, copy_path)
            with contextlib.closing(sqlite3.connect(copy_path)) as copy:
                integrity = "; ".join(row[0] for row in copy.execute("PRAGMA integrity_check"))
                broken_keys = copy.execute("PRAGMA foreign_key_check").fetchall()
                found = _sqlite_counts(copy)
        problems = _compare(expected, found)
        if broken_keys:
            problems.append(f"{len(broken_keys)} rows point at rows that do not exist")
        return Verification(backup, integrity, expected, found, problems)
    url = _url()
    with _scratch_postgres(url) as scratch:
        dsn, env = _libpq(scratch)
        try:
            _run(["pg_restore", "--no-owner", "--exit-on-error", "-d", dsn, str(backup)], env)
            integrity = "ok"
        except Conflict as error:
            return Verification(backup, error.message, expected, {}, [error.message])
        found = _restored_postgres_counts(scratch)
    return Verification(backup, integrity, expected, found, _compare(expected, found))


# --- restore ---------------------------------------------------------------------------------------


def current_counts() -> dict[str, int]:
    url = _url()
    if url.get_backend_name() == "sqlite":
        database = str(url.database)
        if not Path(database).exists():
            return {}
        with contextlib.closing(sqlite3.connect(database)) as connection:
            return _sqlite_counts(connection)
    raw = db.engine.raw_connection()
    try:
        counts = _postgres_counts(raw)
        raw.rollback()
        return counts
    finally:
        raw.close()


def restore_backup(backup: Path) -> Verification:
    """Restore into the app's database, which must be empty (no rows; an upgraded empty schema is
    fine); the restored row counts are compared with the manifest."""
    manifest = read_manifest(backup)
    url = _url()
    if manifest["database"] != url.get_backend_name():
        raise Invalid(
            "wrong_database",
            _(
                "This is a %(backup)s backup; the app uses %(app)s.",
                backup=manifest["database"],
                app=url.get_backend_name(),
            ),
        )
    rows = {name: count for name, count in current_counts().items() if name != "alembic_version" and count}
    if rows:
        raise Conflict(
            "database_not_empty",
            _(
                "The database is not empty (%(rows)s): restore into an empty database only.",
                rows=", ".join(f"{name}: {count}" for name, count in sorted(rows.items())),
            ),
        )
    db.session.remove()
    db.engine.dispose()
    expected = {name: int(count) for name, count in manifest["tables"].items()}
    if url.get_backend_name() == "sqlite":
        Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(backup, str(url.database))
        with contextlib.closing(sqlite3.connect(str(url.database))) as connection:
            integrity = "; ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
            found = _sqlite_counts(connection)
    else:
        dsn, env = _libpq(url)
        _run(
            ["pg_restore", "--no-owner", "--clean", "--if-exists", "--exit-on-error", "-d", dsn, str(backup)],
            env,
        )
        integrity = "ok"
        found = _restored_postgres_counts(url)
    return Verification(backup, integrity, expected, found, _compare(expected, found))
