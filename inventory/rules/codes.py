"""Our own short codes for vials, batches and syringes (domain.md §4.1).

A code is a kind prefix (``S`` syringe, ``V`` vial, ``B`` batch) and random characters of the
Crockford alphabet: upper-case letters and digits only, because a handheld scanner types by key
position and only A-Z and 0-9 sit in the same place on every keyboard layout.
"""

from __future__ import annotations

import re
import secrets
from enum import StrEnum

CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_LENGTH = 10

_CODE = re.compile(r"[SVB][0-9A-HJKMNP-TV-Z]{8,20}")


class CodeKind(StrEnum):
    SYRINGE = "syringe"
    VIAL = "vial"
    BATCH = "batch"

    @property
    def prefix(self) -> str:
        return _PREFIXES[self]


_PREFIXES = {CodeKind.SYRINGE: "S", CodeKind.VIAL: "V", CodeKind.BATCH: "B"}
_KINDS = {prefix: kind for kind, prefix in _PREFIXES.items()}


def new_code(kind: CodeKind) -> str:
    """A new random code: the kind's prefix and 10 Crockford characters (50 bits from ``secrets``)."""
    return kind.prefix + "".join(secrets.choice(CROCKFORD_ALPHABET) for _ in range(RANDOM_LENGTH))


def normalize_scan(raw: str) -> str:
    """Clean a scanned or typed code: drop whitespace anywhere (and a scanner's trailing CR/LF/Tab),
    keep the last path segment of a URL (``https://…/s/S8K2…/?x=1``), upper-case.

    No guessing: O is not read as 0, nor I or L as 1. Meant for our own codes only: GS1 data must go
    to ``gs1.parse_gs1`` untouched, since its group separator counts as whitespace here.
    """
    text = "".join(raw.split())
    if "/" in text:
        text = re.split(r"[?#]", text, maxsplit=1)[0].rstrip("/")
        text = text.rsplit("/", 1)[-1]
    return text.upper()


def parse_code(raw: str) -> tuple[CodeKind, str] | None:
    """The kind and normalised code of one of our codes, or None if the scan is not one."""
    code = normalize_scan(raw)
    if _CODE.fullmatch(code) is None:
        return None
    return _KINDS[code[0]], code
