"""Translated names of the enum values: one place for pages and for the messages services write.

Every enum of the domain has its table here (``ENUM_LABELS`` says which enum each table names;
tests/web/test_names.py fails when a value has no name or no Turkish). Pages use one helper,
``label(TABLE, value)``, registered once per table as ``<kind>_label`` (``batch_status_label``).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from flask_babel import lazy_gettext as _l

from inventory.models import (
    AdverseEventSeverity,
    BatchStatus,
    FollowUpStatus,
    Indication,
    LotStatus,
    OrderStatus,
    ProductCategory,
    RecallClass,
    Role,
    Route,
    SessionStatus,
    SyringeStatus,
    Verdict,
    VialStatus,
    VoidReason,
)
from inventory.models.coldchain import Decision, ExcursionStatus
from inventory.models.stock import CountDifference, CountStatus, DiscardReason
from inventory.rules.expiry import BlockReason
from inventory.rules.policy import Category, Container, Storage

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
BATCH_CATEGORY_LABELS = {
    Category.IMMEDIATE: _l("Immediate use (one patient, 4 h)"),
    Category.CATEGORY_1: _l("Category 1"),
    Category.CATEGORY_2: _l("Category 2"),
}
#: The GS1 fields a pharmacy pack carries, as named in scan messages (others show as "AI (nn)").
GS1_FIELD_LABELS = {
    "01": _l("GTIN"),
    "10": _l("lot number"),
    "11": _l("production date"),
    "17": _l("expiry date"),
    "21": _l("serial number"),
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
#: Why a vial cannot be drawn now (rules.expiry.vial_blocked_reason), or a syringe given (its single
#: blocked_reason, services.usability).
BLOCK_LABELS = {
    "bud_passed": _l("past its BUD"),
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

#: Why a scanned syringe was not given (SAFE-14).
VOID_REASON_LABELS = {
    VoidReason.NOT_GIVEN: _l("Not injected"),
    VoidReason.WRONG_PATIENT: _l("Wrong patient"),
    VoidReason.DROPPED: _l("Dropped or contaminated"),
    VoidReason.OTHER: _l("Other"),
}

#: Why a syringe must not be injected now (services.usability and services.scanning), as a sentence.
SCAN_REASON_LABELS = {
    "unknown_code": _l("Unknown code: this is not a syringe prepared by this clinic."),
    "not_released": _l("Not released: the batch is waiting for its second-person check."),
    "bud_passed": _l("Past its beyond-use date (BUD)."),
    "expired_component": _l("A component's lot is past its expiry date."),
    "quarantined": _l("Quarantined: the batch or a lot in it is on hold."),
    "recalled": _l("Recalled: a lot in this syringe is recalled."),
    "temperature_hold": _l(
        "Temperature hold: it was in a fridge or freezer out of its range; a manager must decide first."
    ),
    "missing_lot": _l("A biological component has no recorded lot."),
    "already_administered": _l("Already administered: this syringe was used before."),
    "discarded": _l("Discarded: this syringe was destroyed."),
    "wrong_patient": _l("Wrong patient: this syringe was prepared for another patient."),
    "wrong_indication": _l("Wrong indication: this cocktail is not for the treatment of this session."),
    "allergy": _l("Allergy: the patient is allergic to a substance in this syringe."),
    "session_closed": _l("This session is closed: open a new session to treat the patient."),
}

#: Our own codes (domain.md §4.1), as a word inside a sentence.
CODE_KIND_LABELS = {"syringe": _l("syringe"), "vial": _l("vial"), "batch": _l("batch")}
ROUTE_LABELS = {Route.INTRADERMAL: _l("Intradermal"), Route.SUBCUTANEOUS: _l("Subcutaneous")}
#: Why a vial or a syringe was discarded: one wording everywhere (forms, pages, reports).
DISCARD_LABELS = {
    DiscardReason.EXPIRED: _l("Expired"),
    DiscardReason.IN_USE_LIMIT: _l("Past its in-use limit"),
    DiscardReason.CONTAMINATED: _l("Contaminated"),
    DiscardReason.DAMAGED: _l("Damaged or broken"),
    DiscardReason.RECALLED: _l("Recalled"),
    DiscardReason.OTHER: _l("Other (say why)"),
    "bud_passed": _l("Past its BUD"),  # syringes only
}
FOLLOW_UP_LABELS = {
    FollowUpStatus.PENDING: _l("Pending"),
    FollowUpStatus.CONTACTED: _l("Contacted"),
    FollowUpStatus.UNREACHABLE: _l("Unreachable"),
    FollowUpStatus.NOT_REQUIRED: _l("Not required"),
}
SEVERITY_LABELS = {
    AdverseEventSeverity.MILD: _l("Mild"),
    AdverseEventSeverity.MODERATE: _l("Moderate"),
    AdverseEventSeverity.SEVERE: _l("Severe"),
    AdverseEventSeverity.LIFE_THREATENING: _l("Life-threatening"),
}
RECALL_CLASS_LABELS = {
    RecallClass.I: _l("Class I: serious harm likely"),
    RecallClass.II: _l("Class II: temporary or reversible harm"),
    RecallClass.III: _l("Class III: harm unlikely"),
}
ORDER_STATUS_LABELS = {
    OrderStatus.DRAFT: _l("Draft"),
    OrderStatus.SENT: _l("Sent"),
    OrderStatus.PARTIALLY_RECEIVED: _l("Partially received"),
    OrderStatus.RECEIVED: _l("Received"),
    OrderStatus.CANCELLED: _l("Cancelled"),
}
SESSION_STATUS_LABELS = {SessionStatus.OPEN: _l("open"), SessionStatus.CLOSED: _l("closed")}
VERDICT_LABELS = {Verdict.OK: _l("OK"), Verdict.BLOCKED: _l("blocked")}
COUNT_STATUS_LABELS = {CountStatus.OPEN: _l("counting"), CountStatus.CONFIRMED: _l("confirmed")}
COUNT_DIFFERENCE_LABELS = {
    CountDifference.MISSING: _l("expected but not seen"),
    CountDifference.UNEXPECTED: _l("seen but not expected"),
}
#: What expires soon (services.stock.expiring): a lot, an opened vial, a syringe.
EXCURSION_STATUS_LABELS = {
    ExcursionStatus.OPEN: _l("open"),
    ExcursionStatus.CLOSED: _l("closed"),
}
DECISION_LABELS = {Decision.RELEASE: _l("Release"), Decision.DISCARD: _l("Discard")}
EXPIRING_KIND_LABELS = {"lot": _l("Lot"), "vial": _l("Opened vial"), "syringe": _l("Syringe")}
#: What a label prints for a syringe kept cold (nothing at room temperature).
STORAGE_INSTRUCTIONS = {
    Storage.FRIDGE: _l("Refrigerate 2–8 °C"),
    Storage.FREEZER: _l("Freeze −25 to −10 °C"),
}
#: What became of a syringe, as a trace shows it (services.trace.Fate).
FATE_LABELS = {
    "administered": _l("administered"),
    "destroyed": _l("destroyed, not administered"),
    "unused": _l("not used yet"),
}

#: The states a trace shows side by side (lots, vials, batches, syringes, follow-up, fates).
TRACE_STATUS_LABELS: dict[Any, Any] = {
    **FOLLOW_UP_LABELS,
    **SYRINGE_STATUS_LABELS,
    **BATCH_STATUS_LABELS,
    **VIAL_STATUS_LABELS,
    **LOT_STATUS_LABELS,
    **FATE_LABELS,
}

#: Every audited action (services.audit.record), and the vial history's own events, as words.
AUDIT_ACTION_LABELS = {
    "adverse_event_recorded": _l("Adverse event recorded"),
    "batch_prepared": _l("Batch prepared"),
    "batch_quarantined": _l("Batch quarantined"),
    "batch_released": _l("Batch released"),
    "batch_storage_changed": _l("Batch storage changed"),
    "identity_confirmed": _l("Patient identity confirmed"),
    "labels_printed": _l("Labels printed"),
    "labels_reprinted": _l("Labels reprinted"),
    "locale_changed": _l("Language changed"),
    "login_locked": _l("Sign-in locked"),
    "lot_created": _l("Lot created"),
    "lot_quarantined": _l("Lot quarantined"),
    "lot_recalled": _l("Lot recalled"),
    "lot_released": _l("Lot released from quarantine"),
    "password_changed": _l("Password changed"),
    "patient_created": _l("Patient created"),
    "policy_changed": _l("Policy changed"),
    "product_created": _l("Product created"),
    "product_updated": _l("Product changed"),
    "purchase_order_cancelled": _l("Purchase order cancelled"),
    "purchase_order_created": _l("Purchase order created"),
    "purchase_order_line_added": _l("Order line added"),
    "purchase_order_line_changed": _l("Order line changed"),
    "purchase_order_line_removed": _l("Order line removed"),
    "purchase_order_received": _l("Purchase order received"),
    "purchase_order_sent": _l("Purchase order sent"),
    "purchase_order_updated": _l("Purchase order changed"),
    "recall_entered": _l("Recall entered"),
    "recipe_created": _l("Recipe created"),
    "recipe_updated": _l("Recipe changed"),
    "scan_blocked": _l("Scan blocked (near miss)"),
    "session_closed": _l("Session closed"),
    "session_opened": _l("Session opened"),
    "stock_count_confirmed": _l("Stock count confirmed"),
    "stock_count_started": _l("Stock count started"),
    "stock_received": _l("Stock received"),
    "syringe_administered": _l("Syringe administered"),
    "syringe_discarded": _l("Syringe discarded"),
    "token_issued": _l("API token issued"),
    "token_revoked": _l("API token revoked"),
    "user_activated": _l("User activated"),
    "user_created": _l("User created"),
    "user_deactivated": _l("User deactivated"),
    "verification_mismatch": _l("Verification did not match"),
    "vial_discarded": _l("Vial discarded"),
    "vial_drawn": _l("Vial drawn"),
    "vial_moved": _l("Vial moved"),
    "vial_opened": _l("Vial opened"),
    "exported": _l("File downloaded"),
    "recall_patient_contacted": _l("Recall follow-up: contacted"),
    "recall_patient_not_required": _l("Recall follow-up: not required"),
    "recall_patient_pending": _l("Recall follow-up: pending"),
    "recall_patient_unreachable": _l("Recall follow-up: unreachable"),
    "sign_in_failed": _l("Sign-in refused"),
    "signed_in": _l("Signed in"),
    "signed_out": _l("Signed out"),
    "stock_count_scanned": _l("Vial scanned in a stock count"),
    "supplier_created": _l("Supplier created"),
    "supplier_updated": _l("Supplier changed"),
    "administration_corrected": _l("Administration corrected"),
    "administration_voided": _l("Scanned, not given (voided)"),
    "adverse_event_followed_up": _l("Adverse event followed up"),
    "allergy_recorded": _l("Allergy recorded"),
    "first_admin_created": _l("First administrator created"),
    "import_products": _l("Catalogue imported"),
    "import_stock": _l("Opening stock imported"),
    "password_reset": _l("Password reset"),
    "patient_merged": _l("Patient records merged"),
    "patient_updated": _l("Patient changed"),
    "user_unlocked": _l("User unlocked"),
    "vial_labels_printed": _l("Vial labels printed"),
    "vial_labels_reprinted": _l("Vial labels reprinted"),
    "batch_moved": _l("Batch moved to another storage unit"),
    "excursion_closed": _l("Temperature excursion closed"),
    "excursion_decided": _l("Excursion decision recorded"),
    "excursion_ended": _l("Temperature back in range"),
    "excursion_opened": _l("Temperature excursion opened"),
    "storage_unit_created": _l("Storage unit created"),
    "storage_unit_import_mapping": _l("Data-logger columns chosen"),
    "storage_unit_topic_set": _l("Network sensor topic set"),
    "temperature_recorded": _l("Temperature recorded"),
    # the vial history's events that are rows of their own, not audit entries
    "received": _l("Received"),
    "drawn": _l("Drawn"),
    "opened": _l("Opened"),
}

#: Which enum each table names completely (the test of this module walks it).
ENUM_LABELS: dict[str, tuple[Any, Mapping[Any, Any]]] = {
    "category": (ProductCategory, CATEGORY_LABELS),
    "container": (Container, CONTAINER_LABELS),
    "storage": (Storage, STORAGE_LABELS),
    "role": (Role, ROLE_LABELS),
    "indication": (Indication, INDICATION_LABELS),
    "vial_status": (VialStatus, VIAL_STATUS_LABELS),
    "lot_status": (LotStatus, LOT_STATUS_LABELS),
    "block": (BlockReason, BLOCK_LABELS),
    "batch_category": (Category, BATCH_CATEGORY_LABELS),
    "batch_status": (BatchStatus, BATCH_STATUS_LABELS),
    "syringe_status": (SyringeStatus, SYRINGE_STATUS_LABELS),
    "route": (Route, ROUTE_LABELS),
    "discard": (DiscardReason, DISCARD_LABELS),
    "follow_up": (FollowUpStatus, FOLLOW_UP_LABELS),
    "severity": (AdverseEventSeverity, SEVERITY_LABELS),
    "recall_class": (RecallClass, RECALL_CLASS_LABELS),
    "order_status": (OrderStatus, ORDER_STATUS_LABELS),
    "session_status": (SessionStatus, SESSION_STATUS_LABELS),
    "verdict": (Verdict, VERDICT_LABELS),
    "count_status": (CountStatus, COUNT_STATUS_LABELS),
    "count_difference": (CountDifference, COUNT_DIFFERENCE_LABELS),
    "excursion_status": (ExcursionStatus, EXCURSION_STATUS_LABELS),
    "decision": (Decision, DECISION_LABELS),
}
#: Tables of values that are not an enum class (reasons, kinds, actions).
OTHER_LABELS: dict[str, Mapping[Any, Any]] = {
    "scan_reason": SCAN_REASON_LABELS,
    "code_kind": CODE_KIND_LABELS,
    "expiring_kind": EXPIRING_KIND_LABELS,
    "fate": FATE_LABELS,
    "audit_action": AUDIT_ACTION_LABELS,
    "gs1_field": GS1_FIELD_LABELS,
}


def label(labels: Mapping[Any, Any], value: str | None) -> str:
    """The translated name of an enum value; the value itself when it has none."""
    return "" if value is None else str(labels.get(value, value))


# ---- the audit trail -----------------------------------------------------------------------------

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


def audit_action_label(action: str) -> str:
    return label(AUDIT_ACTION_LABELS, action)


def describe_details(details: Mapping[str, Any] | None, entity_type: str = "") -> list[str]:
    """An audit entry's details as lines for a person ("field: before → after", never a dict); the
    words come from the audit trail's one formatter, services.audit.detail_lines."""
    from inventory.services.audit import detail_lines

    return [str(line) for line in detail_lines(dict(details or {}), entity_type)]


def template_labels() -> dict[str, Any]:
    """One helper per table for pages (``batch_status_label(value)``), and the action/detail helpers."""
    tables = {kind: table for kind, (_enum, table) in ENUM_LABELS.items()} | OTHER_LABELS
    helpers: dict[str, Any] = {f"{kind}_label": partial(label, table) for kind, table in tables.items()}
    helpers["describe_details"] = describe_details
    helpers["audit_action_label"] = audit_action_label
    return helpers
