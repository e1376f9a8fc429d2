"""Numbers a person reads, in the request's language: money with the clinic's currency, volumes.

Pages (template filters), PDFs and the audit trail's descriptions all format through here.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from flask_babel import format_currency, format_decimal

from inventory.rules.money import DEFAULT_CURRENCY, to_major
from inventory.rules.units import ul_to_ml


def currency() -> str:
    """The clinic's ISO 4217 currency (`CLINIC_CURRENCY`)."""
    return str(current_app.config.get("CLINIC_CURRENCY", DEFAULT_CURRENCY)) if has_app_context() else "TRY"


def format_money(minor: int | None) -> str:
    """1250 → "₺12,50" in Turkish, "TRY 12.50" in English (Babel's currency format of the locale)."""
    if minor is None:
        return ""
    return str(format_currency(to_major(minor), currency()))


def format_amount(minor: int | None) -> str:
    """The number alone, as a form field shows it for editing: "12.50"."""
    if minor is None:
        return ""
    return f"{to_major(minor):.2f}"


def format_volume(ul: int | None) -> str:
    if ul is None:
        return ""
    return f"{format_decimal(ul_to_ml(ul), format='#,##0.###')} mL"
