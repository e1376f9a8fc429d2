"""Shared bits of the rules tests: clinic zones, local times, Hypothesis settings."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings

ISTANBUL = ZoneInfo("Europe/Istanbul")
#: A zone with DST: clocks go forward on 2025-03-30 at 02:00 (CET → CEST).
PARIS = ZoneInfo("Europe/Paris")
ZONES = [ISTANBUL, PARIS]

#: Modest example counts: the whole tests/rules suite stays well under 15 s.
PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def local(tz: ZoneInfo, text: str) -> datetime:
    """An aware datetime from clinic wall time: ``local(PARIS, "2025-03-10 09:00")``."""
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def wall(moment: datetime, tz: ZoneInfo) -> str:
    """How a moment shows on a label in the clinic: ``2025-03-31 23:59:59``."""
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
