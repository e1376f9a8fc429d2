"""Use cases. Each owns its transaction, its locking, its invariants and its audit entry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

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
