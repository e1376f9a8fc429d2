"""SCAN-first on SQLite: a request that only reads never takes (or waits for) the write lock, and a writer
that cannot get the lock within the busy timeout is answered 503 with the error body, never a 500."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import make_url, text

from inventory import create_app
from inventory.extensions import db as _db
from tests import factories
from tests.support import TEST_PASSWORD, csrf_from

BUSY_MS = 300


@pytest.fixture
def impatient_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """A second app on the same SQLite file whose writers wait only BUSY_MS for the lock."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock: PostgreSQL readers never wait for writers")
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "CLINIC_TIMEZONE": "Europe/Istanbul",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLITE_BUSY_TIMEOUT_MS": BUSY_MS,
        }
    )
    yield other
    with other.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def write_lock(database_url: str) -> Iterator[sqlite3.Connection]:
    """Another process's writer in the middle of a long transaction."""
    path = make_url(database_url).database
    assert path
    connection = sqlite3.connect(path, isolation_level=None, timeout=5)
    yield connection
    if connection.in_transaction:
        connection.execute("ROLLBACK")
    connection.close()


def _token(app: Flask) -> dict[str, str]:
    factories.UserFactory(roles=("manager",), username="desk")
    _db.session.commit()
    client = app.test_client()
    response = client.post("/api/v1/tokens", json={"username": "desk", "password": TEST_PASSWORD})
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def _timed(call: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started


def test_scan_first_reads_never_wait_for_the_write_lock(
    impatient_app: Flask, write_lock: sqlite3.Connection
) -> None:
    with impatient_app.app_context():
        headers = _token(impatient_app)
        factories.ProductFactory(name="Hyaluronic acid 2 %")
        _db.session.commit()
        _db.session.remove()
        client = impatient_app.test_client()
        assert client.get("/api/v1/products", headers=headers).status_code == 200  # a new app's first
        # request builds what it caches: timed below is only the read beside the writer
        write_lock.execute("BEGIN IMMEDIATE")
        write_lock.execute("UPDATE products SET name = name")
        response, seconds = _timed(lambda: client.get("/api/v1/products", headers=headers))
        assert response.status_code == 200
        assert [item["name"] for item in response.get_json()["items"]] == ["Hyaluronic acid 2 %"]
        assert seconds < BUSY_MS / 1000, "a read waited for the writer"


def test_scan_first_a_writer_that_cannot_get_the_lock_is_answered_503(
    impatient_app: Flask, write_lock: sqlite3.Connection
) -> None:
    with impatient_app.app_context():
        _token(impatient_app)
        _db.session.remove()
        client = impatient_app.test_client()
        write_lock.execute("BEGIN IMMEDIATE")
        response = client.post("/api/v1/tokens", json={"username": "desk", "password": TEST_PASSWORD})
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "database_busy"
        assert response.headers["Retry-After"] == "1"
        write_lock.execute("ROLLBACK")
        again = client.post("/api/v1/tokens", json={"username": "desk", "password": TEST_PASSWORD})
        assert again.status_code == 201


def test_scan_first_a_page_that_cannot_write_shows_a_503_page(
    impatient_app: Flask, write_lock: sqlite3.Connection
) -> None:
    with impatient_app.app_context():
        _token(impatient_app)
        _db.session.remove()
        client = impatient_app.test_client()
        page = client.get("/login")
        assert page.status_code == 200
        write_lock.execute("BEGIN IMMEDIATE")
        token = csrf_from(page.get_data(as_text=True))
        form = {"username": "desk", "password": TEST_PASSWORD, "csrf_token": token}
        response = client.post("/login", data=form)
        assert response.status_code == 503
        assert "busy" in response.get_data(as_text=True)


# ---- PostgreSQL: a transaction that only read keeps psycopg's prepared statements ---------------------


@pytest.fixture
def postgresql_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("psycopg's prepared statements")


def _prepared_on(connection: Any) -> int:
    return int(connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one())


def test_a_transaction_that_only_read_keeps_the_prepared_statements(db: Any, postgresql_only: None) -> None:
    with db.engine.connect() as connection:  # one connection throughout: the pool holds several
        for number in range(8):  # psycopg prepares a statement from its sixth execution on
            connection.execute(text("SELECT :n + 1"), {"n": number})
        prepared = _prepared_on(connection)
        assert prepared >= 1
        connection.rollback()  # what every GET ends with: psycopg would DEALLOCATE ALL
        assert _prepared_on(connection) >= prepared  # none forgotten


def test_a_transaction_that_wrote_is_still_rolled_back(db: Any, postgresql_only: None) -> None:
    user = factories.UserFactory()
    db.session.commit()
    with db.engine.connect() as connection:
        for number in range(8):
            connection.execute(text("SELECT :n + 1"), {"n": number})
        assert _prepared_on(connection) >= 1
        connection.execute(text("UPDATE users SET username = 'renamed' WHERE id = :id"), {"id": user.id})
        connection.rollback()
        username = connection.scalar(text("SELECT username FROM users WHERE id = :id"), {"id": user.id})
        assert username != "renamed"
        assert _prepared_on(connection) == 0  # the rollback made psycopg forget them, as it should


def test_the_connection_keeps_more_prepared_statements_than_psycopg_does(
    db: Any, postgresql_only: None
) -> None:
    from inventory.database import PREPARED_MAX

    dbapi_connection = db.session.connection().connection.dbapi_connection
    assert dbapi_connection.prepared_max == PREPARED_MAX > 100
