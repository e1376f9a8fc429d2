"""COLD-01: the migration turns every free-text vial location into a storage unit and keeps the text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.support import fresh_database

ROOT = Path(__file__).resolve().parent.parent.parent
NOW = "2026-03-10 09:00:00"


def _flask(url: str, *args: str) -> None:
    env = {"DATABASE_URL": url, "PATH": str(Path(sys.executable).parent), "SECRET_KEY": "x"}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _old_stock(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, username, display_name, initials, password_hash, active, created_at) "
                "VALUES (1, 'n', 'N', 'N', 'x', true, :now)"
            ),
            {"now": NOW},
        )
        for product_id, storage in ((1, "room"), (2, "fridge")):
            connection.execute(
                text(
                    "INSERT INTO products (id, name, category, strength, container, volume_ul, storage,"
                    " sterile, biological, reorder_point, reorder_quantity, lead_time_days, unit_cost_minor,"
                    " active,"
                    " is_demo, created_at, updated_at) VALUES (:id, :name, 'vitamin', '', 'multi_dose', 1000,"
                    " :storage, true, false, 0, 0, 0, 0, true, false, :now, :now)"
                ),
                {"id": product_id, "name": f"P{product_id}", "storage": storage, "now": NOW},
            )
            connection.execute(
                text(
                    "INSERT INTO lots (id, product_id, number, expiry, status, created_at)"
                    " VALUES (:id, :id, 'L', '2027-01-31', 'available', :now)"
                ),
                {"id": product_id, "now": NOW},
            )
            connection.execute(
                text(
                    "INSERT INTO receipts (id, lot_id, received_at, received_by_id, supplier,"
                    " unit_cost_minor, vial_count) VALUES (:id, :id, :now, 1, '', 0, 2)"
                ),
                {"id": product_id, "now": NOW},
            )
        vials = [
            (1, 1, "Shelf A"),
            (2, 1, "Shelf A"),
            (3, 2, "Fridge B, shelf 2"),
            (4, 1, ""),
            (5, 2, ""),
        ]
        for vial_id, lot_id, location in vials:
            connection.execute(
                text(
                    "INSERT INTO vials (id, code, lot_id, receipt_id, status, initial_ul, remaining_ul,"
                    " waste_ul, waste_cost_minor, location)"
                    " VALUES (:id, :code, :lot, :lot, 'sealed', 1000, 1000, 0, 0,"
                    " :location)"
                ),
                {"id": vial_id, "code": f"V{vial_id}", "lot": lot_id, "location": location},
            )
    engine.dispose()


def test_cold_01_migration_makes_units_of_the_locations_and_keeps_the_shelf_text(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        _flask(url, "db", "upgrade", "b1735bd037dc")
        _old_stock(url)
        _flask(url, "db", "upgrade")
        engine = create_engine(url)
        with engine.connect() as connection:
            units = {
                name: (kind, low, high)
                for name, kind, low, high in connection.execute(
                    text("SELECT name, kind, min_dc, max_dc FROM storage_units")
                )
            }
            placed: dict[int, str] = dict(
                connection.execute(
                    text("SELECT v.id, u.name FROM vials v JOIN storage_units u ON u.id = v.storage_unit_id")
                ).all()
            )
            locations: dict[int, str] = dict(connection.execute(text("SELECT id, location FROM vials")).all())
        engine.dispose()
    assert units == {
        "Shelf A": ("room", 200, 250),
        "Fridge B, shelf 2": ("fridge", 20, 80),
        "Room": ("room", 200, 250),
        "Fridge": ("fridge", 20, 80),
    }
    assert placed == {1: "Shelf A", 2: "Shelf A", 3: "Fridge B, shelf 2", 4: "Room", 5: "Fridge"}
    assert locations[3] == "Fridge B, shelf 2"
