"""Volumes as exact integer microlitres (SAFE-11)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.rules.errors import RuleError
from inventory.rules.units import MICROLITRES_PER_ML, format_ml, ml_number, parse_volume_ml, ul_to_ml
from tests.rules.helpers import PROPERTY


@pytest.mark.parametrize(
    ("value", "ul"),
    [
        (2, 2000),
        (2.5, 2500),
        (0.1, 100),  # exact, not 100.00000000000001
        (0.001, 1),
        (1.005, 1005),
        (20.0, 20000),
        ("2.5", 2500),
        ("2,5", 2500),  # decimal comma
        (" 0,125 ", 125),
        ("2.", 2000),
        (".5", 500),
        ("+1", 1000),
        ("2.5000", 2500),  # trailing zeros are not extra precision
        (Decimal("0.125"), 125),
        (Decimal("1E+1"), 10000),
    ],
)
def test_safe_11_parse_volume_ml(value: str | int | float | Decimal, ul: int) -> None:
    result = parse_volume_ml(value)
    assert result == ul
    assert type(result) is int


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (0.0001, "3 decimals"),
        ("2.0005", "3 decimals"),
        ("1.00000000000000000000000000000000001", "3 decimals"),
        (-1, "negative"),
        ("-0.5", "negative"),
        (0, "more than 0"),
        ("0,000", "more than 0"),
        ("-0", "more than 0"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (Decimal("NaN"), "finite"),
        (Decimal("sNaN"), "finite"),
        ("NaN", "not a number"),
        ("inf", "not a number"),
        ("", "not a number"),
        ("2.5 mL", "not a number"),
        ("1,000.5", "not a number"),  # a thousands separator is not guessed
        ("1e3", "not a number"),
        ("٢", "not a number"),
        (True, "true or false"),
        (None, "not NoneType"),
        ([2], "not list"),
        (1e30, "cannot exceed"),
    ],
)
def test_safe_11_parse_volume_ml_rejects(value: object, says: str) -> None:
    with pytest.raises(RuleError) as error:
        parse_volume_ml(value)  # type: ignore[arg-type]
    assert error.value.code == "invalid_volume"
    assert says in error.value.message


def test_safe_11_zero_when_allowed() -> None:
    assert parse_volume_ml(0, allow_zero=True) == 0
    assert parse_volume_ml("0,0", allow_zero=True) == 0


@pytest.mark.parametrize(
    ("ul", "ml", "number", "text"),
    [
        (2500, Decimal("2.5"), 2.5, "2.5 mL"),
        (20000, Decimal("20"), 20, "20 mL"),
        (2000, Decimal("2"), 2, "2 mL"),
        (125, Decimal("0.125"), 0.125, "0.125 mL"),
        (1, Decimal("0.001"), 0.001, "0.001 mL"),
        (0, Decimal("0"), 0, "0 mL"),
        (100000000, Decimal("100000"), 100000, "100000 mL"),
    ],
)
def test_safe_11_conversions(ul: int, ml: Decimal, number: int | float, text: str) -> None:
    assert ul_to_ml(ul) == ml
    assert str(ul_to_ml(ul)) == str(ml)
    assert ml_number(ul) == number
    assert type(ml_number(ul)) is type(number)
    assert format_ml(ul) == text


def test_safe_11_format_ml_decimal_comma() -> None:
    assert format_ml(2500, decimal_separator=",") == "2,5 mL"


@PROPERTY
@given(ul=st.integers(1, 10**9))
def test_safe_11_round_trips(ul: int) -> None:
    assert parse_volume_ml(str(ul_to_ml(ul))) == ul
    assert parse_volume_ml(ml_number(ul)) == ul  # through a JSON float
    assert parse_volume_ml(format_ml(ul, decimal_separator=",").removesuffix(" mL")) == ul
    assert ul_to_ml(ul) * MICROLITRES_PER_ML == ul
