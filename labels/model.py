"""What goes on a label: plain, already formatted values. Nothing here knows about the app."""

from __future__ import annotations

from dataclasses import dataclass


class LabelDoesNotFit(ValueError):
    """A fact that cannot be set legibly even alone on a label of its own (a QR that does not fit,
    a word wider than the label at the smallest size). Length alone never raises it: the label
    continues on a second one (LBL-02)."""


@dataclass(frozen=True)
class Ingredient:
    """One ingredient: its name, its strength (may be empty) and the amount in this syringe.
    Never the pack size (LBL-01)."""

    name: str
    amount: str
    strength: str = ""


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
    """A vial as received (LBL-03). A multi-dose vial's label has room for "Opened ____ Use by ____",
    filled in when the vial is already open."""

    code: str
    product_name: str
    lot: str
    expiry: str
    multi_dose: bool = False
    opened_at: str | None = None
    usable_until: str | None = None

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
    use_until: str = "Use by"
    expiry: str = "Exp"  # vials only: a manufacturer's expiry
    total: str = "Total"
    route: str = "Route"
    part_of: str = "Label {part}/{parts}"  # a syringe whose label continues on a second one


Label = SyringeLabel | VialLabel


def _check_code(code: str) -> None:
    if not code or code != code.strip():
        raise ValueError(f"label code {code!r} must be non-empty without surrounding spaces")
