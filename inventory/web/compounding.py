"""Pages of the compounding area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("compounding", __name__, url_prefix="/compounding")
