"""Numbers and dates a person reads, in the request's language: money with the clinic's currency,
volumes, moments in the clinic's time zone.

Pages (template filters), PDFs and the audit trail's descriptions all format through here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern
from flask import current_app, has_app_context
from flask_babel import format_currency, format_date, format_datetime, get_locale

from inventory import clock
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


NUMBER = "#,##0.###"


@cache
def _pattern(pattern: str) -> NumberPattern:
    """A number pattern parsed once (Babel parses it again on every call otherwise)."""
    return parse_pattern(pattern)


def format_number(value: int | float | Decimal, pattern: str = NUMBER) -> str:
    """A number in the request's locale: "1,234.5" in English, "1.234,5" in Turkish."""
    locale = get_locale() or Locale.parse("en")
    if pattern == NUMBER:
        return _plain_number(value, str(locale))
    return str(_pattern(pattern).apply(value, locale))


THOUSANDTH = Decimal("0.001")


@cache
def _symbols(locale: str) -> tuple[str, str, str]:
    """The locale's group separator, decimal separator and minus sign."""
    symbols = Locale.parse(locale).number_symbols["latn"]
    return symbols["group"], symbols["decimal"], symbols["minusSign"]


def _plain_number(value: int | float | Decimal, locale: str) -> str:
    """`NUMBER` as Babel writes it (rounded half to even, to three decimals at most, grouped by
    thousands), in a fifth of the time: a report by month writes some 700 numbers."""
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    rounded = exact.quantize(THOUSANDTH, rounding=ROUND_HALF_EVEN)
    whole, _point, fraction = f"{abs(rounded):f}".partition(".")
    group, decimal, minus = _symbols(locale)
    text = f"{int(whole):,}".replace(",", group)
    fraction = fraction.rstrip("0")
    if fraction:
        text = f"{text}{decimal}{fraction}"
    return f"{minus}{text}" if rounded.is_signed() else text


def format_volume(ul: int | None) -> str:
    if ul is None:
        return ""
    return f"{format_number(ul_to_ml(ul))} mL"


def format_when(value: datetime | date | None, style: str = "medium") -> str:
    """A moment in the clinic's time zone (a date as it is): "short" is "2026-12-02 14:05" in every
    language, written directly (a lot's page shows hundreds: Babel parses and walks the pattern and
    looks up the locale and zone for each one); the other styles are the locale's, through Babel."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if style != "short":
            return str(format_datetime(value, style))
        moment = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(
            clock.clinic_zone()
        )
        return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} {moment.hour:02d}:{moment.minute:02d}"
    if style != "short":
        return str(format_date(value, style))
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
