"""COLD-02, network sensors: what a sensor publishes read as a reading, and a unit's MQTT topic."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.rules.errors import RuleError
from inventory.rules.sensors import PAYLOAD_MAX_BYTES, TOPIC_MAX, SensorReading, check_topic, parse_payload


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"4.3", SensorReading(43)),
        (b" -18 \n", SensorReading(-180)),
        (b"4,35", SensorReading(44)),  # half away from zero, as typed readings
        (b"-4.25", SensorReading(-43)),
        (b'{"temperature_c": 4.3}', SensorReading(43)),
        (b'{"temperature_c": 5}', SensorReading(50)),
        (b'{"temperature_c": 4.3, "min_c": null, "max_c": null, "at": null}', SensorReading(43)),
        (
            b'{"temperature_c": 4.3, "min_c": 3.1, "max_c": 6.0, "humidity": 40, "battery": "ok"}',
            SensorReading(43, 31, 60),
        ),
        (
            b'{"temperature_c": 4.3, "at": "2026-03-10T12:00:00+03:00"}',
            SensorReading(43, at=datetime(2026, 3, 10, 9, 0, tzinfo=UTC)),
        ),
        (
            b'{"temperature_c": 4.3, "at": "2026-03-10T09:00:00Z"}',
            SensorReading(43, at=datetime(2026, 3, 10, 9, 0, tzinfo=UTC)),
        ),
        ('{"temperature_c": -80, "note": "şğı"}'.encode(), SensorReading(-800)),
    ],
)
def test_cold_02_a_sensor_payload_is_a_number_or_a_json_object(
    payload: bytes, expected: SensorReading
) -> None:
    assert parse_payload(payload) == expected


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty"),
        (b"   ", "empty"),
        (b"\xff\xfe4", "not_text"),
        (b"x" * (PAYLOAD_MAX_BYTES + 1), "too_large"),
        (b"hot", "not_a_number"),
        (b"nan", "not_a_number"),
        (b"Infinity", "not_a_number"),
        (b"50.1", "out_of_limits"),
        (b"-81", "out_of_limits"),
        (b"1e400", "out_of_limits"),
        (b"{not json", "not_json"),
        (b"[" * 3000, "not_json"),
        (b"[4.3]", "not_an_object"),
        (b'"4.3"', "not_an_object"),
        (b"{}", "missing_temperature"),
        (b'{"temp": 4.3}', "missing_temperature"),
        (b'{"temperature_c": null}', "missing_temperature"),
        (b'{"temperature_c": "4.3"}', "not_a_number"),
        (b'{"temperature_c": true}', "not_a_number"),
        (b'{"temperature_c": NaN}', "not_a_number"),
        (b'{"temperature_c": Infinity}', "not_a_number"),
        (b'{"temperature_c": 1e999}', "out_of_limits"),
        (b'{"temperature_c": 4.3, "min_c": "low"}', "not_a_number"),
        (b'{"temperature_c": 4.3, "max_c": 99}', "out_of_limits"),
        (b'{"temperature_c": 4.3, "at": "yesterday"}', "invalid_time"),
        (b'{"temperature_c": 4.3, "at": 1773133200}', "invalid_time"),
        (b'{"temperature_c": 4.3, "at": "2026-03-10T09:00:00"}', "time_without_zone"),
    ],
)
def test_cold_02_a_payload_that_is_not_a_reading_is_refused_with_its_reason(
    payload: bytes, reason: str
) -> None:
    with pytest.raises(RuleError) as caught:
        parse_payload(payload)
    assert (caught.value.code, caught.value.reason) == ("invalid_payload", reason)


tenths = st.integers(min_value=-800, max_value=500)


@given(tenths)
def test_cold_02_every_temperature_in_the_limits_reads_back_as_published(value: int) -> None:
    text = f"{Decimal(value) / 10:.1f}"
    assert parse_payload(text.encode()).temperature_dc == value
    assert parse_payload(text.replace(".", ",").encode()).temperature_dc == value
    assert parse_payload(json.dumps({"temperature_c": float(text)}).encode()).temperature_dc == value


@given(
    tenths,
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),  # noqa: DTZ001 (naive bounds)
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_cold_02_a_time_with_any_offset_is_the_same_instant_in_utc(
    value: int, moment: datetime, minutes: int
) -> None:
    at = moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    parsed = parse_payload(json.dumps({"temperature_c": value / 10, "at": at.isoformat()}).encode())
    assert parsed.at == at
    assert parsed.at is not None
    assert parsed.at.tzinfo == UTC


def _outcome(payload: bytes) -> SensorReading | str:
    try:
        return parse_payload(payload)
    except RuleError as error:
        return error.code


@given(st.binary(max_size=200))
def test_cold_02_any_bytes_are_a_reading_or_a_refusal_never_a_crash(payload: bytes) -> None:
    outcome = _outcome(payload)
    if isinstance(outcome, str):
        assert outcome == "invalid_payload"
    else:
        assert -800 <= outcome.temperature_dc <= 500


@given(st.text(max_size=300))
def test_cold_02_any_text_is_a_reading_or_a_refusal_never_a_crash(text: str) -> None:
    outcome = _outcome(text.encode())
    assert outcome == "invalid_payload" or isinstance(outcome, SensorReading)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("clinic/fridge-1/temperature", "clinic/fridge-1/temperature"),
        ("  tele/fridge A/SENSOR ", "tele/fridge A/SENSOR"),
        ("/leading/slash", "/leading/slash"),
        ("klinik/buzdolabı/sıcaklık", "klinik/buzdolabı/sıcaklık"),
        ("a" * TOPIC_MAX, "a" * TOPIC_MAX),
        ("x", "x"),
    ],
)
def test_cold_02_a_unit_listens_on_one_exact_topic(text: str, topic: str) -> None:
    assert check_topic(text) == topic


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("a" * (TOPIC_MAX + 1), "too_long"),
        ("clinic/+/temperature", "wildcard"),
        ("clinic/#", "wildcard"),
        ("#", "wildcard"),
        ("clinic/fridge\x00", "control_character"),
        ("clinic/\nfridge", "control_character"),
        ("clinic/\x85fridge", "control_character"),
        ("$SYS/broker/uptime", "reserved"),
    ],
)
def test_cold_02_wildcards_and_broker_topics_are_refused(text: str, reason: str) -> None:
    with pytest.raises(RuleError) as caught:
        check_topic(text)
    assert (caught.value.code, caught.value.reason) == ("invalid_topic", reason)


def _topic_outcome(text: str) -> tuple[str, str]:
    try:
        return ("ok", check_topic(text))
    except RuleError as error:
        return ("refused", error.code)


@given(st.text(min_size=1, max_size=TOPIC_MAX + 5))
def test_cold_02_an_accepted_topic_has_no_wildcard_and_is_kept_as_written(text: str) -> None:
    status, value = _topic_outcome(text)
    if status == "refused":
        assert value == "invalid_topic"
    else:
        assert value == text.strip()
        assert "+" not in value
        assert "#" not in value
        assert 0 < len(value) <= TOPIC_MAX
