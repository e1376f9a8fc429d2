"""Demo stock: a few lots of every demo product received through the receiving service, some near expiry,
an opened lidocaine vial and one lot in quarantine. Load after the catalogue (demo users and products)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from inventory import clock
from inventory.extensions import db
from inventory.models.catalogue import Product
from inventory.models.stock import Lot, Vial, VialStatus
from inventory.models.users import User
from inventory.rules.gs1 import build_gs1
from inventory.services import audit, receiving, stock, transaction

SUPPLIERS = ("Medikal Depo A.Ş.", "Estetik Tedarik Ltd.")


def _user(username: str) -> User:
    user: User | None = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise RuntimeError(f"the demo user {username!r} must be loaded first")
    return user


def _shelf(product: Product) -> str:
    return "Fridge A" if product.storage == "fridge" else "Cabinet 1"


def _lot_number(product: Product, index: int) -> str:
    prefix = "".join(char for char in product.name.upper() if char.isalpha())[:4]
    return f"{prefix}-{2409 + index * 2}"


def _receive(product: Product, index: int, days: int, vials: int, nurse: User) -> receiving.ReceiptResult:
    """One lot; packs with a GTIN come in by their DataMatrix, with a serial (SAFE-09)."""
    expiry = clock.today() + timedelta(days=days)
    request = receiving.ReceiptRequest(
        vials=vials,
        supplier=SUPPLIERS[index % len(SUPPLIERS)],
        unit_cost_minor=product.unit_cost_minor,
        location=_shelf(product),
    )
    if product.gtin:
        request.scan = build_gs1(
            product.gtin, expiry, _lot_number(product, index), f"SN{product.id:03d}{index}"
        )
    else:
        request.product_id, request.lot, request.expiry = product.id, _lot_number(product, index), expiry
    return receiving.receive(request, user=nurse)


def _open_lidocaine(nurse: User) -> None:
    vial = db.session.scalar(
        select(Vial)
        .join(Lot, Vial.lot_id == Lot.id)
        .join(Product, Lot.product_id == Product.id)
        .where(Product.name.startswith("Lidocaine"), Vial.status == VialStatus.SEALED)
        .order_by(Lot.expiry, Vial.id)
    )
    if vial is None:
        return
    with transaction():
        vial.status = VialStatus.OPEN
        vial.opened_at = clock.now() - timedelta(days=3)
        audit.record(
            "vial_opened",
            "vial",
            vial.id,
            details={"code": vial.code, "opened_at": vial.opened_at},
            reason="Demo: opened before the app was in use",
            user=nurse,
        )


def load() -> None:
    nurse, manager = _user("nurse"), _user("manager")
    products = list(db.session.scalars(select(Product).where(Product.is_demo.is_(True)).order_by(Product.id)))
    if not products:
        products = list(db.session.scalars(select(Product).order_by(Product.id)))
    quarantined = None
    for position, product in enumerate(products):
        _receive(product, 0, 380 + 15 * position, 8, nurse)
        if position % 3 == 0:
            _receive(product, 1, 12 + position, 2, nurse)  # near expiry: shows on "Expiring soon"
        if product.name.startswith("Vitamin C"):
            quarantined = _receive(product, 2, 500, 4, nurse)
    _open_lidocaine(nurse)
    if quarantined is not None:
        stock.quarantine_lot(
            quarantined.lot.id, "Demo: particles seen in two ampoules; waiting for the supplier", user=manager
        )
