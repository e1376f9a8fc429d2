"""The "short" moment and the plain number on pages are written directly: they must read exactly as
Babel's patterns would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from babel import Locale
from babel.numbers import parse_pattern
from flask import Flask
from flask_babel import format_date, format_datetime
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.formatting import NUMBER, _plain_number, format_when

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


NUMBERS = st.one_of(
    st.integers(min_value=-(10**18), max_value=10**18),
    st.floats(min_value=-1e15, max_value=1e15, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=-(10**12), max_value=10**12, places=6, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0005, 0.0015, 0.0025, -0.0004, -0.0, 999.9995, 0.1 + 0.2]),  # ties and signs
)


@settings(max_examples=400, deadline=None)
@given(value=NUMBERS, language=st.sampled_from(["en", "tr"]))
def test_numbers_read_as_babels_pattern(value: int | float | Decimal, language: str) -> None:
    """`format_number` writes the default pattern itself (a report writes hundreds): it must read exactly
    as Babel's would, rounding, grouping, separators and sign included."""
    assert _plain_number(value, language) == parse_pattern(NUMBER).apply(value, Locale.parse(language))
