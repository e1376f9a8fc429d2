"""The CLI of api.md, demo data, and migrations on an empty database of each kind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from inventory.models import Product, Recipe, User
from tests.support import fresh_database

ROOT = Path(__file__).resolve().parent.parent


def test_cli_creates_a_user_with_several_roles(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "elif",
            "--role",
            "practitioner",
            "--role",
            "manager",
            "--password",
            "s3cret-pass",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(db.select(User).where(User.username == "elif")).one()
    assert {str(role) for role in user.roles} == {"practitioner", "manager"}


def test_cli_reads_the_password_from_stdin(app, db):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "ayse", "--role", "nurse", "--password-stdin"], input="from-stdin-1\n"
    )
    assert result.exit_code == 0, result.output
    from tests.conftest import login

    assert login(app.test_client(), "ayse", "from-stdin-1").status_code == 302


def test_cli_refuses_a_short_password_and_an_unknown_role(app):
    runner = app.test_cli_runner()
    assert (
        runner.invoke(args=["users", "create", "x", "--role", "nurse", "--password", "short"]).exit_code != 0
    )
    assert (
        runner.invoke(args=["users", "create", "x", "--role", "pilot", "--password", "long-enough"]).exit_code
        != 0
    )


def test_demo_load_runs_once_and_prints_the_logins(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    printed = dict(line.split() for line in first.output.splitlines()[1:])
    assert set(printed) == {"nurse", "practitioner", "manager", "admin"}
    assert all(len(password) >= 15 and "demo" not in password for password in printed.values())
    from tests.conftest import login

    assert login(app.test_client(), "nurse", printed["nurse"]).status_code == 302
    products = db.session.scalar(db.select(db.func.count(Product.id)))
    assert products >= 17
    assert db.session.scalar(db.select(db.func.count(Recipe.id))) >= 3
    second = runner.invoke(args=["demo", "load"])
    assert "already has users" in second.output
    assert printed["nurse"] not in second.output  # shown once
    assert db.session.scalar(db.select(db.func.count(Product.id))) == products


def test_migrations_upgrade_an_empty_database_and_match_the_models(tmp_path):
    with fresh_database(tmp_path) as url:
        env = {"DATABASE_URL": url, "PATH": str(Path(sys.executable).parent), "SECRET_KEY": "x"}
        for command in (
            ["db", "upgrade"],
            ["db", "check"],
            ["users", "create", "a", "--role", "admin", "--password", "long-enough"],
        ):
            result = subprocess.run(
                [sys.executable, "-m", "flask", "--app", "wsgi", *command],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode == 0, result.stdout + result.stderr


def test_demo_generate_leaves_statistics_and_on_postgresql_vacuumed_tables(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    result = runner.invoke(args=["demo", "generate", "--years", "0.05", "--sessions", "40"])
    assert result.exit_code == 0, result.output
    assert "Generated" in result.output
    if db.engine.dialect.name == "postgresql":
        vacuumed = db.session.scalar(
            db.text("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'lot_exposures'")
        )
        assert vacuumed is not None  # index-only plans from the first request, not after autovacuum
    else:
        analysed = db.session.scalar(db.text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'draws'"))
        assert analysed
