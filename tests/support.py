"""What the tests share beyond fixtures: databases, the CI rule for skips, page helpers."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, make_url, text

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
TEST_PASSWORD = "correct-horse-battery"


def skip_or_fail(reason: str) -> None:
    """Off CI a missing PostgreSQL or Chromium skips with a reason; in CI it is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (CI must run these tests, not skip them)", pytrace=False)
    pytest.skip(reason)


def postgres_admin_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


@contextmanager
def fresh_database(tmp_dir: Path) -> Iterator[str]:
    """A URL of an empty database of our own: a SQLite file, or a new PostgreSQL database dropped after."""
    admin = postgres_admin_url()
    if admin is None:
        yield f"sqlite:///{tmp_dir / f'test-{uuid.uuid4().hex[:8]}.sqlite'}"
        return
    name = f"clinic_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            # A test database need not survive a power cut: commits stop waiting for the disk.
            connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    except Exception as error:
        engine.dispose()
        skip_or_fail(f"PostgreSQL at {make_url(admin).render_as_string()} is not reachable: {error}")
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def chromium_or_skip() -> str:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        skip_or_fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def focused(page: Any, attribute: str = "name") -> str | None:
    """The `name` (or `id`) of the element with the focus, once it has one: Chromium applies a page's
    `autofocus` at a rendering update after the page has loaded, not by the time it has."""
    page.wait_for_function("document.activeElement !== null && document.activeElement !== document.body")
    value: str | None = page.evaluate(f"document.activeElement.{attribute}")
    return value


@contextmanager
def statements_run(engine: Any) -> Iterator[list[str]]:
    """Every SQL statement sent to the database inside the block, its whitespace folded (the list may be
    cleared inside the block to count from there)."""
    statements: list[str] = []

    def grab(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", grab)


def selects(statements: list[str]) -> list[str]:
    return [statement for statement in statements if statement.upper().startswith("SELECT")]
