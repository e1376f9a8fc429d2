"""marshmallow fields for the API's units: volumes in mL (stored as µL), money (stored in minor units)."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields

from inventory.rules.coldchain import from_dc, to_dc
from inventory.rules.errors import RuleError
from inventory.rules.money import money_number, parse_money
from inventory.rules.units import ml_number, parse_volume_ml


class VolumeMl(fields.Field):
    """A JSON number of millilitres, at most 3 decimals; loads as integer microlitres."""

    def __init__(self, *, allow_zero: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.allow_zero = allow_zero

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else ml_number(int(value))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValidationError("A volume must be a number of millilitres.")
        try:
            return parse_volume_ml(value, allow_zero=self.allow_zero)
        except RuleError as error:
            raise ValidationError(error.message) from None


class Money(fields.Field):
    """A JSON number with at most 2 decimals; loads as integer minor units."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else money_number(int(value))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValidationError("An amount must be a number.")
        try:
            return parse_money(value)
        except RuleError as error:
            raise ValidationError(error.message) from None


class Celsius(fields.Field):
    """A JSON number of degrees Celsius, one decimal kept; loads as integer tenths of a degree."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else from_dc(int(value))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValidationError("A temperature must be a number of degrees Celsius.")
        try:
            return to_dc(value)
        except RuleError:
            raise ValidationError("A temperature in °C between -80 and 50.") from None
