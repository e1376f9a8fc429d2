"""The migration to versioned recipes back-fills version 1 for every recipe and every batch (SAFE-10),
on both databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.support import fresh_database

ROOT = Path(__file__).resolve().parent.parent.parent
BEFORE = "b1735bd037dc"
NOW = "2026-01-05 10:00:00+00:00"


def _flask(url: str, *command: str) -> None:
    env = {"DATABASE_URL": url, "PATH": str(Path(sys.executable).parent), "SECRET_KEY": "x"}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _seed(url: str) -> None:
    """A recipe of two products and one batch of it, written as the schema before versions had them."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, username, display_name, initials, password_hash, active, created_at)"
                " VALUES (1, 'nurse', 'Nurse', 'NU', 'x', true, :now)"
            ),
            {"now": NOW},
        )
        for product_id, name in ((1, "Biotin 5 mg/mL 1 mL"), (2, "Dexpanthenol 2 mL")):
            connection.execute(
                text(
                    "INSERT INTO products (id, name, category, strength, container, volume_ul, storage,"
                    " sterile, biological, reorder_point, reorder_quantity, lead_time_days, unit_cost_minor,"
                    " active, is_demo, created_at, updated_at) VALUES (:id, :name, 'vitamin', '', 'ampoule',"
                    " 1000, 'room', true, false, 0, 0, 7, 100, true, false, :now, :now)"
                ),
                {"id": product_id, "name": name, "now": NOW},
            )
        connection.execute(
            text(
                "INSERT INTO recipes (id, name, indication, route, storage, notes, active, is_demo,"
                " created_at) VALUES (1, 'Hair cocktail', 'hair', 'intradermal', 'room', '', true, false,"
                " :now)"
            ),
            {"now": NOW},
        )
        for position, (product_id, volume) in enumerate(((1, 1000), (2, 2000))):
            connection.execute(
                text(
                    "INSERT INTO recipe_components (recipe_id, product_id, volume_ul, position)"
                    " VALUES (1, :product, :volume, :position)"
                ),
                {"product": product_id, "volume": volume, "position": position},
            )
        connection.execute(
            text(
                "INSERT INTO batches (id, code, recipe_id, category, storage, status, syringe_count,"
                " volume_per_syringe_ul, prepared_by_id, prepared_at, completed_at, bud) VALUES"
                " (1, 'B0000TEST', 1, 'category_1', 'room', 'released', 1, 3000, 1, :now, :now, :now)"
            ),
            {"now": NOW},
        )
    engine.dispose()


def test_safe_10_existing_recipes_and_batches_get_version_1(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        _flask(url, "db", "upgrade", BEFORE)
        _seed(url)
        _flask(url, "db", "upgrade")
        _flask(url, "db", "check")
        engine = create_engine(url)
        with engine.connect() as connection:
            versions = connection.execute(
                text("SELECT id, recipe_id, version, name, route, storage FROM recipe_versions")
            ).all()
            assert [tuple(row[1:]) for row in versions] == [(1, 1, "Hair cocktail", "intradermal", "room")]
            version_id = versions[0][0]
            assert connection.execute(text("SELECT version FROM recipes")).scalar_one() == 1
            components = connection.execute(
                text(
                    "SELECT recipe_version_id, product_id, volume_ul FROM recipe_components ORDER BY position"
                )
            ).all()
            assert [tuple(row) for row in components] == [(version_id, 1, 1000), (version_id, 2, 2000)]
            batch_version = connection.execute(text("SELECT recipe_version_id FROM batches")).scalar_one()
            assert batch_version == version_id
        engine.dispose()
