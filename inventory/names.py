"""Translated names of the enum values: one place for pages and for the messages services write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from inventory.models import (
    BatchStatus,
    Indication,
    LotStatus,
    ProductCategory,
    Role,
    SyringeStatus,
    VialStatus,
)
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
INDICATION_LABELS = {
    Indication.SKIN: _l("Skin"),
    Indication.HAIR: _l("Hair"),
    Indication.CELLULITE: _l("Cellulite"),
    Indication.FAT: _l("Localised fat"),
    Indication.OTHER: _l("Other"),
}
VIAL_STATUS_LABELS = {
    VialStatus.SEALED: _l("sealed"),
    VialStatus.OPEN: _l("open"),
    VialStatus.EMPTY: _l("empty"),
    VialStatus.DISCARDED: _l("discarded"),
}
LOT_STATUS_LABELS = {
    LotStatus.AVAILABLE: _l("available"),
    LotStatus.QUARANTINED: _l("quarantined"),
    LotStatus.RECALLED: _l("recalled"),
}
#: Why a vial cannot be drawn now (rules.expiry.vial_blocked_reason).
BLOCK_LABELS = {
    "expired": _l("expired"),
    "in_use_limit": _l("past its in-use limit"),
    "quarantined": _l("quarantined"),
    "recalled": _l("recalled"),
    "temperature_hold": _l("on temperature hold"),
}
BATCH_STATUS_LABELS = {
    BatchStatus.AWAITING_VERIFICATION: _l("Awaiting verification"),
    BatchStatus.RELEASED: _l("Released"),
    BatchStatus.QUARANTINED: _l("Quarantined"),
}
SYRINGE_STATUS_LABELS = {
    SyringeStatus.AWAITING_VERIFICATION: _l("Awaiting verification"),
    SyringeStatus.AVAILABLE: _l("Available"),
    SyringeStatus.ADMINISTERED: _l("Administered"),
    SyringeStatus.DISCARDED: _l("Discarded"),
}

#: Our own codes (domain.md §4.1), as a word inside a sentence.
CODE_KIND_LABELS = {"syringe": _l("syringe"), "vial": _l("vial"), "batch": _l("batch")}


def label(labels: Mapping[Any, Any], value: str | None) -> str:
    """The translated name of an enum value; the value itself when it has none."""
    return "" if value is None else str(labels.get(value, value))
