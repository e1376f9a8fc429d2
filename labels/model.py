"""What goes on a label: plain, already formatted values. Nothing here knows about the app."""

from __future__ import annotations

from dataclasses import dataclass


class LabelDoesNotFit(ValueError):
    """The content cannot be laid out legibly (never under 5 pt, never clipped) on the layout."""


@dataclass(frozen=True)
class Ingredient:
    name: str
    amount: str


@dataclass(frozen=True)
class SyringeLabel:
    code: str
    recipe_name: str
    ingredients: tuple[Ingredient, ...]
    total_volume: str
    route: str
    bud: str
    storage: str | None
    batch_code: str
    index: int
    count: int
    preparer_initials: str
    patient_name: str | None = None
    patient_dob: str | None = None

    def __post_init__(self) -> None:
        _check_code(self.code)
        if not 1 <= self.index <= self.count:
            raise ValueError(f"syringe index {self.index} is not within 1..{self.count}")


@dataclass(frozen=True)
class VialLabel:
    code: str
    product_name: str
    lot: str
    opened_at: str
    usable_until: str

    def __post_init__(self) -> None:
        _check_code(self.code)


@dataclass(frozen=True)
class Captions:
    """Words printed before the values. The app passes translated ones; a syringe never says "Exp"."""

    bud: str = "BUD"
    compounded: str = "Compounded"
    syringe_of: str = "Syringe {index} of {count}"
    batch: str = "Batch"
    prepared_by: str = "Prep"
    patient: str = "Patient"
    dob: str = "DOB"
    lot: str = "Lot"
    opened: str = "Opened"
    use_until: str = "Use until"
    total: str = "Total"
    route: str = "Route"


Label = SyringeLabel | VialLabel


def _check_code(code: str) -> None:
    if not code or code != code.strip():
        raise ValueError(f"label code {code!r} must be non-empty without surrounding spaces")
