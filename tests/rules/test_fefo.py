"""SAFE-04: first-expiry-first-out, opened vials first; draws across several vials, all or nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.rules.errors import RuleError
from inventory.rules.fefo import (
    Candidate,
    InsufficientStock,
    departs_from_fefo,
    fefo_order,
    plan_draw,
    plan_draw_from,
)
from tests.rules.helpers import PROPERTY

JAN = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
FEB = datetime(2025, 2, 10, 9, 0, tzinfo=UTC)


def vial(
    vial_id: int,
    remaining_ul: int = 20_000,
    *,
    opened: bool = False,
    expiry: date = date(2026, 6, 30),
    received_at: datetime = JAN,
    usable: bool = True,
) -> Candidate:
    return Candidate(vial_id, remaining_ul, opened, expiry, received_at, usable)


# Lidocaine 20 mL vials: 1 sealed late lot, 2 sealed early lot, 3 opened (in limit), 4 sealed early lot
# received later, 5 blocked (recalled or past its in-use limit), 6 empty.
STOCK = [
    vial(1, expiry=date(2027, 1, 31)),
    vial(2, expiry=date(2026, 3, 31)),
    vial(3, 4_500, opened=True, expiry=date(2027, 1, 31)),
    vial(4, expiry=date(2026, 3, 31), received_at=FEB),
    vial(5, opened=True, expiry=date(2025, 12, 31), usable=False),
    vial(6, 0, opened=True, expiry=date(2025, 12, 31)),
]


def test_safe_04_fefo_order() -> None:
    assert [c.vial_id for c in fefo_order(STOCK)] == [3, 2, 4, 1]


@pytest.mark.parametrize(
    ("candidates", "order"),
    [
        (
            [vial(2, opened=True, expiry=date(2027, 1, 1)), vial(1, expiry=date(2025, 6, 1))],
            [2, 1],
        ),  # opened first
        (
            [vial(2, opened=True, expiry=date(2027, 1, 1)), vial(1, opened=True, expiry=date(2026, 1, 1))],
            [1, 2],
        ),
        ([vial(1, received_at=FEB), vial(2, received_at=JAN)], [2, 1]),  # same expiry: oldest receipt
        ([vial(2), vial(1)], [1, 2]),  # all equal: vial_id
        ([vial(1, usable=False), vial(2, 0)], []),
    ],
)
def test_safe_04_fefo_order_keys(candidates: list[Candidate], order: list[int]) -> None:
    assert [c.vial_id for c in fefo_order(candidates)] == order


@pytest.mark.parametrize(
    ("needed_ul", "plan"),
    [
        (1_000, [(3, 1_000)]),
        (4_500, [(3, 4_500)]),
        (5_000, [(3, 4_500), (2, 500)]),  # the opened vial is finished first
        (30_000, [(3, 4_500), (2, 20_000), (4, 5_500)]),
        (64_500, [(3, 4_500), (2, 20_000), (4, 20_000), (1, 20_000)]),
    ],
)
def test_safe_04_plan_draw_across_vials(needed_ul: int, plan: list[tuple[int, int]]) -> None:
    assert plan_draw(STOCK, needed_ul) == plan
    assert not departs_from_fefo(plan, STOCK, needed_ul)


def test_safe_11_insufficient_stock_all_or_nothing() -> None:
    with pytest.raises(InsufficientStock) as error:
        plan_draw(STOCK, 65_000)
    assert error.value.code == "insufficient_stock"
    assert (error.value.needed_ul, error.value.available_ul, error.value.short_ul) == (65_000, 64_500, 500)
    assert error.value.message == ("Not enough usable stock: 65 mL needed, 64.5 mL available, 0.5 mL short.")
    assert error.value.fields == {"needed_ml": "65", "available_ml": "64.5", "short_ml": "0.5"}


@pytest.mark.parametrize("needed_ul", [0, -1])
def test_safe_11_draw_needs_a_positive_volume(needed_ul: int) -> None:
    with pytest.raises(RuleError) as error:
        plan_draw(STOCK, needed_ul)
    assert error.value.code == "invalid_volume"


def test_safe_04_nurse_choice_in_her_order() -> None:
    plan = plan_draw_from([1, 3], STOCK, 22_000)
    assert plan == [(1, 20_000), (3, 2_000)]
    assert departs_from_fefo(plan, STOCK, 22_000)


def test_safe_04_nurse_choice_stops_when_enough() -> None:
    assert plan_draw_from([2, 1, 2], STOCK, 5_000) == [(2, 5_000)]


@pytest.mark.parametrize(
    ("chosen", "says"), [([5], "cannot be used"), ([6], "is empty"), ([99], "not a vial")]
)
def test_safe_04_nurse_choice_unusable_vial(chosen: list[int], says: str) -> None:
    with pytest.raises(RuleError) as error:
        plan_draw_from([3, *chosen], STOCK, 1_000)
    assert error.value.code == "vial_unusable"
    assert says in error.value.message
    assert error.value.fields == {"vial_id": str(chosen[0])}


def test_safe_04_nurse_choice_not_enough() -> None:
    with pytest.raises(InsufficientStock) as error:
        plan_draw_from([3], STOCK, 5_000)
    assert error.value.short_ul == 500


@pytest.mark.parametrize(
    ("plan", "needed_ul", "departs"),
    [
        ([(3, 1_000)], 1_000, False),
        ([(2, 1_000)], 1_000, True),  # a sealed vial while an opened one is in limit
        ([(3, 4_500), (4, 500)], 5_000, True),  # vial 2 (same expiry, received earlier) comes before 4
        ([(3, 4_500), (2, 500)], 5_000, False),
        ([(3, 4_000), (2, 1_000)], 5_000, True),  # vial 3 not finished first
        ([(2, 500), (3, 4_500)], 5_000, False),  # same vials and volumes, another order of drawing
        ([(5, 1_000)], 1_000, True),  # blocked vial
        ([(99, 1_000)], 1_000, True),  # unknown vial
        ([(3, 500)], 1_000, True),  # not the volume needed
    ],
)
def test_safe_04_departs_from_fefo(plan: list[tuple[int, int]], needed_ul: int, departs: bool) -> None:
    assert departs_from_fefo(plan, STOCK, needed_ul) is departs


def test_safe_04_equally_ranked_vials_are_interchangeable() -> None:
    twins = [vial(1), vial(2)]  # same lot, same delivery, both sealed
    assert plan_draw(twins, 1_000) == [(1, 1_000)]
    assert not departs_from_fefo([(2, 1_000)], twins, 1_000)


candidates = st.lists(
    st.builds(
        Candidate,
        vial_id=st.integers(1, 10_000),
        remaining_ul=st.integers(0, 20_000),
        opened=st.booleans(),
        expiry=st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31)),
        received_at=st.integers(0, 400).map(lambda days: JAN + timedelta(days=days)),
        usable=st.booleans(),
    ),
    max_size=8,
    unique_by=lambda c: c.vial_id,
)


@PROPERTY
@given(stock=candidates, needed_ul=st.integers(1, 100_000))
def test_safe_04_plan_properties(stock: list[Candidate], needed_ul: int) -> None:
    available = sum(c.remaining_ul for c in stock if c.usable)
    try:
        plan = plan_draw(stock, needed_ul)
    except InsufficientStock as error:
        short: int | None = error.short_ul
    else:
        short = None
    if short is not None:
        assert available < needed_ul
        assert short == needed_ul - available > 0
        return
    by_id = {c.vial_id: c for c in stock}
    assert sum(volume for _, volume in plan) == needed_ul
    assert all(
        by_id[vial_id].usable and 0 < volume <= by_id[vial_id].remaining_ul for vial_id, volume in plan
    )
    order = [c.vial_id for c in fefo_order(stock)]
    assert [vial_id for vial_id, _ in plan] == order[: len(plan)]  # a prefix of the FEFO order
    assert all(volume == by_id[vial_id].remaining_ul for vial_id, volume in plan[:-1])  # each one emptied
    assert not departs_from_fefo(plan, stock, needed_ul)


@PROPERTY
@given(stock=candidates, needed_ul=st.integers(1, 40_000), data=st.data())
def test_safe_04_nurse_choice_properties(stock: list[Candidate], needed_ul: int, data: st.DataObject) -> None:
    drawable = [c.vial_id for c in stock if c.usable and c.remaining_ul > 0]
    chosen = data.draw(st.permutations(drawable))
    try:
        plan = plan_draw_from(chosen, stock, needed_ul)
    except InsufficientStock:
        assert sum(c.remaining_ul for c in stock if c.vial_id in chosen) < needed_ul
        return
    by_id = {c.vial_id: c for c in stock}
    assert sum(volume for _, volume in plan) == needed_ul
    assert all(0 < volume <= by_id[vial_id].remaining_ul for vial_id, volume in plan)
    assert [vial_id for vial_id, _ in plan] == chosen[: len(plan)]
