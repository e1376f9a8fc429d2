"""Blueprints, request hooks, security headers and template helpers."""

from __future__ import annotations

import flask_babel
from flask import Flask, Response, g, request
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin, current_user

from inventory.errors import Unauthorized
from inventory.extensions import csrf, login_manager
from inventory.web import errors, hardening, i18n

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def register_web(app: Flask) -> None:
    from inventory.web import (
        admin,
        auth,
        catalogue,
        clinic,
        coldchain,
        compounding,
        excursions,
        imports,
        main,
        manager,
        policy,
        printing,
        stock,
        trace,
    )
    from inventory.web import purchasing as _purchasing_pages  # noqa: F401  (routes on manager.bp)
    from inventory.web import reports as _report_pages  # noqa: F401  (routes on manager.bp)
    from inventory.web.api import register_api

    hardening.register(app)

    login_manager.user_loader(auth.load_session_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = ""
    login_manager.session_protection = "strong"
    app.before_request(_forget_previous_user)
    app.before_request(_authenticate_bearer)
    app.before_request(_require_sign_in_for_api)
    app.before_request(_protect_from_csrf)
    app.after_request(_security_headers)
    for blueprint in (
        main.bp,
        auth.bp,
        catalogue.bp,
        stock.bp,
        compounding.bp,
        clinic.bp,
        trace.bp,
        trace.recall_exports,
        manager.bp,
        printing.bp,
        admin.bp,
        policy.bp,
        imports.bp,
        coldchain.bp,
        excursions.bp,
    ):
        app.register_blueprint(blueprint)
    register_api(app)
    errors.register(app)
    i18n.register(app)


def _forget_previous_user() -> None:
    """Who is calling, and in which language, is decided per request, even when an application context
    outlives one (tests, CLI)."""
    g.pop("_login_user", None)
    g.pop("api_token", None)
    g.pop("csrf_token", None)
    flask_babel.refresh()


def _bearer_token() -> str | None:
    scheme, _sep, raw = request.headers.get("Authorization", "").partition(" ")
    return raw.strip() or None if scheme.lower() == "bearer" else None


#: Where a bearer token is accepted: the API, label files and the CSV exports of api.md.


def _authenticate_bearer() -> None:
    """A bearer token decides who is calling, whatever cookie comes along: on the API and on the file
    routes (labels, CSV and PDF exports) that integrations download with the same token.

    Flask-Login keeps the request's user in `g._login_user`; setting it here (an anonymous user
    for a bad token) means the session cookie is not consulted for this request.
    """
    if "Authorization" not in request.headers:
        return
    from inventory.services.auth import token_for

    raw = _bearer_token()
    token = token_for(raw) if raw else None
    g.api_token = token
    g._login_user = token.user if token else AnonymousUserMixin()


PUBLIC_API = frozenset({("POST", "/api/v1/tokens"), ("GET", "/api/v1/openapi.json")})


def _require_sign_in_for_api() -> None:
    """Every API path but signing in and the OpenAPI document needs a user, before anything else."""
    if not request.path.startswith("/api/") or (request.method, request.path.rstrip("/")) in PUBLIC_API:
        return
    if request.method != "OPTIONS" and not current_user.is_authenticated:
        raise Unauthorized("unauthorized", _("Sign in first: send a bearer token from POST /api/v1/tokens."))


def _protect_from_csrf() -> None:
    """CSRF for every cookie-authenticated change; a bearer token cannot be forged by a page."""
    if request.method in SAFE_METHODS or "Authorization" in request.headers:
        return
    if request.path.startswith("/api/") and not current_user.is_authenticated:
        return
    csrf.protect()


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
