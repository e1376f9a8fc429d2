"""marshmallow fields for the API's units: volumes in mL (stored as µL), money (stored in minor units)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from inventory.messages import rule_message
from inventory.rules.coldchain import from_dc, to_dc
from inventory.rules.errors import RuleError
from inventory.rules.money import MINOR_PER_UNIT, money_number, parse_money
from inventory.rules.units import MAX_VOLUME_UL, MICROLITRES_PER_ML, ml_number, parse_volume_ml

#: Ids are PostgreSQL `integer` columns: anything above is no record, never a database error.
MAX_ID = 2**31 - 1
#: Counts and other integers in requests stay within a 32-bit column too.
MAX_INT = 2**31 - 1
#: The longest text accepted where a schema sets no shorter limit.
MAX_TEXT = 2000
#: The largest amount accepted: ten million in the clinic's currency.
MAX_MONEY_UNITS = 10_000_000


class VolumeMl(fields.Field[int]):
    """A JSON number of millilitres, at most 3 decimals; loads as integer microlitres."""

    def __init__(self, *, allow_zero: bool = False, **kwargs: Any) -> None:
        bounds: dict[str, Any] = {
            "minimum": 0,
            "maximum": MAX_VOLUME_UL // MICROLITRES_PER_ML,
            "multipleOf": 0.001,
        }
        if not allow_zero:
            bounds["exclusiveMinimum"] = True  # OpenAPI 3.0: a flag on `minimum`
        kwargs["metadata"] = {**bounds, **kwargs.get("metadata", {})}
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
            raise ValidationError(rule_message(error)) from None


class Money(fields.Field[int]):
    """A JSON number with at most 2 decimals, up to ten million; loads as integer minor units."""

    def __init__(self, **kwargs: Any) -> None:
        bounds = {"minimum": 0, "maximum": MAX_MONEY_UNITS, "multipleOf": 0.01}
        kwargs["metadata"] = {**bounds, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else money_number(int(value))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValidationError("An amount must be a number.")
        try:
            minor = parse_money(value)
        except RuleError as error:
            raise ValidationError(rule_message(error)) from None
        if minor > MAX_MONEY_UNITS * MINOR_PER_UNIT:
            raise ValidationError(f"An amount cannot exceed {MAX_MONEY_UNITS}.")
        return minor


# --- request schemas as strict as the validation (the OpenAPI document is the contract) -------------


def reject_unsafe_text(value: str) -> None:
    """A NUL cannot be stored in PostgreSQL text, and a lone surrogate cannot be encoded as UTF-8."""
    if "\x00" in value:
        raise ValidationError("Text cannot contain a NUL character.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("Text must be valid Unicode (no lone surrogates).") from None


class InputSchema(Schema):
    """A request schema: integers strict (1.5 is not a number of vials) and within the database's range,
    ids from 1, text free of NUL and lone surrogates and of bounded length. The bounds are validators,
    so the OpenAPI document states them (minimum, maximum, maxLength).

    ``text_input=True`` reads the same fields from text (query arguments, a CSV row): "4" is 4 there,
    and "1.5" is still refused."""

    def __init__(self, *args: Any, text_input: bool = False, **kwargs: Any) -> None:
        self.text_input = text_input
        super().__init__(*args, **kwargs)

    def on_bind_field(self, field_name: str, field_obj: fields.Field[Any]) -> None:
        tighten(field_name, field_obj, strict=not self.text_input)


class QuerySchema(InputSchema):
    """Query arguments: text by nature, so whole numbers are read from text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("text_input", True)
        super().__init__(*args, **kwargs)


def tighten(field_name: str, field: fields.Field[Any], *, strict: bool = True) -> None:
    """Idempotent: a schema is bound again for every request, and marshmallow's copy of a field shares
    its validators list with the declared field (an appended check would be run once more per request
    the worker had served, and kept forever)."""
    if isinstance(field, fields.List) and field.inner is not None:
        tighten(field_name, field.inner, strict=strict)
    elif isinstance(field, fields.Integer):
        field.strict = strict
        ranges = [v for v in field.validators if isinstance(v, validate.Range)]
        if not any(v.min is not None for v in ranges):
            is_id = field_name == "id" or field_name.endswith("_id") or field_name in {"vials", "ids"}
            field.validators.append(validate.Range(min=1 if is_id else -MAX_INT))
        if not any(v.max is not None for v in ranges):
            field.validators.append(validate.Range(max=MAX_ID))
    elif isinstance(field, fields.String):
        if reject_unsafe_text not in field.validators:
            field.validators.append(reject_unsafe_text)
        if not any(isinstance(v, validate.Length | validate.OneOf) for v in field.validators):
            field.validators.append(validate.Length(max=MAX_TEXT))


class Celsius(fields.Field[int]):
    """A JSON number of degrees Celsius, one decimal kept; loads as integer tenths of a degree."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = {"minimum": -80, "maximum": 50, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else from_dc(int(value))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValidationError("A temperature must be a number of degrees Celsius.")
        try:
            return to_dc(value)
        except RuleError:
            raise ValidationError("A temperature in °C between -80 and 50.") from None
