"""Typed SQLAlchemy 2.0 models, one module per part of the domain."""

from inventory.models.audit import AuditEntry
from inventory.models.catalogue import Product, ProductCategory
from inventory.models.clinic import (
    Administration,
    Patient,
    ScanAttempt,
    SessionStatus,
    TreatmentSession,
    Verdict,
)
from inventory.models.coldchain import (
    MovedItem,
    ReadingSource,
    StorageMove,
    StorageUnit,
    TemperatureReading,
)
from inventory.models.compounding import (
    Batch,
    BatchStatus,
    Draw,
    Indication,
    LabelPrint,
    Recipe,
    RecipeComponent,
    Route,
    Syringe,
    SyringeStatus,
)
from inventory.models.purchasing import OrderStatus, PurchaseOrder, PurchaseOrderLine, PurchaseOrderReceipt
from inventory.models.recall import (
    AdverseEvent,
    AdverseEventSeverity,
    FollowUpStatus,
    Recall,
    RecallClass,
    RecallPatient,
)
from inventory.models.settings import PolicySetting
from inventory.models.stock import DiscardReason, Lot, LotStatus, Receipt, Vial, VialStatus
from inventory.models.users import ApiToken, LoginThrottle, Role, User, UserRole

__all__ = [
    "Administration",
    "AdverseEvent",
    "AdverseEventSeverity",
    "ApiToken",
    "AuditEntry",
    "Batch",
    "BatchStatus",
    "DiscardReason",
    "Draw",
    "FollowUpStatus",
    "Indication",
    "LabelPrint",
    "LoginThrottle",
    "Lot",
    "LotStatus",
    "MovedItem",
    "OrderStatus",
    "Patient",
    "PolicySetting",
    "Product",
    "ProductCategory",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderReceipt",
    "ReadingSource",
    "Recall",
    "RecallClass",
    "RecallPatient",
    "Receipt",
    "Recipe",
    "RecipeComponent",
    "Role",
    "Route",
    "ScanAttempt",
    "SessionStatus",
    "StorageMove",
    "StorageUnit",
    "Syringe",
    "SyringeStatus",
    "TemperatureReading",
    "TreatmentSession",
    "User",
    "UserRole",
    "Verdict",
    "Vial",
    "VialStatus",
]
