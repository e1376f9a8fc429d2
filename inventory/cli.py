"""Command line: `flask --app wsgi users …` and `flask --app wsgi demo …`."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from inventory.errors import DomainError
from inventory.models import Role

users_cli = AppGroup("users", help="Create and list users.")
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


@demo_cli.command("load")
def load_demo() -> None:
    """Demo users (one per role) and the demo catalogue; does nothing when already loaded."""
    from inventory.demo import DEMO_USERS, load

    if not load():
        click.echo("Demo data is already loaded.")
    click.echo("Demo logins (demo only: change or deactivate them for real use):")
    for username, password, _roles, _name in DEMO_USERS:
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
    from inventory.database import optimize
    from inventory.extensions import db

    optimize(db.session.connection())  # statistics for the planner after a bulk load
    db.session.commit()
    summary = ", ".join(f"{value} {name}" for name, value in vars(counts).items())
    click.echo(f"Generated {summary} in {time.perf_counter() - started:.1f} s.")


def register_commands(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
