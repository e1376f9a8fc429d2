"""Cold-chain rules (domain.md §5) on plain values: ranges in tenths of a degree Celsius."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from inventory.rules.errors import RuleError
from inventory.rules.policy import Storage

#: COLD-01: default ranges per kind, (min, max) in tenths of a degree Celsius; the clinic may narrow them.
DEFAULT_RANGES_DC: dict[Storage, tuple[int, int]] = {
    Storage.ROOM: (200, 250),
    Storage.FRIDGE: (20, 80),
    Storage.FREEZER: (-250, -100),
}
#: The coldest and warmest a unit's range may be set to.
LIMIT_DC = (-800, 500)


def to_dc(value: float | int | str | Decimal) -> int:
    """Degrees Celsius (a number, or text with a decimal point or comma: "4,5") as tenths, rounded half
    away from zero; RuleError ``invalid_temperature`` for anything else or outside −80..50 °C."""
    text = str(value).strip().replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise RuleError("invalid_temperature", "not a temperature") from None
    if not number.is_finite():
        raise RuleError("invalid_temperature", "not a temperature")
    if not Decimal(LIMIT_DC[0]) / 10 - 1 <= number <= Decimal(LIMIT_DC[1]) / 10 + 1:
        raise RuleError("invalid_temperature", "outside -80..50 °C")  # before rounding a huge number
    tenths = int((number * 10).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    if not LIMIT_DC[0] <= tenths <= LIMIT_DC[1]:
        raise RuleError("invalid_temperature", "outside -80..50 °C")
    return tenths


def from_dc(tenths: int) -> float:
    return tenths / 10


def unit_range(kind: Storage, min_dc: int | None, max_dc: int | None) -> tuple[int, int]:
    """COLD-01: the kind's default range unless given; RuleError ``invalid_range`` when min ≥ max."""
    default_min, default_max = DEFAULT_RANGES_DC[kind]
    low = default_min if min_dc is None else min_dc
    high = default_max if max_dc is None else max_dc
    if low >= high:
        raise RuleError("invalid_range", "the minimum must be below the maximum")
    return low, high


def in_range(tenths: int, min_dc: int, max_dc: int) -> bool:
    """COLD-03: a temperature on either limit is still in range."""
    return min_dc <= tenths <= max_dc


def degrees_out(min_dc: int, max_dc: int, values: Iterable[int | None]) -> int:
    """COLD-03: how far the values seen went outside the range, in tenths (0 when every one is in range):
    above the maximum or below the minimum, whichever is further."""
    seen = [value for value in values if value is not None]
    if not seen:
        return 0
    return max(0, max(seen) - max_dc, min_dc - min(seen))
