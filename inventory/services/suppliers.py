"""Suppliers as records: name, address, contact, lead time; purchase orders point at one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from inventory import clock
from inventory.errors import Conflict, Invalid, NotFound
from inventory.extensions import db
from inventory.models import Supplier
from inventory.rules.text import search_key
from inventory.services import audit, transaction


@dataclass(frozen=True)
class SupplierInput:
    name: str
    address: str = ""
    contact: str = ""
    lead_time_days: int | None = None


def _clean_name(name: str) -> str:
    return " ".join(name.split())[:120]


def list_suppliers() -> list[Supplier]:
    return list(db.session.scalars(select(Supplier).order_by(Supplier.name_key)))


def get_supplier(supplier_id: int) -> Supplier:
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound("not_found", _("No supplier with id %(id)s.", id=supplier_id))
    return supplier


def find_by_name(name: str) -> Supplier | None:
    key = search_key(name)
    return db.session.scalar(select(Supplier).where(Supplier.name_key == key)) if key else None


def _check(data: SupplierInput, *, keep: Supplier | None = None) -> str:
    name = _clean_name(data.name)
    if not name:
        raise Invalid("invalid_name", _("A supplier needs a name."), fields={"name": _("Required.")})
    if data.lead_time_days is not None and not 0 <= data.lead_time_days <= 365:
        raise Invalid(
            "invalid_lead_time",
            _("A lead time is from 0 to 365 days."),
            fields={"lead_time_days": _("From 0 to 365 days.")},
        )
    same = find_by_name(name)
    if same is not None and same is not keep:
        raise Conflict(
            "duplicate_supplier",
            _("A supplier named %(name)s exists already.", name=same.name),
            fields={"name": _("Taken.")},
        )
    return name


def create_supplier(data: SupplierInput) -> Supplier:
    with transaction():
        name = _check(data)
        supplier = Supplier(
            name=name,
            name_key=search_key(name),
            address=data.address.strip(),
            contact=data.contact.strip(),
            lead_time_days=data.lead_time_days,
            created_at=clock.now(),
        )
        db.session.add(supplier)
        db.session.flush()
        audit.record("supplier_created", "supplier", supplier.id, details={"name": name})
    return supplier


def update_supplier(supplier: Supplier, data: SupplierInput) -> Supplier:
    with transaction():
        name = _check(data, keep=supplier)
        before = {
            "name": supplier.name,
            "address": supplier.address,
            "contact": supplier.contact,
            "lead_time_days": supplier.lead_time_days,
        }
        after: dict[str, Any] = {
            "name": name,
            "address": data.address.strip(),
            "contact": data.contact.strip(),
            "lead_time_days": data.lead_time_days,
        }
        changed = audit.changes(before, after)
        if changed:
            supplier.name, supplier.name_key = name, search_key(name)
            supplier.address, supplier.contact = after["address"], after["contact"]
            supplier.lead_time_days = data.lead_time_days
            audit.record("supplier_updated", "supplier", supplier.id, details={"changed": changed})
    return supplier


def record_for(name: str) -> Supplier | None:
    """The supplier record of a name typed on an order (made on first use), in the caller's
    transaction; None for no name."""
    name = _clean_name(name)
    if not name:
        return None
    supplier = find_by_name(name)
    if supplier is None:
        supplier = Supplier(name=name, name_key=search_key(name), created_at=clock.now())
        db.session.add(supplier)
        db.session.flush()
        audit.record("supplier_created", "supplier", supplier.id, details={"name": name, "from": "order"})
    return supplier
