"""Pages of the trace area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("trace", __name__, url_prefix="/trace")
