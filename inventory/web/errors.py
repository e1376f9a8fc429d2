"""Domain and HTTP errors mapped to responses in one place: a JSON body under /api/, a page elsewhere."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from inventory.database import is_busy
from inventory.errors import DomainError, Unauthorized
from inventory.extensions import db
from inventory.web.hardening import is_unstorable_value

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
}


def is_api_request() -> bool:
    """The API, or a machine client (a bearer token) downloading a file: answered in JSON, never a page."""
    return request.path.startswith("/api/") or "Authorization" in request.headers


def json_error(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> tuple[Response, int]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return jsonify({"error": error}), status


def _page(status: int, message: str) -> tuple[str, int]:
    template = f"errors/{status}.html" if status in {403, 404, 500} else "errors/error.html"
    return render_template(template, status=status, message=message), status


def handle_domain_error(error: DomainError) -> Any:
    if is_api_request():
        response = jsonify(error.body())
        if isinstance(error, Unauthorized):
            response.headers["WWW-Authenticate"] = "Bearer"
        return response, error.status
    if isinstance(error, Unauthorized) and error.code == "unauthorized":
        flash(error.message, "warning")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return _page(error.status, error.message)


def handle_http_error(error: HTTPException) -> Any:
    status = error.code or 500
    if is_api_request():
        message = error.description or _("The request could not be handled.")
        return json_error(status, HTTP_CODES.get(status, "error"), message)
    return _page(status, error.description or "")


def handle_csrf_error(error: CSRFError) -> Any:
    message = _("The form had expired. Please submit it again.")
    if is_api_request():
        return json_error(400, "csrf_failed", message)
    return _page(400, message)


def handle_unexpected(error: Exception) -> Any:
    if is_unstorable_value(error):
        return handle_unstorable_value(error)
    if is_busy(error):
        return handle_busy()
    log.exception("unhandled error on %s %s", request.method, request.path)
    message = _("Something went wrong on our side. Nothing was saved.")
    if is_api_request():
        return json_error(500, "internal_error", message)
    return _page(500, message)


def handle_unstorable_value(error: Exception) -> Any:
    """A value the database cannot store (out of range, NUL, bad encoding) came from the request."""
    log.info("refused a value the database cannot store on %s %s: %s", request.method, request.path, error)
    message = _("A value in the request is out of range or is not valid text. Nothing was saved.")
    if is_api_request():
        return json_error(422, "invalid_input", message)
    return _page(422, message)


def handle_busy() -> Any:
    """SQLite's write lock stayed taken for the whole busy timeout: try again, nothing was saved."""
    log.warning("database busy on %s %s", request.method, request.path)
    db.session.rollback()
    message = _("The pharmacy database is busy. Nothing was saved; please try again in a moment.")
    if is_api_request():
        response, status = json_error(503, "database_busy", message)
    else:
        page, status = _page(503, message)
        response = Response(page, status=status)
    response.headers["Retry-After"] = "1"
    return response, status


def form_failed(form: FlaskForm, error: DomainError) -> None:
    """Show a service's refusal on the form it came from: field messages and a flash."""
    for name, message in error.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message]
    flash(error.message, "error")


def register(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
