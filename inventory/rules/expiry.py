"""Manufacturer expiry and in-use limits of opened containers (EXP-01, VIAL-01..04).

Every limit here is "the last usable instant": a thing is usable while ``now <= until``.
Results are aware datetimes in UTC. A duration added across a DST change gives the earlier of the
two readings, elapsed time and clock time (``add_limit``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from inventory.rules.policy import DEFAULT_POLICY, Container, Policy


class BlockReason(StrEnum):
    """Why a vial cannot be drawn (SAFE-01..03), in priority order."""

    RECALLED = "recalled"
    QUARANTINED = "quarantined"
    EXPIRED = "expired"
    IN_USE_LIMIT = "in_use_limit"


def require_aware(moment: datetime, name: str = "datetime") -> datetime:
    """Return ``moment`` in UTC; a naive datetime is a programming error, not a user's."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC)


def add_limit(start: datetime, limit: timedelta, tz: ZoneInfo) -> datetime:
    """``start`` + ``limit``, never longer than ``limit`` in real time nor later on the clinic's clock.

    Across a DST change the two differ by an hour: 21:00 + 12 h on the night clocks go forward is
    09:00 by the clock but 10:00 in elapsed time; on the night they go back, 09:00 by the clock is
    13 hours later. The earlier one is what a label may promise.
    """
    start = require_aware(start, "start")
    by_clock = (start.astimezone(tz) + limit).astimezone(UTC)
    return min(by_clock, start + limit)


def expiry_end(expiry: date, tz: ZoneInfo) -> datetime:
    """EXP-01: the last usable instant of an expiry date, the end of that day in the clinic's zone
    (shown as 23:59:59), in UTC."""
    return datetime.combine(expiry, time.max, tzinfo=tz).astimezone(UTC)


def is_expired(expiry: date, now: datetime, tz: ZoneInfo) -> bool:
    """EXP-01: expired from 00:00 on the day after ``expiry``, clinic time."""
    return require_aware(now, "now") > expiry_end(expiry, tz)


def in_use_until(
    container: Container,
    opened_at: datetime,
    lot_expiry: date,
    tz: ZoneInfo,
    policy: Policy = DEFAULT_POLICY,
    in_use_days: int | None = None,
) -> datetime:
    """The last usable instant of an opened container, never after its lot's expiry.

    - VIAL-01 ``single_dose``: ``policy.single_dose_in_use`` (12 h) after first puncture;
    - VIAL-03 ``multi_dose``: ``in_use_days`` (the product's own figure) or else
      ``policy.multi_dose_in_use_days`` (28) days after first puncture;
    - VIAL-02 ``ampoule``: the instant it is opened; no later draw may use it, so only the preparation
      that opens it does (BUD-06).
    """
    opened = require_aware(opened_at, "opened_at")
    if container is Container.SINGLE_DOSE:
        until = add_limit(opened, policy.single_dose_in_use, tz)
    elif container is Container.MULTI_DOSE:
        days = policy.multi_dose_in_use_days if in_use_days is None else in_use_days
        until = add_limit(opened, timedelta(days=days), tz)
    else:
        until = opened
    return min(until, expiry_end(lot_expiry, tz))


def vial_blocked_reason(
    *,
    now: datetime,
    expiry: date,
    tz: ZoneInfo,
    lot_status: str,
    opened_at: datetime | None,
    in_use_until: datetime | None,
) -> BlockReason | None:
    """Why a vial cannot be drawn now, or None if it can; the first that applies of recalled,
    quarantined (SAFE-03), expired (EXP-01, SAFE-01), in_use_limit (SAFE-02, VIAL-01..04).

    ``lot_status`` is the lot's status (``available``, ``quarantined``, ``recalled``). A vial with only
    one of ``opened_at`` and ``in_use_until`` cannot prove it is within its limit: it is blocked
    (VIAL-04: an opened vial without its puncture time is discarded).
    """
    if lot_status == BlockReason.RECALLED:
        return BlockReason.RECALLED
    if lot_status == BlockReason.QUARANTINED:
        return BlockReason.QUARANTINED
    if is_expired(expiry, now, tz):
        return BlockReason.EXPIRED
    if opened_at is None and in_use_until is None:
        return None
    if opened_at is None or in_use_until is None or require_aware(now) > require_aware(in_use_until):
        return BlockReason.IN_USE_LIMIT
    return None
