"""Use cases. Each owns its transaction, its locking, its invariants and its audit entry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from sqlalchemy import Insert, Table, bindparam, insert
from sqlalchemy.orm import scoped_session

from inventory.extensions import db

#: Set while `all_or_nothing` runs several use cases as one transaction (a go-live import).
_composed: ContextVar[bool] = ContextVar("composed_transaction", default=False)


@contextmanager
def transaction() -> Iterator[scoped_session[Any]]:
    """One use case, one transaction: commit on success, roll back on any error.

    Inside `all_or_nothing` the use case's work joins the larger transaction instead (a savepoint
    per use case), which commits or rolls back everything at once."""
    session = db.session
    if _composed.get():
        with session.begin_nested():
            yield session
        return
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


@contextmanager
def all_or_nothing(*, commit: bool) -> Iterator[scoped_session[Any]]:
    """Several use cases as one transaction: committed at the end when `commit` (and nothing failed),
    otherwise rolled back (a dry run sees every check and every flush, and stores nothing)."""
    session = db.session
    token = _composed.set(True)
    try:
        yield session
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        _composed.reset(token)


def insert_row(table: Table, row: dict[str, Any]) -> int:
    """Insert one row of plain values in the current transaction and return its id, on the session's
    connection (nothing for the ORM to flush or track: what the row refers to is flushed already)."""
    return int(db.session.connection().execute(row_insert(table, tuple(row)), row).scalar_one())


@cache
def row_insert(table: Table, columns: tuple[str, ...]) -> Insert:
    """Built once per table and columns: INSERT … RETURNING id with bound parameters (building it cost
    more than running it on the scan's path)."""
    return (
        insert(table)
        .values({name: bindparam(name, type_=table.c[name].type) for name in columns})
        .returning(table.c.id)
    )
