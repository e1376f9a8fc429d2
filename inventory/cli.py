"""Command line: `flask --app wsgi users …`, `demo …` and `setup` (backups: inventory/backup_cli.py)."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup

from inventory.errors import DomainError
from inventory.models import Role

users_cli = AppGroup("users", help="Create, list, deactivate and unlock users; set a password.")
demo_cli = AppGroup("demo", help="Demo data for trying the app.")


@users_cli.command("create")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="A role; repeat for several.",
)
@click.option("--password", help="The password (or use --password-stdin).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--display-name", help="The name shown in the app; defaults to the username.")
@click.option("--initials", help="Initials printed on labels; derived from the name when omitted.")
def create_user(
    username: str,
    roles: tuple[str, ...],
    password: str | None,
    password_stdin: bool,
    display_name: str | None,
    initials: str | None,
) -> None:
    """Create USERNAME with one or more roles."""
    from inventory.services.auth import create_user as create

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.UsageError("give --password or --password-stdin")
    try:
        user = create(username, roles=roles, password=password, display_name=display_name, initials=initials)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"created {user.username} ({', '.join(sorted(user.roles))})")


@users_cli.command("list")
def list_users() -> None:
    """List users with their roles."""
    from inventory.extensions import db
    from inventory.models import User

    for user in db.session.scalars(db.select(User).order_by(User.username)):
        state = "" if user.active else " (inactive)"
        click.echo(f"{user.username}\t{', '.join(sorted(user.roles))}{state}")


def _password(password: str | None, from_stdin: bool, *, prompt: str = "Password") -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    if password is None:
        password = click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    if not password:
        raise click.UsageError("give --password, --password-stdin or type one")
    return password


def _user(username: str) -> Any:
    from inventory.services import auth

    try:
        return auth.find_user(username)
    except DomainError as error:
        raise click.ClickException(error.message) from None


@users_cli.command("deactivate")
@click.argument("username")
def deactivate_user(username: str) -> None:
    """Deactivate USERNAME: their sessions and tokens stop at once."""
    from inventory.services import auth

    try:
        auth.update_user(_user(username), active=False)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"deactivated {username}")


@users_cli.command("unlock")
@click.argument("username")
def unlock_user(username: str) -> None:
    """Lift the lock after too many failed sign-ins."""
    from inventory.services import auth

    auth.unlock(_user(username))
    click.echo(f"unlocked {username}")


@users_cli.command("set-password")
@click.argument("username")
@click.option("--password", help="The new password (or --password-stdin, or typed at the prompt).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--temporary/--final",
    default=True,
    show_default=True,
    help="Temporary: the user must choose a new one at next sign-in.",
)
def set_password(username: str, password: str | None, password_stdin: bool, temporary: bool) -> None:
    """Set USERNAME's password; every session and token of theirs ends."""
    from inventory.services import auth

    user = _user(username)
    try:
        auth.reset_password(user, _password(password, password_stdin), by_admin=temporary)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"password of {username} set" + (" (to be changed at next sign-in)" if temporary else ""))


@click.command("setup")
@click.option("--username", prompt="Administrator's username", help="The first administrator's username.")
@click.option("--name", "display_name", help="The name shown in the app.")
@click.option("--password", help="The password (or --password-stdin, or typed at the prompt).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def setup(username: str, display_name: str | None, password: str | None, password_stdin: bool) -> None:
    """A real install: the clinic's first administrator, with a password of their choosing, no demo data."""
    from inventory.services import auth

    try:
        user = auth.create_first_admin(
            username, _password(password, password_stdin), display_name=display_name
        )
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"created administrator {user.username}: sign in and add your colleagues under Accounts.")


@demo_cli.command("load")
def load_demo() -> None:
    """Demo users (one per role) and the demo catalogue; does nothing when the database has users.

    The demo passwords are generated now and printed once; they are stored only as hashes."""
    from inventory.demo import load

    passwords = load()
    if passwords is None:
        click.echo("The database already has users: no demo data loaded (demo passwords were shown once).")
        return
    click.echo("Demo logins, generated for this install and shown only now (demo data: not for patients):")
    for username, password in passwords.items():
        click.echo(f"  {username:<13} {password}")


@demo_cli.command("generate")
@click.option(
    "--years", default=3.0, show_default=True, help="How many years of clinic days, up to yesterday."
)
@click.option("--sessions", default=30000, show_default=True, help="Treatment sessions over those years.")
@click.option("--patients", type=int, help="Distinct patients; default one per 8 sessions.")
@click.option("--seed", default=1, show_default=True, help="Same seed, same dataset.")
def generate_demo(years: float, sessions: int, patients: int | None, seed: int) -> None:
    """A large realistic dataset (lots, vials, batches, syringes, sessions); needs `demo load` first."""
    import time

    from inventory.demo.generate import generate

    started = time.perf_counter()
    try:
        counts = generate(years=years, sessions=sessions, patients=patients, seed=seed, progress=click.echo)
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    from inventory.database import after_bulk_load
    from inventory.extensions import db

    db.session.commit()
    after_bulk_load(db.engine)
    summary = ", ".join(f"{value} {name}" for name, value in vars(counts).items())
    click.echo(f"Generated {summary} in {time.perf_counter() - started:.1f} s.")


def register_commands(app: Flask) -> None:
    from inventory.backup_cli import backup_cli
    from inventory.coldchain_cli import coldchain_cli

    app.cli.add_command(backup_cli)
    app.cli.add_command(coldchain_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(setup)
