"""Reorder suggestions: first-expiry-first-out cover, lapsing stock is not cover, lead time, reorder point."""

from __future__ import annotations

import math
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.rules.reorder import (
    Portion,
    ReorderInput,
    ReorderReason,
    days_usable,
    observation_days,
    simulate_cover,
    suggest,
)
from tests.rules.helpers import PROPERTY

TODAY = date(2026, 1, 1)
VIAL = 5_000  # a 5 mL vial


def in_days(days: int, remaining_ul: int = VIAL) -> Portion:
    return Portion(usable_through=TODAY + timedelta(days=days), remaining_ul=remaining_ul)


def data(
    *portions: Portion, drawn_ul: int = 90_000, observed_days: int = 90, **overrides: int
) -> ReorderInput:
    values = {"reorder_point": 2, "reorder_quantity": 10, "lead_time_days": 7, **overrides}
    return ReorderInput(
        today=TODAY,
        vial_volume_ul=VIAL,
        drawn_ul=drawn_ul,
        observed_days=observed_days,
        portions=portions,
        **values,
    )


# id, input, (needs_reorder, suggested_vials, reason, usable_ul, expiring_unused_ul, usable_vials)
VECTORS = [
    (
        "no draws in the window, stock above the reorder point: nothing to reorder, all stock would lapse",
        data(in_days(300), in_days(300), drawn_ul=0, reorder_point=1),
        (False, 0, ReorderReason.NO_RECENT_USE, 0, 10_000, 0),
    ),
    (
        "go-live, no use recorded yet, two vials at a reorder point of 2: suggested (below reorder point)",
        data(in_days(300), in_days(300), drawn_ul=0),
        (True, 10, ReorderReason.BELOW_REORDER_POINT, 0, 10_000, 0),
    ),
    (
        "no use, nothing on the shelf, reorder point 4, quantity 2: enough to rise above the point",
        data(drawn_ul=0, reorder_point=4, reorder_quantity=2),
        (True, 5, ReorderReason.BELOW_REORDER_POINT, 0, 0, 0),
    ),
    (
        "no use, an expired vial does not count: one in-date vial under a point of 2",
        data(in_days(-1), in_days(30), drawn_ul=0),
        (True, 10, ReorderReason.BELOW_REORDER_POINT, 0, 5_000, 0),
    ),
    (
        "no use, vials on order lift the position above the reorder point",
        data(in_days(300), drawn_ul=0, on_order_vials=5),
        (False, 0, ReorderReason.NO_RECENT_USE, 0, 5_000, 0),
    ),
    (
        "no use and no reorder point set: never suggested",
        data(drawn_ul=0, reorder_point=0),
        (False, 0, ReorderReason.NO_RECENT_USE, 0, 0, 0),
    ),
    (
        "1 mL a day, four vials for a year: 20 days of cover, enough",
        data(*[in_days(365)] * 4),
        (False, 0, ReorderReason.ENOUGH_COVER, 20_000, 0, 4),
    ),
    (
        "one vial left: 5 days of cover under a 7-day lead time; order the reorder quantity",
        data(in_days(365)),
        (True, 10, ReorderReason.RUNS_OUT_BEFORE_DELIVERY, 5_000, 0, 1),
    ),
    (
        "three vials expire in 2 days: 3 mL used, 12 mL lapse and are not cover",
        data(*[in_days(2)] * 3, in_days(365), in_days(365)),
        (False, 0, ReorderReason.ENOUGH_COVER, 13_000, 12_000, 3),
    ),
    (
        "the same with a reorder point of 3 vials: 2.6 vials of cover is below it",
        data(*[in_days(2)] * 3, in_days(365), in_days(365), reorder_point=3),
        (True, 10, ReorderReason.BELOW_REORDER_POINT, 13_000, 12_000, 3),
    ),
    (
        "ten vials already on order cover the lead time",
        data(in_days(365), on_order_vials=10),
        (False, 0, ReorderReason.ENOUGH_COVER, 5_000, 0, 1),
    ),
    (
        "slow mover: 0.1 mL a day, a 180-day shelf life uses 3 vials at most, not 10",
        data(drawn_ul=9_000, reorder_point=0, shelf_life_days=180),
        (True, 3, ReorderReason.NO_USABLE_STOCK, 0, 0, 0),
    ),
    (
        "under 1 µL a day, stock usable through today only: all of it lapses",
        data(in_days(0), in_days(0), drawn_ul=89, observed_days=90),
        (True, 10, ReorderReason.NO_USABLE_STOCK, 0, 10_000, 0),
    ),
    (
        "a lead-time need above the reorder quantity wins: 3 mL a day × 7 days + 2 vials",
        data(drawn_ul=270_000, reorder_quantity=1),
        (True, 7, ReorderReason.NO_USABLE_STOCK, 0, 0, 0),
    ),
    (
        "expired stock is not on hand at all",
        data(in_days(-1), *[in_days(365)] * 4),
        (False, 0, ReorderReason.ENOUGH_COVER, 20_000, 0, 4),
    ),
]


@pytest.mark.parametrize(("case", "given_input", "expected"), VECTORS, ids=[v[0] for v in VECTORS])
def test_reorder_vectors(case: str, given_input: ReorderInput, expected: tuple[Any, ...]) -> None:
    result = suggest(given_input)
    needs, vials, reason, usable_ul, expiring_ul, usable_vials = expected
    assert (result.needs_reorder, result.suggested_vials, result.reason) == (needs, vials, reason)
    assert (result.usable_ul, result.expiring_unused_ul, result.usable_vials) == (
        usable_ul,
        expiring_ul,
        usable_vials,
    )


def test_reorder_days_of_cover_and_daily_use_are_exact() -> None:
    result = suggest(data(in_days(365), in_days(365), drawn_ul=10_000, observed_days=3))
    assert result.daily_use_ul == Fraction(10_000, 3)
    assert result.days_of_cover == 3  # 10 mL at 3⅓ mL a day


def test_reorder_shelf_life_cap_is_flagged() -> None:
    result = suggest(data(drawn_ul=9_000, reorder_point=0, shelf_life_days=180))
    assert result.capped_by_shelf_life
    assert not suggest(data(drawn_ul=9_000, reorder_point=0)).capped_by_shelf_life


@pytest.mark.parametrize(
    ("window", "history", "expected"), [(90, 400, 90), (90, 10, 10), (90, 0, 1), (30, 30, 30)]
)
def test_reorder_rate_over_own_history_when_younger_than_window(
    window: int, history: int, expected: int
) -> None:
    assert observation_days(window, history) == expected


@pytest.mark.parametrize(("days", "expected"), [(-1, 0), (0, 1), (1, 2), (30, 31)])
def test_reorder_a_portion_is_usable_through_its_last_day(days: int, expected: int) -> None:
    assert days_usable(TODAY, TODAY + timedelta(days=days)) == expected


def test_reorder_first_expiry_first_out_order_does_not_depend_on_input_order() -> None:
    portions = [in_days(365), in_days(2), in_days(2), in_days(10)]
    forward = simulate_cover(portions, Fraction(1000), TODAY)
    backward = simulate_cover(list(reversed(portions)), Fraction(1000), TODAY)
    assert forward == backward
    # 3 mL from the first 2-day vial, the second lapses, 11 − 3 = 8 mL of the 10-day one, all the last.
    assert (forward.covered_ul, forward.lapsing_ul) == (3_000 + 5_000 + 5_000, 5_000 + 2_000)


def test_reorder_rejects_impossible_input() -> None:
    with pytest.raises(ValueError, match="drawn volume"):
        suggest(data(drawn_ul=-1))
    with pytest.raises(ValueError, match="more than 0"):
        suggest(ReorderInput(TODAY, 0, 0, 0, 0, 0, 1))


# ---- properties ----------------------------------------------------------------------------------

portions_strategy = st.lists(
    st.builds(
        Portion,
        usable_through=st.integers(min_value=-5, max_value=800).map(lambda d: TODAY + timedelta(days=d)),
        remaining_ul=st.integers(min_value=0, max_value=20_000),
    ),
    max_size=12,
)
inputs_strategy = st.builds(
    ReorderInput,
    today=st.just(TODAY),
    vial_volume_ul=st.integers(min_value=1, max_value=20_000),
    reorder_point=st.integers(min_value=0, max_value=20),
    reorder_quantity=st.integers(min_value=0, max_value=50),
    lead_time_days=st.integers(min_value=0, max_value=60),
    drawn_ul=st.integers(min_value=0, max_value=2_000_000),
    observed_days=st.integers(min_value=1, max_value=365),
    portions=portions_strategy,
    on_order_vials=st.integers(min_value=0, max_value=30),
    shelf_life_days=st.one_of(st.none(), st.integers(min_value=0, max_value=1000)),
)


@PROPERTY
@given(inputs_strategy)
def test_reorder_property_never_negative(given_input: ReorderInput) -> None:
    result = suggest(given_input)
    for value in (
        result.usable_ul,
        result.usable_vials,
        result.expiring_unused_ul,
        result.suggested_vials,
        result.on_hand_ul,
        result.on_hand_vials,
    ):
        assert value >= 0
    assert result.daily_use_ul >= 0
    assert result.days_of_cover is None or result.days_of_cover >= 0


@PROPERTY
@given(inputs_strategy)
def test_reorder_property_usable_never_above_on_hand(given_input: ReorderInput) -> None:
    result = suggest(given_input)
    assert result.usable_ul <= result.on_hand_ul
    assert result.usable_vials <= result.on_hand_vials
    assert result.usable_ul + result.expiring_unused_ul == result.on_hand_ul


@PROPERTY
@given(inputs_strategy)
def test_reorder_property_lapsing_stock_is_not_cover(given_input: ReorderInput) -> None:
    """Nothing counts as cover beyond what the rate can use by each portion's last usable day."""
    result = suggest(given_input)
    rate = result.daily_use_ul
    live = sorted(
        (p for p in given_input.portions if p.remaining_ul and days_usable(TODAY, p.usable_through)),
        key=lambda p: p.usable_through,
    )
    horizon = days_usable(TODAY, live[-1].usable_through) if live else 0
    assert result.usable_ul <= math.floor(rate * horizon)
    # Stock that can no longer be drawn after today, added on top, never adds more than a day's use.
    extra = Portion(TODAY, 1_000_000)
    more = suggest(ReorderInput(**{**given_input.__dict__, "portions": [*given_input.portions, extra]}))
    assert more.usable_ul - result.usable_ul <= math.floor(rate)


@PROPERTY
@given(inputs_strategy)
def test_reorder_property_suggests_vials_exactly_when_needed(given_input: ReorderInput) -> None:
    result = suggest(given_input)
    assert (result.suggested_vials > 0) == result.needs_reorder
    if result.reason is ReorderReason.NO_RECENT_USE:
        assert result.usable_ul == 0
        assert not result.needs_reorder


@PROPERTY
@given(inputs_strategy, st.integers(min_value=1, max_value=100))
def test_reorder_property_later_expiry_never_reduces_cover(given_input: ReorderInput, later: int) -> None:
    result = suggest(given_input)
    postponed = [
        Portion(p.usable_through + timedelta(days=later), p.remaining_ul) for p in given_input.portions
    ]
    assert (
        suggest(ReorderInput(**{**given_input.__dict__, "portions": postponed})).usable_ul >= result.usable_ul
    )
