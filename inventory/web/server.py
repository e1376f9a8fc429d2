"""Serving a real clinic: the health check, the answer when the database is down, no-store caching."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, render_template, request, session
from flask_babel import gettext as _
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from inventory.database import is_busy
from inventory.extensions import db
from inventory.web.errors import handle_busy, is_api_request, json_error

log = logging.getLogger(__name__)

bp = Blueprint("server", __name__)

#: What a database that cannot be reached (down, restarting, a locked file) raises.
UNREACHABLE = (OperationalError, InterfaceError)


@bp.route("/healthz")
def health() -> tuple[Response, int]:
    """200 when the database answers, 503 when it does not (a load balancer or a monitor asks)."""
    try:
        db.session.execute(text("SELECT 1"))
    except DBAPIError:
        log.warning("health check: the database cannot be reached", exc_info=True)
        db.session.rollback()
        return jsonify({"status": "unavailable"}), 503
    finally:
        db.session.remove()
    return jsonify({"status": "ok"}), 200


def database_unavailable(error: Exception) -> Any:
    if is_busy(error):  # the database is there, its write lock is taken: try again in a moment
        return handle_busy()
    log.error("database unavailable on %s %s: %s", request.method, request.path, error)
    with contextlib.suppress(DBAPIError):  # the connection may be gone already
        db.session.rollback()
    message = _("The database cannot be reached. Nothing was saved; try again in a minute.")
    if is_api_request():
        response = json_error(503, "database_unavailable", message)[0]
    else:
        # A page of its own that asks nothing of the database (no user, no menu).
        response = Response(render_template("errors/503.html", message=message), mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = "30"
    return response


def no_store(response: Response) -> Response:
    """Pages and API answers of a signed-in person may carry patient data: never kept by a cache.

    Decided from the request alone (a bearer token, a session that names a user), so that it holds
    even when the database is down."""
    if not request.path.startswith("/static/") and (
        "Authorization" in request.headers or session.get("_user_id") is not None
    ):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def demo_install() -> bool:
    """base.html asks, for the mark on every page of a demo install. An error page rendered while
    the database is down still renders (without the mark)."""
    from inventory.demo import is_demo_install

    try:
        return is_demo_install()
    except DBAPIError:
        with contextlib.suppress(DBAPIError):
            db.session.rollback()
        return False


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["demo_install"] = demo_install
    for kind in UNREACHABLE:
        app.register_error_handler(kind, database_unavailable)
    app.after_request(no_store)
