"""Pages of the clinic area."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("clinic", __name__, url_prefix="/clinic")
