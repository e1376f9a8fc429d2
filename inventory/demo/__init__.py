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

__all__ = ["DEMO_USERS", "is_loaded", "load"]


def load() -> bool:
    """Load every part of the demo once; False when the database already has users."""
    if is_loaded():
        return False
    for module, function in PARTS:
        getattr(import_module(f"inventory.demo.{module}"), function)()
    return True
