"""The clinic pharmacy: vial lots → cocktails → syringes → patients."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from inventory.config import INSTANCE, ROOT, STATIC_DEFAULTS, from_environment


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(INSTANCE),
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    app.config.update(STATIC_DEFAULTS)
    app.config.update(from_environment())
    if config:
        app.config.update(config)
    _check_settings(app)
    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    return app


def _check_settings(app: Flask) -> None:
    """A wrong setting stops the start with its name, not the first page that uses it."""
    from babel.numbers import list_currencies

    from inventory.rules.errors import RuleError
    from inventory.rules.money import check_currency

    try:
        app.config["CLINIC_CURRENCY"] = check_currency(app.config["CLINIC_CURRENCY"], list_currencies())
    except RuleError as error:
        raise RuntimeError(f"CLINIC_CURRENCY: {error}") from None


def register_extensions(app: Flask) -> None:
    from inventory import models  # noqa: F401 - the models must be known before migrations
    from inventory.database import configure_engine, register_request_transactions
    from inventory.extensions import babel, csrf, db, login_manager, migrate
    from inventory.web.i18n import select_locale, select_timezone

    register_request_transactions(app)  # first, before any other hook reads the database
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    login_manager.init_app(app)
    with app.app_context():
        configure_engine(db.engine, busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"])


def register_blueprints(app: Flask) -> None:
    from inventory.web import register_web, server

    register_web(app)
    server.register(app)


def register_cli(app: Flask) -> None:
    from inventory.cli import register_commands

    register_commands(app)
