"""The "short" moment on pages is written directly: it must read exactly as Babel's pattern would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from flask import Flask
from flask_babel import format_date, format_datetime

from inventory.formatting import format_when

MOMENTS = [
    datetime(2026, 3, 29, 0, 59, tzinfo=UTC),  # Berlin: one minute before summer time
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # Berlin: the repeated hour
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    datetime(2026, 12, 31, 22, 5, tzinfo=UTC),  # Istanbul: already the next year
    datetime(2026, 12, 31, 22, 5, tzinfo=UTC).replace(tzinfo=None),  # naive: read as UTC, as Babel does
    datetime(2026, 6, 1, 9, 7, tzinfo=timezone(timedelta(hours=-5))),
]


@pytest.mark.parametrize("zone", ["Europe/Istanbul", "Europe/Berlin", "America/New_York"])
@pytest.mark.parametrize("language", ["en", "tr"])
def test_short_moments_read_as_babels_pattern(
    app: Flask, config: Callable[..., None], zone: str, language: str
) -> None:
    config(CLINIC_TIMEZONE=zone)
    with app.test_request_context(headers={"Accept-Language": language}):
        for moment in MOMENTS:
            assert format_when(moment, "short") == format_datetime(moment, "yyyy-MM-dd HH:mm")
        for day in (date(2026, 1, 5), date(999, 12, 31)):
            assert format_when(day, "short") == format_date(day, "yyyy-MM-dd")
        assert format_when(MOMENTS[0]) == format_datetime(MOMENTS[0], "medium")
        assert format_when(None) == ""
