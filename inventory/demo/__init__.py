"""Realistic demo data (domain.md §5), loaded once by `flask --app wsgi demo load`."""

from __future__ import annotations

from inventory.demo.catalogue import DEMO_USERS, is_loaded
from inventory.demo.catalogue import load as load_catalogue

__all__ = ["DEMO_USERS", "is_loaded", "load"]


def load() -> bool:
    """Load every part of the demo once; False when the database already has users."""
    if is_loaded():
        return False
    load_catalogue()
    return True
