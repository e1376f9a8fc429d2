"""Files to save (CSV, PDF) for pages and Bearer clients alike: every download is audited."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Response

from inventory.services import audit


def download(
    body: str | bytes | Iterable[str],
    mimetype: str,
    filename: str,
    *,
    entity: tuple[str, int | None],
    details: dict[str, Any] | None = None,
) -> Response:
    """A file to save, its download audited (who took which patient list, report or order, when)."""
    audit.exported(filename, entity_type=entity[0], entity_id=entity[1], details=details)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
