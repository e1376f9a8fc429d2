"""Lot numbers (RCL-01): compared and stored trimmed and upper-cased; never by prefix or fuzzy match."""

from __future__ import annotations


def normalize_lot_number(raw: str | None) -> str:
    """ " hyal-2409 " → "HYAL-2409"; nothing else is changed (no guessing of O/0 or I/1)."""
    return (raw or "").strip().upper()
