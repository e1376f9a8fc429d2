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
    VoidReason,
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

#: Why a scanned syringe was not given (SAFE-14).
VOID_REASON_LABELS = {
    VoidReason.NOT_GIVEN: _l("Not injected"),
    VoidReason.WRONG_PATIENT: _l("Wrong patient"),
    VoidReason.DROPPED: _l("Dropped or contaminated"),
    VoidReason.OTHER: _l("Other"),
}

#: Our own codes (domain.md §4.1), as a word inside a sentence.
CODE_KIND_LABELS = {"syringe": _l("syringe"), "vial": _l("vial"), "batch": _l("batch")}


def label(labels: Mapping[Any, Any], value: str | None) -> str:
    """The translated name of an enum value; the value itself when it has none."""
    return "" if value is None else str(labels.get(value, value))


# ---- the audit trail -----------------------------------------------------------------------------

#: What an audit entry records, as the inspector reads it (tests/manager/test_audit.py proves that
#: every action the code writes has a label here).
AUDIT_ACTION_LABELS = {
    "adverse_event_recorded": _l("Adverse event recorded"),
    "batch_prepared": _l("Batch prepared"),
    "batch_quarantined": _l("Batch quarantined"),
    "batch_released": _l("Batch released"),
    "batch_storage_changed": _l("Batch storage changed"),
    "exported": _l("File downloaded"),
    "identity_confirmed": _l("Patient identity confirmed"),
    "labels_printed": _l("Labels printed"),
    "labels_reprinted": _l("Labels reprinted"),
    "locale_changed": _l("Language changed"),
    "login_locked": _l("Sign-in locked after failures"),
    "lot_created": _l("Lot created"),
    "lot_quarantined": _l("Lot quarantined"),
    "lot_recalled": _l("Lot recalled"),
    "lot_released": _l("Lot released from quarantine"),
    "password_changed": _l("Password changed"),
    "patient_created": _l("Patient registered"),
    "policy_changed": _l("Policy changed"),
    "product_created": _l("Product created"),
    "product_updated": _l("Product changed"),
    "purchase_order_cancelled": _l("Purchase order cancelled"),
    "purchase_order_created": _l("Purchase order drafted"),
    "purchase_order_line_added": _l("Order line added"),
    "purchase_order_line_changed": _l("Order line changed"),
    "purchase_order_line_removed": _l("Order line removed"),
    "purchase_order_received": _l("Delivery received on an order"),
    "purchase_order_sent": _l("Purchase order sent"),
    "purchase_order_updated": _l("Purchase order changed"),
    "recall_entered": _l("Recall entered"),
    "recall_patient_contacted": _l("Recall follow-up: contacted"),
    "recall_patient_not_required": _l("Recall follow-up: not required"),
    "recall_patient_pending": _l("Recall follow-up: pending"),
    "recall_patient_unreachable": _l("Recall follow-up: unreachable"),
    "recipe_created": _l("Recipe created"),
    "recipe_updated": _l("Recipe changed"),
    "scan_blocked": _l("Scan blocked (near miss)"),
    "session_closed": _l("Session closed"),
    "session_opened": _l("Session opened"),
    "sign_in_failed": _l("Sign-in refused"),
    "signed_in": _l("Signed in"),
    "signed_out": _l("Signed out"),
    "stock_count_confirmed": _l("Stock count confirmed"),
    "stock_count_scanned": _l("Vial scanned in a stock count"),
    "stock_count_started": _l("Stock count started"),
    "stock_received": _l("Stock received"),
    "supplier_created": _l("Supplier created"),
    "supplier_updated": _l("Supplier changed"),
    "syringe_administered": _l("Syringe administered"),
    "syringe_discarded": _l("Syringe discarded"),
    "token_issued": _l("API token issued"),
    "token_revoked": _l("API token revoked"),
    "user_activated": _l("User activated"),
    "user_created": _l("User created"),
    "user_deactivated": _l("User deactivated"),
    "verification_mismatch": _l("Verification mismatch"),
    "vial_discarded": _l("Vial discarded"),
    "vial_drawn": _l("Vial drawn"),
    "vial_moved": _l("Vial moved"),
    "vial_opened": _l("Vial opened"),
}
#: What an audit entry is about.
ENTITY_LABELS = {
    "administration": _l("Administration"),
    "adverse_event": _l("Adverse event"),
    "audit": _l("Audit trail"),
    "batch": _l("Batch"),
    "lot": _l("Lot"),
    "patient": _l("Patient"),
    "policy": _l("Policy"),
    "product": _l("Product"),
    "purchase_order": _l("Purchase order"),
    "recall": _l("Recall"),
    "receipt": _l("Stock receipt"),
    "recipe": _l("Recipe"),
    "report": _l("Report"),
    "session": _l("Session"),
    "stock_count": _l("Stock count"),
    "supplier": _l("Supplier"),
    "syringe": _l("Syringe"),
    "user": _l("User"),
    "vial": _l("Vial"),
}
#: The fields audit details name most; others are shown by their name without its unit suffix.
FIELD_LABELS = {
    "classification": _l("classification"),
    "code": _l("code"),
    "file": _l("file"),
    "from": _l("from"),
    "lines": _l("lines"),
    "location": _l("location"),
    "name": _l("name"),
    "note": _l("note"),
    "number": _l("number"),
    "ordered": _l("ordered"),
    "quantity": _l("quantity"),
    "reason": _l("reason"),
    "received_quantity": _l("received so far"),
    "roles": _l("roles"),
    "status": _l("status"),
    "storage": _l("storage"),
    "supplier": _l("supplier"),
    "to": _l("to"),
    "total_minor": _l("total"),
    "unit_cost_minor": _l("cost per vial"),
    "until": _l("until"),
    "username": _l("username"),
    "via": _l("via"),
    "vial": _l("vial"),
    "volume_ul": _l("volume"),
    "waste_cost_minor": _l("waste cost"),
    "waste_ul": _l("waste volume"),
    "why": _l("why"),
}
