"""Our own codes for syringes, vials and batches (domain.md §4.1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.rules.codes import CROCKFORD_ALPHABET, CodeKind, new_code, normalize_scan, parse_code
from tests.rules.helpers import PROPERTY


@pytest.mark.parametrize(
    ("kind", "prefix"), [(CodeKind.SYRINGE, "S"), (CodeKind.VIAL, "V"), (CodeKind.BATCH, "B")]
)
def test_codes_new_code_has_prefix_and_ten_crockford_characters(kind: CodeKind, prefix: str) -> None:
    code = new_code(kind)
    assert code[0] == prefix
    assert len(code) == 11
    assert set(code[1:]) <= set(CROCKFORD_ALPHABET)
    assert parse_code(code) == (kind, code)


def test_codes_alphabet_has_no_i_l_o_u() -> None:
    assert len(CROCKFORD_ALPHABET) == 32
    assert not set("ILOU") & set(CROCKFORD_ALPHABET)


def test_codes_are_random() -> None:
    assert len({new_code(CodeKind.SYRINGE) for _ in range(1000)}) == 1000


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("S8K2M4P6Q8R", "S8K2M4P6Q8R"),
        ("s8k2m4p6q8r", "S8K2M4P6Q8R"),  # typed by hand in lower case
        ("S8K2 M4P6 Q8R", "S8K2M4P6Q8R"),  # spaces inside
        ("  s8k2m4p6q8r\r\n", "S8K2M4P6Q8R"),  # scanner terminator
        ("S8K2M4P6Q8R\t", "S8K2M4P6Q8R"),
        ("https://clinic.example/s/S8K2M4P6Q8R", "S8K2M4P6Q8R"),
        ("https://clinic.example/s/s8k2m4p6q8r/", "S8K2M4P6Q8R"),
        ("http://localhost:5000/scan/S8K2M4P6Q8R?src=qr", "S8K2M4P6Q8R"),
        ("https://clinic.example/s/S8K2M4P6Q8R/?src=qr#top", "S8K2M4P6Q8R"),
        ("/s/V0123456789", "V0123456789"),
        ("SOIL0123", "SOIL0123"),  # no guessing: O stays O, I stays I
    ],
)
def test_codes_normalize_scan(raw: str, clean: str) -> None:
    assert normalize_scan(raw) == clean


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("S8K2M4P6Q8R", (CodeKind.SYRINGE, "S8K2M4P6Q8R")),
        ("v0123456789", (CodeKind.VIAL, "V0123456789")),
        ("https://clinic.example/b/B0123456789/", (CodeKind.BATCH, "B0123456789")),
        ("S01234567", (CodeKind.SYRINGE, "S01234567")),  # 8 random characters: the minimum
        ("S" + "0" * 20, (CodeKind.SYRINGE, "S" + "0" * 20)),
        ("S0123456", None),  # 7: too short
        ("S" + "0" * 21, None),
        ("S8K2M4P6Q8O", None),  # O is not in the alphabet, and is not read as 0
        ("S8K2M4P6Q8I", None),
        ("S8K2M4P6Q8L", None),
        ("S8K2M4P6Q8U", None),
        ("X8K2M4P6Q8R", None),
        ("S8K2-M4P6Q8R", None),
        ("]d20109506000134352", None),
        ("", None),
    ],
)
def test_codes_parse_code(raw: str, expected: tuple[CodeKind, str] | None) -> None:
    assert parse_code(raw) == expected


@PROPERTY
@given(kind=st.sampled_from(CodeKind), gaps=st.lists(st.integers(0, 10), max_size=3), form=st.integers(0, 3))
def test_codes_new_code_survives_every_scan_form(kind: CodeKind, gaps: list[int], form: int) -> None:
    code = new_code(kind)
    typed = code.lower()
    for gap in gaps:
        typed = typed[:gap] + " " + typed[gap:]
    raw = [code, typed, f"https://clinic.example/s/{code}", f"https://clinic.example/s/{typed}/?x=1\r\n"][
        form
    ]
    assert normalize_scan(raw) == code
    assert parse_code(raw) == (kind, code)
