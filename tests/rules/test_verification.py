"""The independent second check as a pure rule (SAFE-15): what the verifier entered against the record."""

from __future__ import annotations

from inventory.rules.verification import compare, split_scans

DRAWN = ["V0000000001", "V0000000002"]


def test_safe_15_every_vial_drawn_and_the_volume_match() -> None:
    result = compare(3000, 3000, [" v0000000002\r", "V0000000001"], DRAWN)
    assert result.matches
    assert result.scanned == ("V0000000002", "V0000000001")


def test_safe_15_a_vial_scanned_twice_counts_once() -> None:
    assert compare(3000, 3000, [*DRAWN, DRAWN[0]], DRAWN).matches


def test_safe_15_a_missing_vial_is_a_mismatch() -> None:
    result = compare(3000, 3000, DRAWN[:1], DRAWN)
    assert not result.matches
    assert result.missing == ("V0000000002",)


def test_safe_15_no_scans_at_all_is_a_mismatch() -> None:
    result = compare(3000, 3000, None, DRAWN)
    assert not result.matches
    assert result.missing == tuple(DRAWN)


def test_safe_15_an_extra_or_wrong_vial_is_a_mismatch() -> None:
    result = compare(3000, 3000, [*DRAWN, "V0000000009"], DRAWN)
    assert not result.matches
    assert result.extra == ("V0000000009",)
    assert not result.missing
    wrong = compare(3000, 3000, ["V0000000001", "V0000000009"], DRAWN)
    assert (wrong.missing, wrong.extra) == (("V0000000002",), ("V0000000009",))


def test_safe_15_a_scan_that_is_no_vial_code_is_a_mismatch() -> None:
    result = compare(3000, 3000, [*DRAWN, "S0000000001", "HELLO"], DRAWN)
    assert not result.vials_match
    assert result.not_vial_codes == ("S0000000001", "HELLO")


def test_safe_15_a_wrong_volume_is_a_mismatch_even_with_the_right_vials() -> None:
    result = compare(2500, 3000, DRAWN, DRAWN)
    assert result.vials_match
    assert not result.matches


def test_safe_15_scans_one_after_another_are_split_on_new_lines_spaces_and_commas() -> None:
    assert split_scans("V0000000001\r\nV0000000002\n\n v3, V4 ") == ["V0000000001", "V0000000002", "v3", "V4"]
