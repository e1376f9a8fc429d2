"""The home page: each person lands on what they do most."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home() -> str:
    return render_template("main/home.html")
