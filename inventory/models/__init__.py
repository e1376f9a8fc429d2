"""Typed SQLAlchemy 2.0 models, one module per part of the domain."""

from inventory.models import history
from inventory.models.audit import AuditEntry
from inventory.models.catalogue import Product, ProductCategory
from inventory.models.clinic import (
    Administration,
    AdministrationCorrection,
    AdministrationVoid,
    CorrectedField,
    Patient,
    PatientAllergy,
    ScanAttempt,
    SessionStatus,
    TreatmentSession,
    Verdict,
    VoidReason,
)
from inventory.models.compounding import (
    Batch,
    BatchStatus,
    Draw,
    Indication,
    LabelPrint,
    Recipe,
    RecipeComponent,
    RecipeVersion,
    Route,
    Syringe,
    SyringeStatus,
)
from inventory.models.printing import VialLabelPrint
from inventory.models.purchasing import (
    OrderStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderReceipt,
    Supplier,
)
from inventory.models.recall import (
    AdverseEvent,
    AdverseEventSeverity,
    AdverseEventUpdate,
    FollowUpStatus,
    Recall,
    RecallClass,
    RecallPatient,
)
from inventory.models.settings import PolicySetting
from inventory.models.stock import DiscardReason, Lot, LotStatus, Receipt, Vial, VialStatus
from inventory.models.summary import DailyTotal
from inventory.models.users import ApiToken, LoginThrottle, Role, User, UserRole

__all__ = [
    "Administration",
    "AdministrationCorrection",
    "AdministrationVoid",
    "AdverseEvent",
    "AdverseEventSeverity",
    "AdverseEventUpdate",
    "ApiToken",
    "AuditEntry",
    "Batch",
    "BatchStatus",
    "CorrectedField",
    "DailyTotal",
    "DiscardReason",
    "Draw",
    "FollowUpStatus",
    "Indication",
    "LabelPrint",
    "LoginThrottle",
    "Lot",
    "LotStatus",
    "OrderStatus",
    "Patient",
    "PatientAllergy",
    "PolicySetting",
    "Product",
    "ProductCategory",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderReceipt",
    "Recall",
    "RecallClass",
    "RecallPatient",
    "Receipt",
    "Recipe",
    "RecipeComponent",
    "RecipeVersion",
    "Role",
    "Route",
    "ScanAttempt",
    "SessionStatus",
    "Supplier",
    "Syringe",
    "SyringeStatus",
    "TreatmentSession",
    "User",
    "UserRole",
    "Verdict",
    "Vial",
    "VialLabelPrint",
    "VialStatus",
    "VoidReason",
    "history",
]
