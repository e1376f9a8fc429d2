"""GS1 Digital Link URIs on packs (domain.md GS1-07): the QR codes that carry a web address.

``https://<any host>[/<any prefix>]/01/<gtin>[/22/…][/10/<lot>][/21/<serial>][?17=<yymmdd>&…]``, with or
without a symbology identifier (``]Q1``, a plain QR; ``]d1``). The path holds a primary key and its
qualifiers in the order the Syntax Dictionary gives (``dlpkey``); the query holds data attributes
(AIs flagged ``?``); other query keys (``linkType``…) are for the web and are ignored. Every value is
checked against its AI as in an element string, so the same pack reads into the same fields.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import unquote, urlsplit

from inventory.rules.gs1 import AI_TABLE, Gs1Data, InvalidBarcode, ai_name, check_value, pairs_to_data

_URI = re.compile(r"^(?:\][A-Za-z]\d)?(https?://.+)$", re.IGNORECASE | re.DOTALL)
_GTIN_LENGTHS = (8, 12, 13, 14)


def _uri(text: str) -> str | None:
    match = _URI.match(text.strip())
    return match.group(1) if match else None


def _segments(uri: str) -> list[str]:
    return [unquote(segment) for segment in urlsplit(uri).path.split("/") if segment]


def _query(query: str) -> list[tuple[str, str]]:
    """Key/value pairs of a query, percent-decoded; "+" stays a plus (it is in CSET 82)."""
    pairs = []
    for part in query.split("&"):
        if part:
            key, _eq, value = part.partition("=")
            pairs.append((unquote(key), unquote(value)))
    return pairs


def _qualifiers_allowed(primary: str, qualifiers: list[str]) -> bool:
    """The qualifiers follow one of the primary key's sequences, in its order (each at most once)."""
    if not qualifiers:
        return True
    sequences = (AI_TABLE[primary].dlpkey or "").split("|")
    for sequence in sequences:
        order = [ai for ai in sequence.split(",") if ai]
        positions = [order.index(ai) if ai in order else -1 for ai in qualifiers]
        if -1 not in positions and positions == sorted(set(positions)):
            return True
    return False


def _primary_key_at(segments: list[str]) -> int | None:
    """Where the primary key starts: the first AI with ``dlpkey`` followed by value/qualifier pairs."""
    for index, segment in enumerate(segments):
        spec = AI_TABLE.get(segment)
        rest = segments[index:]
        if spec is None or spec.dlpkey is None or len(rest) % 2:
            continue
        if all(ai in AI_TABLE for ai in rest[2::2]):
            return index
    return None


def is_digital_link(raw: str) -> bool:
    """True when the scan is a web address whose path carries a GS1 primary key (``/01/…``)."""
    uri = _uri(raw)
    return uri is not None and _primary_key_at(_segments(uri)) is not None


def parse_digital_link(raw: str, *, today: date) -> Gs1Data:
    """Read a GS1 Digital Link URI into the pack's fields (GS1-07), checking each value (GS1-03..05)."""
    uri = _uri(raw)
    if uri is None:
        raise InvalidBarcode("This is not a web address.", reason="not_digital_link")
    segments = _segments(uri)
    start = _primary_key_at(segments)
    if start is None:
        raise InvalidBarcode(
            "This web address is not a GS1 Digital Link: its path has no product number (/01/…).",
            reason="not_digital_link",
        )
    path = segments[start:]
    pairs = list(zip(path[0::2], path[1::2], strict=True))
    primary, value = pairs[0]
    if primary == "01" and value.isdigit() and len(value) in _GTIN_LENGTHS:
        pairs[0] = (primary, value.zfill(14))
    qualifiers = [ai for ai, _value in pairs[1:]]
    if not _qualifiers_allowed(primary, qualifiers):
        raise InvalidBarcode(
            f"The web address has its fields in an order GS1 does not allow after the {ai_name(primary)}: "
            + ", ".join(f"/{ai}/" for ai in qualifiers)
            + ".",
            reason="digital_link_order",
            ai=primary,
        )
    for key, text in _query(urlsplit(uri).query):
        if not key.isdigit():
            continue  # linkType, a campaign tag…: for the web, not for the pack
        spec = AI_TABLE.get(key)
        if spec is None or not spec.digital_link_attribute:
            raise InvalidBarcode(
                f"The web address carries '{key}={text}', and {key} is not a GS1 application identifier "
                "allowed there.",
                reason="unknown_ai",
                ai=key,
            )
        pairs.append((key, text))
    for ai, text in pairs:
        check_value(ai, text, today=today)
    return pairs_to_data(pairs, today, source="digital_link")
