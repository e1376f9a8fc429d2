"""Fixtures: app, db, client, login_as(role), api_as(role), a live server for the browser.

One suite, two databases: SQLite by default, PostgreSQL when TEST_DATABASE_URL is set (an admin URL;
each run creates a database of its own and drops it afterwards).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.serving import make_server

from inventory import clock, create_app
from inventory.extensions import db as _db
from inventory.models import User, history
from tests import factories
from tests.support import TEST_PASSWORD, chromium_or_skip, csrf_from, fresh_database

BASE_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "CLINIC_TIMEZONE": "Europe/Istanbul",
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "SERVER_NAME": None,
}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def _app(database_url: str) -> Iterator[Flask]:
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


RESTART_SEQUENCES = (
    "SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace"
)


def _empty_all_tables() -> None:
    """History tables refuse DELETE and TRUNCATE (models/history.py); the cleanup steps around that as
    only a schema owner can: on PostgreSQL a superuser session switches triggers off for this
    transaction (`session_replication_role`) and ids start again at 1; on SQLite the triggers are
    dropped and made again, in the same transaction as the deletes."""
    tables = list(reversed(_db.metadata.sorted_tables))
    if _db.engine.dialect.name == "postgresql":
        # DELETE, not TRUNCATE: TRUNCATE makes new files for ~50 tables and was half the PostgreSQL pass.
        _db.session.execute(text("SET LOCAL session_replication_role = replica"))
        for table in tables:
            _db.session.execute(table.delete())
        _db.session.execute(text(RESTART_SEQUENCES))
    else:
        for statement in history.unprotect_statements("sqlite"):
            _db.session.execute(text(statement))
        for table in tables:
            _db.session.execute(table.delete())
        for statement in history.protect_statements("sqlite"):
            _db.session.execute(text(statement))
    _db.session.commit()


@pytest.fixture
def app(_app: Flask) -> Iterator[Flask]:
    """The app inside an application context; every table is emptied after the test."""
    with _app.app_context():
        yield _app
        _db.session.rollback()
        _empty_all_tables()
        _db.session.remove()


@pytest.fixture
def db(app: Flask) -> Any:
    return _db


_UNSET = object()


@pytest.fixture
def config(app: Flask) -> Iterator[Callable[..., None]]:
    """``config(REORDER_WINDOW_DAYS=30)``: change settings for this test; they are restored after it,
    whatever it does (the app is shared by the whole session)."""
    saved: dict[str, Any] = {}

    def change(**values: Any) -> None:
        for key, value in values.items():
            saved.setdefault(key, app.config.get(key, _UNSET))
            app.config[key] = value

    yield change
    for key, value in saved.items():
        if value is _UNSET:
            app.config.pop(key, None)
        else:
            app.config[key] = value


@pytest.fixture
def freeze() -> Iterator[Callable[[datetime], datetime]]:
    """``freeze(moment)``: business time stands still at ``moment`` (aware) until the test ends; the one
    frozen-clock helper of the suite (``clock.advance`` moves it on)."""
    stack = ExitStack()

    def at(moment: datetime) -> datetime:
        stack.enter_context(clock.frozen_at(moment))
        return moment

    with stack:
        yield at


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, username: str, password: str = TEST_PASSWORD) -> Any:
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_from(page.get_data(as_text=True)),
        },
    )


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[..., User]:
    """Sign the test client in through the real login page as a new user with these roles."""

    def _login_as(*roles: str, username: str | None = None) -> User:
        user = factories.UserFactory(
            roles=roles or ("nurse",), username=username or f"{'-'.join(roles)}-user"
        )
        response = login(client, user.username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return _login_as


class ApiClient:
    """The test client with a bearer token: `api.post("/api/v1/products", json={...})`."""

    def __init__(self, client: FlaskClient, token: str, user: User) -> None:
        self.client = client
        self.user = user
        self.headers = {"Authorization": f"Bearer {token}"}

    def __getattr__(self, method: str) -> Callable[..., Any]:
        if method not in {"get", "post", "patch", "put", "delete"}:
            raise AttributeError(method)

        def call(path: str, **kwargs: Any) -> Any:
            headers = {**self.headers, **kwargs.pop("headers", {})}
            return getattr(self.client, method)(path, headers=headers, **kwargs)

        return call


@pytest.fixture
def api_as(app: Flask) -> Callable[..., ApiClient]:
    """A fresh client holding a bearer token of a new user with these roles."""
    counter = iter(range(1, 1000))

    def _api_as(*roles: str, username: str | None = None) -> ApiClient:
        name = username or f"api-{'-'.join(roles) or 'nurse'}-{next(counter)}"
        user = factories.UserFactory(roles=roles or ("nurse",), username=name)
        client = app.test_client()
        response = client.post("/api/v1/tokens", json={"username": name, "password": TEST_PASSWORD})
        assert response.status_code == 201, response.get_json()
        return ApiClient(client, response.get_json()["token"], user)

    return _api_as


def _closed_before_sent(app: Flask) -> Any:
    """The app with each answer read whole and closed before the server writes it: werkzeug's server
    skips closing a response (a static file's handle) when the browser drops the connection first, and
    the leaked file fails whichever test the collector next runs in (ResourceWarning is an error)."""

    def wsgi(environ: Any, start_response: Any) -> list[bytes]:
        answer = app(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()

    return wsgi


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, _closed_before_sent(app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


# Playwright driving Debian's Chromium (Playwright's own browser download is not available here).
# One browser for the whole run, shared by every area's browser tests.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
