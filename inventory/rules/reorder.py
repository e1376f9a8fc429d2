"""Expiry-aware reorder suggestions: keep the shelves full without buying vials that expire unused.

The rate of use is the volume drawn over the observation window (or the product's own history when it
is younger). Stock on hand is consumed first-expiry-first-out at that rate, portion by portion (a
portion is one vial, usable through a date: its lot's expiry, or sooner its in-use limit once
opened). What is left of a portion when it stops being usable lapses: it is *not* cover.

Everything is in integer microlitres; the daily rate is an exact fraction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction
from typing import Any


class ReorderReason(StrEnum):
    """Why a product is (or is not) on the reorder list; the app words each one."""

    NO_RECENT_USE = "no_recent_use"
    ENOUGH_COVER = "enough_cover"
    RUNS_OUT_BEFORE_DELIVERY = "runs_out_before_delivery"
    BELOW_REORDER_POINT = "below_reorder_point"
    NO_USABLE_STOCK = "no_usable_stock"


@dataclass(frozen=True)
class Portion:
    """One usable vial: what is left in it and the last day it can be drawn."""

    usable_through: date
    remaining_ul: int


@dataclass(frozen=True)
class ReorderInput:
    today: date
    vial_volume_ul: int
    reorder_point: int
    reorder_quantity: int
    lead_time_days: int
    drawn_ul: int
    observed_days: int
    portions: Sequence[Portion] = ()
    on_order_vials: int = 0
    shelf_life_days: int | None = None


@dataclass(frozen=True)
class Cover:
    """The outcome of consuming the stock first-expiry-first-out at the daily rate."""

    covered_ul: int
    lapsing_ul: int
    covered_vials: int


@dataclass(frozen=True)
class Suggestion:
    on_hand_vials: int
    on_hand_ul: int
    usable_vials: int
    usable_ul: int
    expiring_unused_ul: int
    daily_use_ul: Fraction
    days_of_cover: Fraction | None
    reorder_point: int
    lead_time_days: int
    on_order_vials: int
    needs_reorder: bool
    suggested_vials: int
    reason: ReorderReason
    capped_by_shelf_life: bool = False


def observation_days(window_days: int, history_days: int) -> int:
    """Days the rate of use is measured over: the window, or the product's own (shorter) history."""
    return max(1, min(window_days, history_days))


def daily_use(drawn_ul: int, observed_days: int) -> Fraction:
    if drawn_ul < 0 or observed_days < 1:
        raise ValueError("drawn volume must be >= 0 and the observation at least one day")
    return Fraction(drawn_ul, observed_days)


def days_usable(today: date, usable_through: date) -> int:
    """Whole days a portion can still be drawn from, today included (0 when already past)."""
    return max(0, (usable_through - today).days + 1)


def simulate_cover(portions: Sequence[Portion], rate_ul_per_day: Fraction, today: date) -> Cover:
    """Consume the portions first-expiry-first-out at the rate; what is left at each portion's last
    usable day lapses. Consumption never stops while an in-date portion is left, so what the first
    `n` days can use of everything expiring by day `n` is `rate × n`, less what earlier portions took."""
    consumed = 0
    lapsing = 0
    covered_vials = 0
    for portion in sorted(portions, key=lambda p: p.usable_through):
        capacity = math.floor(rate_ul_per_day * days_usable(today, portion.usable_through))
        taken = max(0, min(portion.remaining_ul, capacity - consumed))
        consumed += taken
        lapsing += portion.remaining_ul - taken
        covered_vials += taken > 0
    return Cover(covered_ul=consumed, lapsing_ul=lapsing, covered_vials=covered_vials)


def _shelf_life_cap(data: ReorderInput, rate: Fraction, days_of_cover: Fraction) -> int:
    """Vials of a new delivery that can be used before they expire: they arrive after the lead time,
    are drawn once today's cover is gone, and expire a shelf life after arrival."""
    assert data.shelf_life_days is not None
    arrival = Fraction(data.lead_time_days)
    start = max(arrival, days_of_cover)
    usable_days = max(Fraction(0), arrival + data.shelf_life_days - start)
    return max(1, math.floor(rate * usable_days / data.vial_volume_ul))


def _without_use(data: ReorderInput, common: dict[str, Any], *, on_hand_vials: int) -> Suggestion:
    """No recorded use yet (the first weeks after go-live): no rate to run the stock down at, so the
    in-date vials on hand and on order are compared with the reorder point as they are."""
    position = on_hand_vials + max(0, data.on_order_vials)
    if data.reorder_point > 0 and position <= data.reorder_point:
        wanted = max(data.reorder_quantity, data.reorder_point - position + 1, 1)
        return Suggestion(
            **common,
            days_of_cover=None,
            needs_reorder=True,
            suggested_vials=wanted,
            reason=ReorderReason.BELOW_REORDER_POINT,
        )
    return Suggestion(
        **common,
        days_of_cover=None,
        needs_reorder=False,
        suggested_vials=0,
        reason=ReorderReason.NO_RECENT_USE,
    )


def suggest(data: ReorderInput) -> Suggestion:
    """Whether to reorder, how many vials, and why."""
    if data.vial_volume_ul <= 0:
        raise ValueError("a vial holds more than 0 µL")
    portions = [p for p in data.portions if p.remaining_ul > 0 and days_usable(data.today, p.usable_through)]
    on_hand_ul = sum(p.remaining_ul for p in portions)
    rate = daily_use(data.drawn_ul, data.observed_days)
    cover = simulate_cover(portions, rate, data.today)
    common: dict[str, Any] = {
        "on_hand_vials": len(portions),
        "on_hand_ul": on_hand_ul,
        "usable_vials": cover.covered_vials,
        "usable_ul": cover.covered_ul,
        "expiring_unused_ul": cover.lapsing_ul,
        "daily_use_ul": rate,
        "reorder_point": data.reorder_point,
        "lead_time_days": data.lead_time_days,
        "on_order_vials": max(0, data.on_order_vials),
    }
    if rate == 0:
        return _without_use(data, common, on_hand_vials=len(portions))
    days_of_cover = Fraction(cover.covered_ul) / rate
    incoming_days = Fraction(max(0, data.on_order_vials) * data.vial_volume_ul) / rate
    position_vials = Fraction(cover.covered_ul, data.vial_volume_ul) + max(0, data.on_order_vials)
    runs_out = days_of_cover + incoming_days <= data.lead_time_days
    below_point = position_vials <= data.reorder_point
    if not (runs_out or below_point):
        return Suggestion(
            **common,
            days_of_cover=days_of_cover,
            needs_reorder=False,
            suggested_vials=0,
            reason=ReorderReason.ENOUGH_COVER,
        )
    lead_time_need = rate * data.lead_time_days
    shortfall = math.ceil(lead_time_need / data.vial_volume_ul + data.reorder_point - position_vials)
    wanted = max(data.reorder_quantity, shortfall, 1)
    capped = False
    if data.shelf_life_days is not None:
        cap = _shelf_life_cap(data, rate, days_of_cover)
        if cap < wanted:
            wanted, capped = cap, True
    if cover.covered_ul == 0:
        reason = ReorderReason.NO_USABLE_STOCK
    elif runs_out:
        reason = ReorderReason.RUNS_OUT_BEFORE_DELIVERY
    else:
        reason = ReorderReason.BELOW_REORDER_POINT
    return Suggestion(
        **common,
        days_of_cover=days_of_cover,
        needs_reorder=True,
        suggested_vials=wanted,
        reason=reason,
        capped_by_shelf_life=capped,
    )
