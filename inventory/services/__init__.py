"""Use cases. Each owns its transaction, its locking, its invariants and its audit entry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import scoped_session

from inventory.extensions import db


@contextmanager
def transaction() -> Iterator[scoped_session[Any]]:
    """One use case, one transaction: commit on success, roll back on any error."""
    session = db.session
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
