"""Active substances of products and patients' allergies (SAFE-12): one normal form on both sides.

"Lidocaine ", "LIDOCAINE" and "lidocaine" are one substance: trimmed, inner spaces collapsed, lower case
(``str.casefold``, so "İ" does not grow a combining dot that would make two spellings differ).
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_LENGTH = 80


def normalise(substance: str) -> str:
    """The stored form of one substance name."""
    return " ".join(substance.split()).casefold()[:MAX_LENGTH]


def normalise_all(substances: Iterable[str]) -> list[str]:
    """Each substance once, in the order given, blanks dropped."""
    return list(dict.fromkeys(name for name in (normalise(item) for item in substances) if name))


def allergens(contained: Iterable[str], allergies: Iterable[str]) -> list[str]:
    """The substances of ``contained`` the patient is allergic to, sorted; empty when none."""
    allergic = set(normalise_all(allergies))
    return sorted({name for name in normalise_all(contained) if name in allergic})
