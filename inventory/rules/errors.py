"""Domain exceptions: a machine ``code`` (and a finer ``reason``) with ``params``, which the app turns
into words in the reader's language (``inventory.messages``), and an English ``message`` for logs and
for whoever calls a rule without the app.

Rule-specific subclasses live next to their rule: ``gs1.NotGs1``, ``gs1.InvalidBarcode``,
``fefo.InsufficientStock``.
"""

from __future__ import annotations

from collections.abc import Mapping


class RuleError(ValueError):
    """A domain rule was broken.

    ``code`` is stable and machine-readable (``"storage_not_allowed"``); ``message`` is one English
    sentence for the person at the screen; ``fields`` carries details by name (field or value), as
    strings, for the API's error body. ``reason`` is a finer machine code within ``code`` (``"negative"``
    for ``invalid_volume``), ``params`` the values the words need (by default ``fields``).
    """

    code: str
    message: str
    fields: dict[str, str]
    reason: str | None
    params: dict[str, str]

    def __init__(
        self,
        code: str,
        message: str,
        fields: Mapping[str, str] | None = None,
        *,
        reason: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.reason = reason
        self.params = dict(self.fields if params is None else params)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, reason={self.reason!r}, message={self.message!r}, "
            f"fields={self.fields!r})"
        )
