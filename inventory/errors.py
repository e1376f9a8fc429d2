"""Domain errors: a machine code, a sentence for a person, and the HTTP status they map to.

Services raise them; `inventory.web.errors` maps them to responses in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inventory.rules.errors import RuleError


class DomainError(Exception):
    status = 422

    def __init__(
        self,
        code: str,
        message: str,
        *,
        fields: Mapping[str, str | int] | None = None,
        extra: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.extra = extra or {}
        if status is not None:
            self.status = status

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        return {"error": error, **self.extra}


class Invalid(DomainError):
    status = 422


class Conflict(DomainError):
    status = 409


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Unauthorized(DomainError):
    status = 401


class MalformedRequest(DomainError):
    status = 400


CONFLICT_CODES = frozenset(
    {
        "insufficient_stock",
        "vial_unusable",
        "lot_expiry_mismatch",
        "duplicate_serial",
        "duplicate_gtin",
        "recalled_lot",
        "own_batch",
        "not_awaiting_verification",
    }
)


def from_rule(error: RuleError) -> DomainError:
    """A rules-layer error (which knows nothing of HTTP or languages) as a domain error with its status,
    its words in the reader's language from the one table (``inventory.messages``)."""
    from inventory.messages import rule_message

    kind = Conflict if error.code in CONFLICT_CODES else Invalid
    return kind(error.code, rule_message(error), fields=error.fields)
