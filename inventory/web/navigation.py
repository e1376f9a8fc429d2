"""The navigation, by permission: each person sees what they may do, nothing more."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from inventory.permissions import Permission, can


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: Any
    hint: Any
    permission: Permission


# One line per page a person starts from; pages of issues not built yet are simply absent.
NAV: tuple[NavEntry, ...] = (
    NavEntry(
        "clinic.sessions", _l("Sessions"), _l("Open a session and scan syringes"), Permission.ADMINISTER
    ),
    NavEntry(
        "compounding.batches", _l("Compounding"), _l("Prepare, verify and label batches"), Permission.COMPOUND
    ),
    NavEntry("stock.receive", _l("Receive"), _l("Scan a pack into stock"), Permission.MANAGE_STOCK),
    NavEntry("stock.vials", _l("Stock"), _l("Vials by lot and expiry"), Permission.READ_CATALOGUE),
    NavEntry(
        "coldchain.units", _l("Storage"), _l("Fridges, freezers and shelves"), Permission.READ_CATALOGUE
    ),
    NavEntry("excursions.index", _l("Excursions"), _l("Temperature holds to decide"), Permission.QUALITY),
    NavEntry("clinic.patients", _l("Patients"), _l("Find or add a patient"), Permission.READ_PATIENTS),
    NavEntry("catalogue.index", _l("Products"), _l("The catalogue"), Permission.READ_CATALOGUE),
    NavEntry("compounding.recipes", _l("Recipes"), _l("Master formulas"), Permission.EDIT_RECIPES),
    NavEntry("manager.dashboard", _l("Dashboard"), _l("Expiry, stock, waste"), Permission.REPORTS),
    NavEntry("trace.recalls", _l("Recalls"), _l("Recalls and exposed patients"), Permission.QUALITY),
    NavEntry("trace.search", _l("Trace"), _l("Lot to patient, and back"), Permission.TRACE),
    NavEntry("manager.audit_trail", _l("Audit"), _l("Every change, who and when"), Permission.REPORTS),
    NavEntry("imports.upload", _l("Import"), _l("Catalogue and stock from a file"), Permission.EDIT_PRODUCTS),
    NavEntry("policy.edit", _l("Policy"), _l("BUD and in-use limits"), Permission.POLICY),
    NavEntry("admin.users", _l("Accounts"), _l("People, roles, locks and passwords"), Permission.USERS),
)


@dataclass(frozen=True)
class NavItem:
    url: str
    label: Any
    hint: Any
    active: bool


def nav_items() -> list[NavItem]:
    items = []
    for entry in NAV:
        if entry.endpoint not in current_app.view_functions or not can(current_user, entry.permission):
            continue
        url = url_for(entry.endpoint)
        items.append(NavItem(url, entry.label, entry.hint, request.path.startswith(url)))
    return items
