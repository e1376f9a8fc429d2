"""Realistic demo data (domain.md §5), loaded once by `flask --app wsgi demo load`."""

from __future__ import annotations

from importlib import import_module

from inventory.demo.catalogue import DEMO_USERS, is_loaded

# Each part stands on the ones before it: stock needs the catalogue, batches need stock, and so on.
PARTS = (
    ("catalogue", "load"),
    ("coldchain", "load_units"),
    ("stock", "load"),
    ("clinic", "load"),
    ("compounding", "load"),
    ("clinic", "load_administrations"),
    ("trace", "load"),
    ("manager", "load"),
    ("coldchain", "load"),
)

__all__ = ["DEMO_USERS", "is_demo_install", "is_loaded", "load"]


def is_demo_install() -> bool:
    """The demo catalogue is in this database: every page says it is not for patients."""
    from sqlalchemy import select

    from inventory.extensions import db
    from inventory.models import Product

    return db.session.scalar(select(Product.id).where(Product.is_demo.is_(True)).limit(1)) is not None


def load() -> dict[str, str] | None:
    """Load every part of the demo once: the demo users' generated passwords (shown once, kept
    nowhere but as hashes), or None when the database already has users."""
    if is_loaded():
        return None
    passwords: dict[str, str] = {}
    for module, function in PARTS:
        passwords.update(getattr(import_module(f"inventory.demo.{module}"), function)() or {})
    return passwords
