"""GS1-03: GTIN check digits, validation and normalisation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.rules.errors import RuleError
from inventory.rules.gtin import gtin_check_digit, is_valid_gtin, normalize_gtin
from tests.rules.helpers import PROPERTY


@pytest.mark.parametrize(
    ("first_digits", "check"),
    [
        ("0950600013435", 2),  # GTIN-13 of domain.md G1
        ("400638133393", 1),  # EAN-13 4006381333931
        ("03600029145", 2),  # UPC-A 036000291452
        ("9638507", 4),  # EAN-8 96385074
        ("1950600013435", 9),  # GTIN-14 with indicator digit 1
        ("0000000000000", 0),
    ],
)
def test_gs1_03_check_digit(first_digits: str, check: int) -> None:
    assert gtin_check_digit(first_digits) == check


@pytest.mark.parametrize("bad", ["", "12a4", "٠١٢٣", "12 34"])
def test_gs1_03_check_digit_needs_digits(bad: str) -> None:
    with pytest.raises(RuleError) as error:
        gtin_check_digit(bad)
    assert error.value.code == "invalid_gtin"


@pytest.mark.parametrize(
    ("gtin", "valid"),
    [
        ("09506000134352", True),
        ("4006381333931", True),
        ("036000291452", True),
        ("96385074", True),
        ("09506000134353", False),  # wrong check digit
        ("9506000134352", True),
        ("950600013435", False),  # 12 digits, check digit wrong for a GTIN-12
        ("123456789", False),  # 9 digits
        ("00000000000000000", False),  # 17 digits
        ("0950600013435X", False),
        ("", False),
        ("٠٩٥٠٦٠٠٠١٣٤٣٥٢", False),  # Arabic-Indic digits are not GTIN digits
    ],
)
def test_gs1_03_is_valid_gtin(gtin: str, valid: bool) -> None:
    assert is_valid_gtin(gtin) is valid


@pytest.mark.parametrize(
    ("gtin", "normalized"),
    [
        ("09506000134352", "09506000134352"),
        ("4006381333931", "04006381333931"),
        ("036000291452", "00036000291452"),
        ("96385074", "00000096385074"),
        (" 4006381333931\n", "04006381333931"),
    ],
)
def test_gs1_03_normalize_gtin_pads_to_14(gtin: str, normalized: str) -> None:
    assert normalize_gtin(gtin) == normalized


@pytest.mark.parametrize(
    ("gtin", "says"),
    [
        ("09506000134353", "check digit"),
        ("123456789", "8, 12, 13 or 14 digits"),
        ("ABCDEFGH", "only the digits"),
    ],
)
def test_gs1_03_normalize_gtin_rejects(gtin: str, says: str) -> None:
    with pytest.raises(RuleError) as error:
        normalize_gtin(gtin)
    assert error.value.code == "invalid_gtin"
    assert says in error.value.message


@PROPERTY
@given(
    body=st.text("0123456789", min_size=13, max_size=13), position=st.integers(0, 13), shift=st.integers(1, 9)
)
def test_gs1_03_any_single_digit_error_is_caught(body: str, position: int, shift: int) -> None:
    gtin = body + str(gtin_check_digit(body))
    assert is_valid_gtin(gtin)
    wrong = gtin[:position] + str((int(gtin[position]) + shift) % 10) + gtin[position + 1 :]
    assert not is_valid_gtin(wrong)
