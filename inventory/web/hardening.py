"""Bad input never reaches the database as a server error: ids beyond the database's range are no page,
JSON nested past any real document is malformed, and what still slips through (a value the database
cannot store) is the caller's mistake, answered as such (web.errors maps it)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.exc import DataError, StatementError
from werkzeug.routing import IntegerConverter

from inventory.jsontext import OrjsonProvider
from inventory.web.api.fields import MAX_ID


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: a whole number from 0 up to the largest id a row can have; anything
    longer or larger does not match the route, so it answers 404 before a query is made."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class GuardedJSONProvider(OrjsonProvider):
    """The app's JSON (written by orjson). json.loads raises RecursionError on absurdly deep documents;
    Flask expects ValueError."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON document is nested too deeply") from None


#: What the database driver raises for a value it cannot store: out of range, NUL, bad encoding.
UNSTORABLE_VALUE_ERRORS: tuple[type[Exception], ...] = (DataError, OverflowError, UnicodeError)


def is_unstorable_value(error: Exception) -> bool:
    if isinstance(error, StatementError) and not isinstance(error, DataError):
        return isinstance(error.orig, UNSTORABLE_VALUE_ERRORS)
    return isinstance(error, UNSTORABLE_VALUE_ERRORS)


def register(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter
    app.json = GuardedJSONProvider(app)
