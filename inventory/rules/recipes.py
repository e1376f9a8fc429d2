"""What changed between two versions of a recipe (SAFE-10: a change makes a new version, shown as
before → after). Plain values only: product ids and microlitres."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

VERSIONED_FIELDS = ("name", "indication", "route", "storage")


class ChangeKind(StrEnum):
    FIELD = "field"
    ADDED = "added"
    REMOVED = "removed"
    VOLUME = "volume"
    ORDER = "order"


@dataclass(frozen=True)
class RecipeSpec:
    """Everything a batch takes from its recipe: fields and (product id, µL per syringe) in order."""

    name: str
    indication: str
    route: str
    storage: str
    components: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    field: str | None = None
    product_id: int | None = None
    before: str | int | None = None
    after: str | int | None = None


def recipe_changes(before: RecipeSpec, after: RecipeSpec) -> list[Change]:
    """Every difference, fields first, then components in the new order; empty when nothing changed."""
    changes = [
        Change(ChangeKind.FIELD, field=key, before=getattr(before, key), after=getattr(after, key))
        for key in VERSIONED_FIELDS
        if getattr(before, key) != getattr(after, key)
    ]
    old = dict(before.components)
    new = dict(after.components)
    for product_id, volume in after.components:
        if product_id not in old:
            changes.append(Change(ChangeKind.ADDED, product_id=product_id, after=volume))
        elif old[product_id] != volume:
            changes.append(
                Change(ChangeKind.VOLUME, product_id=product_id, before=old[product_id], after=volume)
            )
    changes.extend(
        Change(ChangeKind.REMOVED, product_id=product_id, before=volume)
        for product_id, volume in before.components
        if product_id not in new
    )
    kept_old = [product_id for product_id, _volume in before.components if product_id in new]
    kept_new = [product_id for product_id, _volume in after.components if product_id in old]
    if kept_old != kept_new:
        changes.append(Change(ChangeKind.ORDER))
    return changes
