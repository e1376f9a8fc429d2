"""Network sensors (COLD-02) on plain values: a unit's MQTT topic, and what a sensor publishes on it.

A payload is a bare number (``4.3``, ``-18``, ``4,3``) or a JSON object
``{"temperature_c": 4.3, "at": "2026-03-10T09:00:00+03:00", "min_c": 3.9, "max_c": 5.1}`` in which only
``temperature_c`` is required; other keys (humidity, battery) are ignored. Temperatures become tenths
of a degree Celsius as every other reading does (``coldchain.to_dc``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from inventory.rules.coldchain import to_dc
from inventory.rules.errors import RuleError

TOPIC_MAX = 200
#: A sensor message is a few dozen bytes; anything much larger is not one.
PAYLOAD_MAX_BYTES = 4096


def check_topic(text: str) -> str:
    """A topic a unit may listen on: 1..200 characters, no wildcard (``+``, ``#``), no NUL or control
    character, not a broker topic (``$SYS/…``); leading and trailing spaces are dropped.
    RuleError ``invalid_topic`` with a reason otherwise."""
    topic = text.strip()
    if not topic:
        raise RuleError("invalid_topic", "the topic is empty", reason="empty")
    if len(topic) > TOPIC_MAX:
        raise RuleError(
            "invalid_topic", "the topic is too long", reason="too_long", params={"max": str(TOPIC_MAX)}
        )
    if "+" in topic or "#" in topic:
        raise RuleError("invalid_topic", "a wildcard is not a topic", reason="wildcard")
    if any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F for char in topic):
        raise RuleError("invalid_topic", "the topic has a control character", reason="control_character")
    if topic.startswith("$"):
        raise RuleError("invalid_topic", "topics starting with $ belong to the broker", reason="reserved")
    return topic


@dataclass(frozen=True)
class SensorReading:
    """Tenths of a degree Celsius; ``at`` in UTC, or None when the sensor sent no time."""

    temperature_dc: int
    min_dc: int | None = None
    max_dc: int | None = None
    at: datetime | None = None


def _invalid(reason: str, message: str) -> RuleError:
    return RuleError("invalid_payload", message, reason=reason)


def _reject_constant(name: str) -> Any:
    raise _invalid("not_a_number", f"{name} is not a temperature")


def _temperature(value: Any, key: str) -> int:
    # json.loads gives Decimal for numbers with a fraction, int for whole ones; bool is an int too.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise _invalid("not_a_number", f"{key} is not a number")
    try:
        return to_dc(value)
    except RuleError:
        raise _invalid("out_of_limits", f"{key} is not a temperature between -80 and 50 °C") from None


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise _invalid("invalid_time", "at is not a date and time")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _invalid("invalid_time", "at is not an ISO 8601 date and time") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _invalid("time_without_zone", "at has no offset")
    return moment.astimezone(UTC)


def parse_payload(payload: bytes) -> SensorReading:
    """What a sensor published, read as a reading; RuleError ``invalid_payload`` (with a reason:
    ``empty``, ``not_text``, ``too_large``, ``not_json``, ``not_an_object``, ``missing_temperature``,
    ``not_a_number``, ``out_of_limits``, ``invalid_time``, ``time_without_zone``) otherwise."""
    if len(payload) > PAYLOAD_MAX_BYTES:
        raise _invalid("too_large", "the message is too large")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise _invalid("not_text", "the message is not UTF-8 text") from None
    if not text:
        raise _invalid("empty", "the message is empty")
    if not text.startswith(("{", "[", '"')):
        try:
            return SensorReading(temperature_dc=to_dc(text))
        except RuleError:
            if text[0] in "-+.,0123456789":
                raise _invalid("out_of_limits", "not a temperature between -80 and 50 °C") from None
            raise _invalid("not_a_number", "the message is not a number") from None
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except RuleError:
        raise
    except (ValueError, RecursionError):
        raise _invalid("not_json", "the message is neither a number nor JSON") from None
    if not isinstance(data, dict):
        raise _invalid("not_an_object", "the JSON is not an object")
    if data.get("temperature_c") is None:
        raise _invalid("missing_temperature", "temperature_c is missing")
    return SensorReading(
        temperature_dc=_temperature(data["temperature_c"], "temperature_c"),
        min_dc=None if data.get("min_c") is None else _temperature(data["min_c"], "min_c"),
        max_dc=None if data.get("max_c") is None else _temperature(data["max_c"], "max_c"),
        at=None if data.get("at") is None else _time(data["at"]),
    )
