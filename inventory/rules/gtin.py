"""GTIN check digits and normalisation (GS1-03)."""

from __future__ import annotations

from inventory.rules.errors import RuleError

GTIN_LENGTHS = (8, 12, 13, 14)


def _is_digits(text: str) -> bool:
    # str.isdigit() alone also accepts superscripts and other scripts' digits.
    return text.isascii() and text.isdigit()


def gtin_check_digit(first_digits: str) -> int:
    """Check digit for ``first_digits`` (a GTIN without its last digit), GS1-03.

    Weights 3, 1, 3, … from the right; check = (10 - sum mod 10) mod 10.
    """
    if not first_digits or not _is_digits(first_digits):
        raise RuleError("invalid_gtin", "A GTIN contains only the digits 0-9.", reason="not_digits")
    total = sum(int(digit) * (3 if i % 2 == 0 else 1) for i, digit in enumerate(reversed(first_digits)))
    return (10 - total % 10) % 10


def _gtin_problem(gtin: str) -> RuleError | None:
    """What is wrong with this GTIN, or None."""
    if not _is_digits(gtin):
        return _invalid("A GTIN contains only the digits 0-9.", gtin, reason="not_digits")
    if len(gtin) not in GTIN_LENGTHS:
        return _invalid(
            f"A GTIN has 8, 12, 13 or 14 digits; this one has {len(gtin)}.", gtin, reason="length"
        )
    expected = gtin_check_digit(gtin[:-1])
    if int(gtin[-1]) != expected:
        return _invalid(
            f"The GTIN {gtin} has a wrong check digit (expected {expected}, found {gtin[-1]}): "
            "it was probably misread or mistyped.",
            gtin,
            reason="check_digit",
        )
    return None


def _invalid(message: str, gtin: str, *, reason: str) -> RuleError:
    return RuleError("invalid_gtin", message, {"gtin": message}, reason=reason, params={"gtin": gtin})


def is_valid_gtin(gtin: str) -> bool:
    """True for a GTIN-8, -12, -13 or -14 whose check digit is right (GS1-03)."""
    return _gtin_problem(gtin) is None


def normalize_gtin(gtin: str) -> str:
    """The GTIN as 14 digits, padded with leading zeros; surrounding whitespace is ignored.

    Raises ``RuleError("invalid_gtin")`` for a wrong length, a non-digit or a wrong check digit.
    """
    gtin = gtin.strip()
    problem = _gtin_problem(gtin)
    if problem is not None:
        raise problem
    return gtin.zfill(14)
