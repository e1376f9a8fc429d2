import pytest

from inventory.rules.lots import normalize_lot_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" hyal-2409 ", "HYAL-2409"),
        ("HYAL-2409", "HYAL-2409"),
        ("lo0t", "LO0T"),
        (None, ""),
        ("\tab 1\n", "AB 1"),
    ],
)
def test_rcl_01_lot_numbers_are_trimmed_and_upper_cased(raw, expected):
    assert normalize_lot_number(raw) == expected


def test_rcl_01_no_prefix_matching():
    assert normalize_lot_number("hyal-24090") != normalize_lot_number("HYAL-2409")
