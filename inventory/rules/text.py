"""Search keys for names: Turkish-aware, accent- and case-insensitive.

Python's ``"I".lower()`` is ``"i"`` (not the dotless i), ``"İ".lower()`` is two code points, and SQLite's
``lower()`` is ASCII-only; so the app stores this key next to a name and searches on it.
"""

from __future__ import annotations

import unicodedata

DOTLESS_I = "\u0131"

# Dotted and dotless i in both cases are one letter for search; the others have no decomposition.
_FOLD = str.maketrans({
    "İ": "i", "I": "i", DOTLESS_I: "i",
    "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ħ": "h", "Ħ": "h",
    "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
})  # fmt: skip


def search_key(text: str) -> str:
    """The search key of a name: "IŞIK", "isik" and the same word with dotless i give "isik";
    "Çağlar" gives "caglar".

    Folds dotted, dotless and plain i in both cases to "i", strips diacritics (ş→s, ğ→g, ç→c, ö→o,
    ü→u, é→e…), case-folds and collapses whitespace.
    """
    folded = text.translate(_FOLD).casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.casefold().split())
