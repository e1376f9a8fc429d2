"""Translated names of the enum values, one place for pages to show them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from inventory.models import ProductCategory, Role
from inventory.rules.policy import Container, Storage

CATEGORY_LABELS = {
    ProductCategory.VITAMIN: _l("Vitamin"),
    ProductCategory.HYALURONIC_ACID: _l("Hyaluronic acid"),
    ProductCategory.ENZYME: _l("Enzyme"),
    ProductCategory.EXTRACT: _l("Plant extract"),
    ProductCategory.ANAESTHETIC: _l("Anaesthetic"),
    ProductCategory.DILUENT: _l("Diluent"),
    ProductCategory.OTHER: _l("Other"),
}
CONTAINER_LABELS = {
    Container.SINGLE_DOSE: _l("Single-dose vial"),
    Container.MULTI_DOSE: _l("Multi-dose vial"),
    Container.AMPOULE: _l("Ampoule"),
}
STORAGE_LABELS = {
    Storage.ROOM: _l("Room temperature (20–25 °C)"),
    Storage.FRIDGE: _l("Refrigerator (2–8 °C)"),
    Storage.FREEZER: _l("Freezer (−25 to −10 °C)"),
}
ROLE_LABELS = {
    Role.NURSE: _l("Nurse"),
    Role.PRACTITIONER: _l("Practitioner"),
    Role.MANAGER: _l("Manager"),
    Role.ADMIN: _l("Administrator"),
}
