"""Temperatures as integer tenths of a degree (COLD-02), and what the fuzzer once found there."""

from __future__ import annotations

import pytest

from inventory.rules.coldchain import degrees_out, to_dc
from inventory.rules.errors import RuleError


@pytest.mark.parametrize(("typed", "tenths"), [(4.5, 45), ("4,5", 45), ("-20", -200), (2.25, 23), (50, 500)])
def test_cold_02_a_reading_is_kept_in_tenths(typed: object, tenths: int) -> None:
    assert to_dc(typed) == tenths  # type: ignore[arg-type]


@pytest.mark.parametrize("typed", [3.881838369926074e173, 1e308, -1e308, "1e400", 50.1, -80.1, "NaN", "warm"])
def test_cold_02_a_temperature_out_of_reach_is_refused_not_a_server_error(typed: object) -> None:
    """schemathesis sent {"max_c": 3.88e173} to POST /storage-units/{id}/readings: rounding it raised
    decimal.InvalidOperation, a 500. It is refused as a rule error instead."""
    with pytest.raises(RuleError, match=r"temperature|outside") as refused:
        to_dc(typed)  # type: ignore[arg-type]
    assert refused.value.code == "invalid_temperature"


@pytest.mark.parametrize(
    ("values", "out"),
    [
        ([45, 30, 60], 0),
        ([95, None, 105], 25),
        ([15, -5, None], 25),
        ([90, 10, 90], 10),
        ([], 0),
        ([None], 0),
    ],
)
def test_cold_03_how_far_an_excursion_went_out_of_a_2_to_8_range(values: list[int | None], out: int) -> None:
    assert degrees_out(20, 80, values) == out
