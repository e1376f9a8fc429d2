"""What labels print for a product (api.md "Bench": label_name): the name without a trailing pack
size, because a pack size next to the amount drawn is read as the dose (LBL-01)."""

from __future__ import annotations

import re

# "… 5 mL", "… 2ml", "… 0,5 mL", "… 10 mL vial", "… 1 L": a volume at the very end of the name.
_TRAILING_PACK = re.compile(
    r"[\s,/-]+\d+(?:[.,]\d+)?\s*(?:mL|ml|ML|µL|µl|uL|ul|L|l|cc)(?:\s*(?:vial|ampoule|amp|flacon|şişe))?\s*$",
    re.IGNORECASE,
)


def default_label_name(name: str) -> str:
    """The product's name without a trailing pack size: "Vitamin C 100 mg/mL 5 mL" → "Vitamin C
    100 mg/mL". A concentration ("250 mg/5 mL") is not a pack size and stays."""
    cleaned = " ".join(name.split())
    if re.search(r"/\s*\d+(?:[.,]\d+)?\s*(?:mL|ml)\s*$", cleaned, re.IGNORECASE):
        return cleaned  # "250 mg/5 mL": the strength, not the pack
    stripped = _TRAILING_PACK.sub("", cleaned).strip()
    return stripped or cleaned


_VOLUME = r"\d+(?:[.,]\d+)?\s?(?:mL|µL|uL|L)(?![A-Za-z/])"
# Two volumes with nothing but spaces between them: "5 mL 1 mL" reads as one dose (ISMP).
TWO_BARE_VOLUMES = re.compile(rf"(?<![\w.,]){_VOLUME}\s+{_VOLUME}", re.IGNORECASE)


def has_two_bare_volumes(text: str) -> bool:
    return TWO_BARE_VOLUMES.search(text) is not None
