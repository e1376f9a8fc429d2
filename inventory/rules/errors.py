"""Domain exceptions: a machine ``code`` the app translates, and an English ``message`` for a person.

Rule-specific subclasses live next to their rule: ``gs1.NotGs1``, ``gs1.InvalidBarcode``,
``fefo.InsufficientStock``.
"""

from __future__ import annotations

from collections.abc import Mapping


class RuleError(ValueError):
    """A domain rule was broken.

    ``code`` is stable and machine-readable (``"storage_not_allowed"``); ``message`` is one English
    sentence for the person at the screen; ``fields`` carries details by name (field or value), as
    strings, for the API's error body.
    """

    code: str
    message: str
    fields: dict[str, str]

    def __init__(self, code: str, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = dict(fields or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, fields={self.fields!r})"
