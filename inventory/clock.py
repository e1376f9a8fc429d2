"""The one clock for business time, so tests can freeze it.

Never the database server's clock for business timestamps.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

_frozen: datetime | None = None


def now() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def clinic_zone() -> ZoneInfo:
    name = current_app.config["CLINIC_TIMEZONE"] if has_app_context() else "UTC"
    return ZoneInfo(name)


def today() -> date:
    """Today's date in the clinic's time zone."""
    return now().astimezone(clinic_zone()).date()


def local(moment: datetime) -> datetime:
    return moment.astimezone(clinic_zone())


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Freeze business time (tests, demo data generation)."""
    global _frozen
    previous = _frozen
    _frozen = moment.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous


def advance(delta: timedelta) -> None:
    """Move frozen business time forward (tests)."""
    global _frozen
    if _frozen is None:
        raise RuntimeError("the clock is not frozen")
    _frozen += delta
