"""Form fields shared by the pages: volumes and money typed the way people type them ("2,5")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from inventory.messages import rule_message
from inventory.rules.errors import RuleError
from inventory.rules.money import format_money, parse_money
from inventory.rules.units import parse_volume_ml, ul_to_ml


class _ParsedField(StringField):
    """Keeps what the user typed; `data` is the parsed integer, or None when blank or wrong."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parse_error: str | None = None

    def parse(self, text: str) -> int:
        raise NotImplementedError

    def show(self, value: int) -> str:
        raise NotImplementedError

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        self.parse_error = None
        if self.raw:
            try:
                self.data = self.parse(self.raw)
            except RuleError as error:
                self.parse_error = rule_message(error)

    def pre_validate(self, form: Any) -> None:
        if self.parse_error:
            raise ValidationError(self.parse_error)

    def _value(self) -> str:
        if getattr(self, "raw", None) is not None:
            return str(self.raw)
        return "" if self.data is None else self.show(self.data)


class VolumeField(_ParsedField):
    """Millilitres with up to 3 decimals, point or comma; data in microlitres."""

    def parse(self, text: str) -> int:
        return parse_volume_ml(text)

    def show(self, value: int) -> str:
        return str(ul_to_ml(value))


class MoneyField(_ParsedField):
    def parse(self, text: str) -> int:
        return parse_money(text)

    def show(self, value: int) -> str:
        return format_money(value)


REQUIRED = _l("This field is required.")


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """SelectField choices from (value, label) pairs (WTForms 3.3 wants SelectChoice objects)."""
    return [SelectChoice(str(value), label) for value, label in pairs]
