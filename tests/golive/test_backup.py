"""Backups that restore (issue 14 §4): create while writes go on, verify in a scratch database, restore
into an empty database only; nothing committed before the backup's moment is lost. Both databases."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from flask import Flask

from inventory import create_app
from inventory.errors import Conflict
from inventory.extensions import db as _db
from inventory.models import AuditEntry
from inventory.services import audit, transaction
from inventory.services import backup as backup_service
from tests.conftest import BASE_CONFIG
from tests.support import fresh_database

WRITERS = 2


def _write_until(app: Flask, writer: int, stop: threading.Event, committed: list[int]) -> None:
    """Append numbered audit entries one transaction at a time; `committed[writer]` is the last one."""
    with app.app_context():
        seq = 0
        while not stop.is_set():
            seq += 1
            with transaction():
                audit.record("backup_test_write", "test", writer, details={"seq": seq})
            committed[writer] = seq
        _db.session.remove()


def _sequences(app: Flask) -> dict[int, list[int]]:
    with app.app_context():
        rows = _db.session.scalars(
            _db.select(AuditEntry).where(AuditEntry.action == "backup_test_write")
        ).all()
        by_writer: dict[int, list[int]] = {}
        for row in rows:
            by_writer.setdefault(row.entity_id, []).append(row.details["seq"])
        _db.session.remove()
        return {writer: sorted(seqs) for writer, seqs in by_writer.items()}


def test_backup_round_trip_while_writes_go_on_loses_nothing_before_its_moment(app, tmp_path):
    stop = threading.Event()
    committed = [0] * WRITERS
    threads = [threading.Thread(target=_write_until, args=(app, n, stop, committed)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    try:
        while min(committed) < 20:
            time.sleep(0.01)
        before = list(committed)
        path = backup_service.create_backup(tmp_path / "backups")
        after = list(committed)
        time.sleep(0.1)  # more writes after the backup
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert min(committed[n] - after[n] for n in range(WRITERS)) > 0, "writes went on after the backup"

    verification = backup_service.verify_backup(path)
    assert verification.ok, verification.problems
    assert verification.found["audit_entries"] == verification.expected["audit_entries"]

    (tmp_path / "restore").mkdir()
    with fresh_database(tmp_path / "restore") as url:
        target = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        with target.app_context():
            result = backup_service.restore_backup(path)
            assert result.ok, result.problems
        restored = _sequences(target)
        with target.app_context():
            _db.engine.dispose()
    for writer in range(WRITERS):
        seqs = restored[writer]
        # A consistent snapshot: every entry up to its moment, no gap, nothing from after it.
        assert seqs == list(range(1, len(seqs) + 1))
        assert before[writer] <= len(seqs) <= after[writer]


def test_backup_restore_refuses_a_database_that_is_not_empty(app, db, tmp_path):
    with transaction():
        audit.record("something", "test", 1)
    path = backup_service.create_backup(tmp_path)
    with pytest.raises(Conflict) as refused:
        backup_service.restore_backup(path)
    assert refused.value.code == "database_not_empty"


def test_backup_cli_keeps_the_newest_n_and_verify_finds_a_damaged_manifest(app, tmp_path):
    runner = app.test_cli_runner()
    made = []
    for _ in range(3):
        result = runner.invoke(args=["backup", "create", "--to", str(tmp_path), "--keep", "2"])
        assert result.exit_code == 0, result.output
        made.append(Path(result.output.strip()))
    kept = sorted(p for p in tmp_path.iterdir() if not p.name.endswith(".json"))
    assert kept == sorted(made[1:])
    ok = runner.invoke(args=["backup", "verify", str(made[-1])])
    assert ok.exit_code == 0, ok.output
    assert "verified" in ok.output, ok.output
    manifest = backup_service.manifest_path(made[-1])
    manifest.write_text(manifest.read_text().replace('"users": 0', '"users": 7'))
    damaged = runner.invoke(args=["backup", "verify", str(made[-1])])
    assert damaged.exit_code != 0
    assert "users: 7 rows in the manifest, 0 restored" in damaged.output
