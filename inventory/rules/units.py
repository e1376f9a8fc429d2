"""Volumes: exact integer microlitres (SAFE-11). Never floats in stock arithmetic."""

from __future__ import annotations

import re
from decimal import Decimal, localcontext

from inventory.rules.errors import RuleError

MICROLITRES_PER_ML = 1000
#: Largest volume accepted from input: 1000 L, far above any vial, and within a 32-bit integer column.
MAX_VOLUME_UL = 1_000_000_000

_NUMBER = re.compile(r"(?P<sign>[+-]?)(?P<whole>[0-9]*)(?:[.,](?P<fraction>[0-9]*))?")


def _invalid(message: str, *, reason: str = "not_a_number", **params: str) -> RuleError:
    return RuleError("invalid_volume", message, reason=reason, params=params)


def _to_decimal(value: str | int | float | Decimal) -> Decimal:
    if isinstance(value, bool):
        raise _invalid("A volume must be a number of millilitres, not true or false.")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        # repr() is the shortest string that round-trips: 0.1 → "0.1", not 0.1000000000000000055….
        number = Decimal(repr(value))
    elif isinstance(value, str):
        number = _parse_text(value)
    else:
        raise _invalid(f"A volume must be a number of millilitres, not {type(value).__name__}.")
    if not number.is_finite():
        raise _invalid("A volume must be a finite number of millilitres.")
    return number


def _parse_text(text: str) -> Decimal:
    match = _NUMBER.fullmatch(text.strip())
    if match is None or not (match["whole"] or match["fraction"]):
        raise _invalid(f"'{text}' is not a number of millilitres (write it like 2.5 or 2,5).")
    return Decimal(f"{match['sign']}{match['whole'] or '0'}.{match['fraction'] or '0'}")


def parse_volume_ml(
    value: str | int | float | Decimal, *, allow_zero: bool = False, max_ul: int = MAX_VOLUME_UL
) -> int:
    """Millilitres from input (a JSON number, or text with a decimal point or comma) → integer µL.

    At most 3 decimals (1 µL). Negative, non-finite, non-numeric and boolean values are refused, and
    zero unless ``allow_zero``; all with ``RuleError("invalid_volume")``.
    """
    number = _to_decimal(value)
    if number < 0:
        raise _invalid("A volume cannot be negative.", reason="negative")
    if number == 0 and not allow_zero:
        raise _invalid("A volume must be more than 0 mL.", reason="zero")
    if number > Decimal(max_ul) / MICROLITRES_PER_ML:
        raise _invalid(
            f"A volume cannot exceed {format_ml(max_ul)}.", reason="too_large", max=format_ml(max_ul)
        )
    with localcontext() as context:
        context.prec = len(number.as_tuple().digits) + 12  # exact: no rounding of long inputs
        microlitres = number * MICROLITRES_PER_ML
        if microlitres != microlitres.to_integral_value():
            raise _invalid("A volume can have at most 3 decimals (1 µL).", reason="too_precise")
    return int(microlitres)


def ul_to_ml(ul: int) -> Decimal:
    """Exact millilitres, without trailing zeros or exponent: 2500 → Decimal("2.5"), 20000 → 20."""
    with localcontext() as context:
        context.prec = len(str(abs(ul))) + 6
        ml = (Decimal(ul) / MICROLITRES_PER_ML).normalize()
        if ml == ml.to_integral_value():
            ml = ml.quantize(Decimal(1))
    return ml


def ml_number(ul: int) -> int | float:
    """Millilitres for JSON: an int when whole (2000 → 2), else the float of the exact decimal."""
    if ul % MICROLITRES_PER_ML == 0:
        return ul // MICROLITRES_PER_ML
    return float(ul_to_ml(ul))


def format_ml(ul: int, *, decimal_separator: str = ".") -> str:
    """Volume for people: "2.5 mL", "20 mL", "0.125 mL"; the app passes its locale's decimal separator."""
    return f"{ul_to_ml(ul)} mL".replace(".", decimal_separator)
