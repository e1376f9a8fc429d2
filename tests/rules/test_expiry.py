"""Expiry to the end of the day (EXP-01) and in-use limits of opened containers (VIAL-01..04, T10-T13)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from inventory.rules.expiry import (
    BlockReason,
    add_limit,
    expiry_end,
    in_use_until,
    is_expired,
    vial_blocked_reason,
)
from inventory.rules.policy import DEFAULT_POLICY, Container, Policy
from tests.rules.helpers import ISTANBUL, PARIS, ZONES, local, wall

FAR = date(2026, 1, 31)


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_exp_01_usable_through_the_end_of_the_day(tz: ZoneInfo) -> None:
    end = expiry_end(date(2025, 3, 31), tz)
    assert end.tzinfo is UTC
    assert wall(end, tz) == "2025-03-31 23:59:59"
    assert not is_expired(date(2025, 3, 31), local(tz, "2025-03-31 23:59:59"), tz)
    assert not is_expired(date(2025, 3, 31), end, tz)
    assert is_expired(date(2025, 3, 31), local(tz, "2025-04-01 00:00"), tz)


@pytest.mark.parametrize(
    ("tz", "expiry", "utc_end"),
    [
        (ISTANBUL, date(2025, 3, 29), "2025-03-29 20:59:59"),  # UTC+3 all year
        (PARIS, date(2025, 3, 29), "2025-03-29 22:59:59"),  # CET, UTC+1
        (PARIS, date(2025, 3, 30), "2025-03-30 21:59:59"),  # the DST day itself ends in CEST, UTC+2
        (PARIS, date(2025, 10, 26), "2025-10-26 22:59:59"),  # back to CET
    ],
    ids=["istanbul", "paris-before-dst", "paris-dst-day", "paris-autumn"],
)
def test_exp_01_end_of_day_in_the_clinic_zone(tz: ZoneInfo, expiry: date, utc_end: str) -> None:
    assert wall(expiry_end(expiry, tz), ZoneInfo("UTC")) == utc_end


def test_exp_01_same_instant_differs_by_zone() -> None:
    # 21:30 UTC on 31 March is 23:30 in Paris (CEST) but already 00:30 on 1 April in Istanbul.
    now = datetime(2025, 3, 31, 21, 30, tzinfo=UTC)
    assert not is_expired(date(2025, 3, 31), now, PARIS)
    assert is_expired(date(2025, 3, 31), now, ISTANBUL)


def test_exp_01_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_expired(date(2025, 3, 31), datetime(2025, 3, 31, 12, 0), ISTANBUL)  # noqa: DTZ001


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_vial_t10_single_dose_12h(tz: ZoneInfo) -> None:
    until = in_use_until(Container.SINGLE_DOSE, local(tz, "2025-03-10 08:00"), FAR, tz)
    assert until == local(tz, "2025-03-10 20:00")
    assert blocked(tz, until, "2025-03-10 20:00") is None
    assert blocked(tz, until, "2025-03-10 20:01") == "in_use_limit"


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_vial_t11_multi_dose_28_days(tz: ZoneInfo) -> None:
    until = in_use_until(Container.MULTI_DOSE, local(tz, "2025-03-01 10:00"), date(2026, 1, 31), tz)
    assert until == local(tz, "2025-03-29 10:00")


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_vial_t12_multi_dose_never_past_lot_expiry(tz: ZoneInfo) -> None:
    until = in_use_until(Container.MULTI_DOSE, local(tz, "2025-03-01 10:00"), date(2025, 3, 15), tz)
    assert wall(until, tz) == "2025-03-15 23:59:59"
    assert until == expiry_end(date(2025, 3, 15), tz)


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_vial_t13_product_in_use_days(tz: ZoneInfo) -> None:
    until = in_use_until(Container.MULTI_DOSE, local(tz, "2025-03-01 10:00"), FAR, tz, DEFAULT_POLICY, 14)
    assert until == local(tz, "2025-03-15 10:00")


def test_vial_01_single_dose_limit_is_policy() -> None:
    policy = Policy(single_dose_in_use=timedelta(hours=1))
    until = in_use_until(Container.SINGLE_DOSE, local(ISTANBUL, "2025-03-10 08:00"), FAR, ISTANBUL, policy)
    assert until == local(ISTANBUL, "2025-03-10 09:00")


def test_vial_01_single_dose_never_past_lot_expiry() -> None:
    until = in_use_until(
        Container.SINGLE_DOSE, local(ISTANBUL, "2025-03-10 20:00"), date(2025, 3, 10), ISTANBUL
    )
    assert wall(until, ISTANBUL) == "2025-03-10 23:59:59"


@pytest.mark.parametrize(
    ("opened", "until", "elapsed"),
    [
        # Paris springs forward on 30 March: 20:00 + 12 h is 08:00 by the clock, 11 hours later.
        ("2025-03-29 20:00", "2025-03-30 08:00:00", timedelta(hours=11)),
        # and falls back on 26 October: 08:00 by the clock would be 13 hours; 12 elapsed is 07:00.
        ("2025-10-25 20:00", "2025-10-26 07:00:00", timedelta(hours=12)),
    ],
    ids=["spring", "autumn"],
)
def test_vial_01_across_dst_the_earlier_reading_wins(opened: str, until: str, elapsed: timedelta) -> None:
    result = in_use_until(Container.SINGLE_DOSE, local(PARIS, opened), FAR, PARIS)
    assert wall(result, PARIS) == until
    assert result - local(PARIS, opened) == elapsed


@pytest.mark.parametrize(
    ("start", "limit", "expected"),
    [
        ("2025-03-10 09:00", timedelta(hours=12), "2025-03-10 21:00:00"),
        ("2025-03-29 21:00", timedelta(hours=12), "2025-03-30 09:00:00"),  # by the clock: 11 h
        ("2025-03-30 01:00", timedelta(hours=2), "2025-03-30 03:00:00"),  # 02:00-03:00 does not exist
        ("2025-03-28 09:00", timedelta(days=4), "2025-04-01 09:00:00"),
        ("2025-10-25 21:00", timedelta(hours=12), "2025-10-26 08:00:00"),  # elapsed: the clock says 09:00
        ("2025-10-26 01:30", timedelta(hours=1), "2025-10-26 02:30:00"),  # first 02:30 (CEST)
    ],
)
def test_exp_add_limit_never_longer_in_time_nor_on_the_clock(
    start: str, limit: timedelta, expected: str
) -> None:
    result = add_limit(local(PARIS, start), limit, PARIS)
    assert wall(result, PARIS) == expected
    assert result - local(PARIS, start) <= limit


def test_vial_02_ampoule_no_storage_once_opened() -> None:
    opened = local(ISTANBUL, "2025-03-10 08:00")
    until = in_use_until(Container.AMPOULE, opened, FAR, ISTANBUL)
    assert until == opened
    assert blocked(ISTANBUL, until, "2025-03-10 08:00") is None
    assert blocked(ISTANBUL, until, "2025-03-10 08:01") == "in_use_limit"


def blocked(
    tz: ZoneInfo, until: datetime | None, now: str, *, status: str = "available", expiry: date = FAR
) -> str | None:
    opened_at = None if until is None else until - timedelta(minutes=1)
    return vial_blocked_reason(
        now=local(tz, now), expiry=expiry, tz=tz, lot_status=status, opened_at=opened_at, in_use_until=until
    )


@pytest.mark.parametrize(
    ("status", "expiry", "until", "reason"),
    [
        ("available", FAR, None, None),
        ("available", FAR, "2025-03-10 20:00", None),
        ("recalled", date(2025, 3, 1), "2025-03-10 10:00", BlockReason.RECALLED),  # recalled beats all
        ("quarantined", date(2025, 3, 1), "2025-03-10 10:00", BlockReason.QUARANTINED),
        ("available", date(2025, 3, 1), "2025-03-10 10:00", BlockReason.EXPIRED),
        ("available", FAR, "2025-03-10 10:00", BlockReason.IN_USE_LIMIT),
        ("available", date(2025, 3, 10), None, None),  # expires today: usable until midnight
        ("available", date(2025, 3, 9), None, BlockReason.EXPIRED),
    ],
)
def test_safe_03_vial_blocked_reason_priority(
    status: str, expiry: date, until: str | None, reason: str | None
) -> None:
    until_at = None if until is None else local(ISTANBUL, until)
    assert blocked(ISTANBUL, until_at, "2025-03-10 12:00", status=status, expiry=expiry) == reason


@pytest.mark.parametrize(
    ("opened_at", "until"),
    [(None, "2025-03-11 12:00"), ("2025-03-10 08:00", None)],
    ids=["no-puncture-time", "no-limit"],
)
def test_vial_04_opened_without_puncture_time_is_blocked(opened_at: str | None, until: str | None) -> None:
    reason = vial_blocked_reason(
        now=local(ISTANBUL, "2025-03-10 12:00"),
        expiry=FAR,
        tz=ISTANBUL,
        lot_status="available",
        opened_at=None if opened_at is None else local(ISTANBUL, opened_at),
        in_use_until=None if until is None else local(ISTANBUL, until),
    )
    assert reason == "in_use_limit"
