"""Locale and formatting: dates, times, volumes and money in the clinic's locale and zone."""

from __future__ import annotations

from functools import cache
from typing import Any

from babel import Locale
from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user

from inventory.formatting import currency, format_amount, format_money, format_volume, format_when


def select_locale() -> Locale:
    """The user's language, else the browser's best match, else the clinic's (Flask-Babel asks once a
    request, at the first translated string)."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return _locale(str(current_app.config["DEFAULT_LOCALE"]))
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return _locale(str(current_user.locale))
    chosen = request.accept_languages.best_match(list(languages)) or current_app.config["DEFAULT_LOCALE"]
    return _locale(str(chosen))


@cache
def _locale(name: str) -> Locale:
    """A locale parsed once: Flask-Babel would parse the name again at every request (the scan's)."""
    return Locale.parse(name)


def select_timezone() -> str:
    return str(current_app.config["CLINIC_TIMEZONE"])


def register(app: Flask) -> None:
    app.add_template_filter(format_volume, "ml")
    app.add_template_filter(format_money, "money")
    app.add_template_filter(format_amount, "amount")
    app.add_template_filter(format_when, "when")
    _register_globals(app)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        from inventory.permissions import Permission, can
        from inventory.web.navigation import nav_items

        return {
            "nav_items": nav_items,
            "get_locale": get_locale,
            "can": lambda permission: can(current_user, Permission(permission)),
            "clinic_name": current_app.config["CLINIC_NAME"],
            "currency": currency(),
            "languages": current_app.config["LANGUAGES"],
        }


def _register_globals(app: Flask) -> None:
    """Globals (seen by imported macros too): the usability flags and the names of enum values."""
    from inventory.names import template_labels
    from inventory.services.usability import template_flags

    app.jinja_env.globals.update(template_flags())
    app.jinja_env.globals.update(template_labels())
