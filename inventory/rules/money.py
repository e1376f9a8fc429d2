"""Money as integer minor units (cents, kuruş): never floats."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from inventory.rules.errors import RuleError

MINOR_PER_UNIT = 100
#: ISO 4217 code when the clinic sets none (`CLINIC_CURRENCY`).
DEFAULT_CURRENCY = "TRY"


def parse_money(value: str | int | float | Decimal) -> int:
    """12.5, "12,50" or "12.50" → 1250 minor units; negative or over-precise is an error."""
    if isinstance(value, bool):
        raise RuleError("invalid_amount", "An amount must be a number.", reason="not_a_number")
    text = str(value).strip().replace(",", ".") if isinstance(value, str) else repr(value)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise RuleError("invalid_amount", "An amount must be a number.", reason="not_a_number") from None
    if not amount.is_finite():
        raise RuleError("invalid_amount", "An amount must be a number.", reason="not_a_number")
    if amount < 0:
        raise RuleError("invalid_amount", "An amount cannot be negative.", reason="negative")
    minor = amount * MINOR_PER_UNIT
    if minor != minor.to_integral_value():
        raise RuleError("invalid_amount", "An amount has at most 2 decimals.", reason="too_precise")
    return int(minor)


def money_number(minor: int) -> int | float:
    """Minor units as a JSON number: 1250 → 12.5, 1200 → 12."""
    whole, cents = divmod(minor, MINOR_PER_UNIT)
    return whole if cents == 0 else float(Decimal(minor) / MINOR_PER_UNIT)


def to_major(minor: int) -> Decimal:
    """1250 → Decimal("12.50"): exact, for formatting."""
    return (Decimal(minor) / MINOR_PER_UNIT).quantize(Decimal("0.01"))


def format_money(minor: int) -> str:
    """The plain number of a CSV cell: 1250 → "12.50" (the currency is in the column's header)."""
    return f"{to_major(minor):.2f}"


def check_currency(code: str, known: frozenset[str] | set[str]) -> str:
    """An ISO 4217 code in capitals, one of `known` (Babel's list); else an error naming it."""
    normalised = code.strip().upper()
    if len(normalised) != 3 or normalised not in known:
        raise RuleError("invalid_currency", f"{code!r} is not an ISO 4217 currency code.")
    return normalised
