"""SAFE-12: one normal form for products' substances and patients' allergies."""

from __future__ import annotations

import pytest

from inventory.rules.substances import allergens, normalise, normalise_all


@pytest.mark.parametrize(
    ("typed", "stored"),
    [(" Lidocaine ", "lidocaine"), ("HYALURONIC   acid", "hyaluronic acid"), ("DMAE", "dmae"), ("", "")],
)
def test_safe_12_substances_are_trimmed_and_lower_case(typed: str, stored: str) -> None:
    assert normalise(typed) == stored


def test_safe_12_each_substance_once_blanks_dropped() -> None:
    assert normalise_all(["Lidocaine", " lidocaine", "", "  ", "Biotin"]) == ["lidocaine", "biotin"]


def test_safe_12_allergens_are_the_substances_the_patient_reacts_to() -> None:
    assert allergens(["lidocaine", "Hyaluronidase", "caffeine"], ["HYALURONIDASE ", "Lidocaine"]) == [
        "hyaluronidase",
        "lidocaine",
    ]
    assert allergens(["biotin"], ["lidocaine"]) == []
    assert allergens([], ["lidocaine"]) == []
