"""`flask --app wsgi backup create|verify|restore`: see the README's "Backups" for a nightly schedule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from inventory.errors import DomainError

backup_cli = AppGroup("backup", help="Back up, verify and restore the database.")


def _report(verification: object) -> None:
    from inventory.services.backup import Verification

    assert isinstance(verification, Verification)
    for name, count in sorted(verification.found.items()):
        click.echo(f"  {name:<32} {count}")
    click.echo(f"integrity: {verification.integrity}")
    for problem in verification.problems:
        click.echo(f"PROBLEM: {problem}", err=True)


@backup_cli.command("create")
@click.option(
    "--to", "directory", type=click.Path(file_okay=False, path_type=Path), help="Directory (BACKUP_DIR)."
)
@click.option("--keep", type=click.IntRange(min=1), help="Keep only the newest N backups in that directory.")
def create(directory: Path | None, keep: int | None) -> None:
    """A consistent backup while the app runs (SQLite online backup API; PostgreSQL pg_dump -Fc)."""
    from inventory.services.backup import create_backup

    try:
        path = create_backup(directory or Path(current_app.config["BACKUP_DIR"]), keep=keep)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(str(path))


def _check(action: Callable[[Path], Any], file: Path, failure: str) -> None:
    """Run verify or restore, print the restored row counts, fail loudly on any difference."""
    try:
        result = action(file)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    _report(result)
    if not result.ok:
        raise click.ClickException(failure)


@backup_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify(file: Path) -> None:
    """Restore FILE into a scratch database, check its integrity and compare row counts."""
    from inventory.services.backup import verify_backup

    _check(verify_backup, file, "the backup did not verify")
    click.echo(f"{file}: verified")


@backup_cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(file: Path) -> None:
    """Restore FILE into the app's database, which must be empty."""
    from inventory.services.backup import restore_backup

    _check(restore_backup, file, "the restored database differs from the backup")
    click.echo(f"restored {file}")
