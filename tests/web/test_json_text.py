"""The API's JSON is written by orjson and says exactly what Flask's own provider said."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask.json.provider import DefaultJSONProvider
from markupsafe import Markup


@dataclasses.dataclass
class _Row:
    id: int
    at: datetime


VALUES: dict[str, Any] = {
    "zeta": [1, 2.5, None, True],
    "alpha": {"nested": {"b": 1, "a": "Émile Şahin ✓"}},
    "day": date(2026, 12, 4),
    "moment": datetime(2026, 12, 4, 9, 30, tzinfo=UTC),
    "money": Decimal("12.50"),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "row": _Row(7, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
    "html": Markup("<b>bold</b>"),
    "by_id": {3: "c", 1: "a"},
}


def test_the_api_json_says_what_flasks_own_provider_said(app: Any) -> None:
    ours = app.json.dumps(VALUES)
    flasks = DefaultJSONProvider(app).dumps({**VALUES, "by_id": {"1": "a", "3": "c"}})
    assert json.loads(ours) == json.loads(flasks)
    assert list(json.loads(ours)) == sorted(VALUES)  # keys sorted, as Flask's
    assert json.loads(ours)["day"] == "Fri, 04 Dec 2026 00:00:00 GMT"  # dates as Flask writes them
    assert "Émile Şahin ✓" in ours  # UTF-8, not escaped


def test_a_json_response_is_compact_with_a_newline_and_readable_in_debug(app: Any) -> None:
    with app.test_request_context():
        response = app.json.response({"b": 1, "a": [1, 2]})
        assert response.mimetype == "application/json"
        assert response.get_data(as_text=True) == '{"a":[1,2],"b":1}\n'
        app.debug = True
        try:
            readable = app.json.response({"b": 1}).get_data(as_text=True)
        finally:
            app.debug = False
        assert readable == '{\n  "b": 1\n}\n'


def test_what_orjson_cannot_write_flasks_provider_writes(app: Any) -> None:
    hostile = {"echoed": 2**70, "text": "a\udc80b"}
    assert json.loads(app.json.dumps(hostile)) == hostile
    with app.test_request_context():
        assert json.loads(app.json.response(hostile).get_data()) == hostile
