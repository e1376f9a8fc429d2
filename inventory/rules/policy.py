"""The clinic's policy as data: USP <797> defaults (domain.md §1, BUD-04, BUD-05, VIAL-01, VIAL-03).

Every number here is a default the clinic may change (local rules are often stricter); the app
stores overrides as JSON through ``Policy.to_mapping`` / ``Policy.from_mapping``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from inventory.rules.errors import RuleError


class Category(StrEnum):
    IMMEDIATE = "immediate"
    CATEGORY_1 = "category_1"
    CATEGORY_2 = "category_2"


class Storage(StrEnum):
    ROOM = "room"
    FRIDGE = "fridge"
    FREEZER = "freezer"


#: Coldest first: a move to a higher number is a move to a warmer storage (BUD-07, COLD-04).
WARMTH = {Storage.FREEZER: 0, Storage.FRIDGE: 1, Storage.ROOM: 2}


class Container(StrEnum):
    SINGLE_DOSE = "single_dose"
    MULTI_DOSE = "multi_dose"
    AMPOULE = "ampoule"


class LimitRow(StrEnum):
    """A row of the BUD table: category 2 splits on whether every component is sterile."""

    IMMEDIATE = "immediate"
    CATEGORY_1 = "category_1"
    CATEGORY_2_STERILE = "category_2_sterile"
    CATEGORY_2_NONSTERILE = "category_2_nonsterile"


CategoryLimits = Mapping[tuple[LimitRow, Storage], timedelta | None]

_H = timedelta(hours=1)
_D = timedelta(days=1)

#: BUD-04: limits from the start of preparation; None means that storage is not allowed.
DEFAULT_CATEGORY_LIMITS: CategoryLimits = MappingProxyType(
    {
        (LimitRow.IMMEDIATE, Storage.ROOM): 4 * _H,
        (LimitRow.IMMEDIATE, Storage.FRIDGE): 4 * _H,
        (LimitRow.IMMEDIATE, Storage.FREEZER): None,
        (LimitRow.CATEGORY_1, Storage.ROOM): 12 * _H,
        (LimitRow.CATEGORY_1, Storage.FRIDGE): 24 * _H,
        (LimitRow.CATEGORY_1, Storage.FREEZER): None,
        (LimitRow.CATEGORY_2_STERILE, Storage.ROOM): 4 * _D,
        (LimitRow.CATEGORY_2_STERILE, Storage.FRIDGE): 10 * _D,
        (LimitRow.CATEGORY_2_STERILE, Storage.FREEZER): 45 * _D,
        (LimitRow.CATEGORY_2_NONSTERILE, Storage.ROOM): 1 * _D,
        (LimitRow.CATEGORY_2_NONSTERILE, Storage.FRIDGE): 4 * _D,
        (LimitRow.CATEGORY_2_NONSTERILE, Storage.FREEZER): 45 * _D,
    }
)


def _invalid(message: str) -> RuleError:
    return RuleError("invalid_policy", message)


@dataclass(frozen=True)
class Policy:
    """BUD limits by row and storage, in-use limits of opened containers, immediate-use limits."""

    category_limits: CategoryLimits = field(default_factory=lambda: DEFAULT_CATEGORY_LIMITS, hash=False)
    single_dose_in_use: timedelta = 12 * _H
    multi_dose_in_use_days: int = 28
    immediate_max_products: int = 3
    immediate_window: timedelta = 4 * _H

    def __post_init__(self) -> None:
        limits = dict(self.category_limits)
        missing = [
            f"{row}/{storage}" for row in LimitRow for storage in Storage if (row, storage) not in limits
        ]
        if missing:
            raise _invalid(f"The BUD table has no limit for {', '.join(missing)}.")
        if any(limit is not None and limit <= timedelta(0) for limit in limits.values()):
            raise _invalid("A BUD limit must be more than 0 hours (or not allowed).")
        if self.single_dose_in_use < timedelta(0) or self.multi_dose_in_use_days < 0:
            raise _invalid("An in-use limit cannot be negative.")
        if self.immediate_max_products < 1 or self.immediate_window <= timedelta(0):
            raise _invalid("Immediate use needs at least 1 product and a window of more than 0 hours.")
        object.__setattr__(self, "category_limits", MappingProxyType(limits))

    @staticmethod
    def row(category: Category, *, all_sterile: bool) -> LimitRow:
        """The BUD table row: category 2 uses the sterile row only when every component is sterile."""
        if category is Category.CATEGORY_2:
            return LimitRow.CATEGORY_2_STERILE if all_sterile else LimitRow.CATEGORY_2_NONSTERILE
        return LimitRow(category.value)

    def limit(self, category: Category, storage: Storage, *, all_sterile: bool = True) -> timedelta | None:
        """BUD-04 limit from the start of preparation, or None when that storage is not allowed."""
        return self.category_limits[(self.row(category, all_sterile=all_sterile), storage)]

    def to_mapping(self) -> dict[str, Any]:
        """JSON-ready: hours and days as numbers, ``None`` for a storage that is not allowed."""
        return {
            "category_limits_hours": {
                row.value: {
                    storage.value: _hours(self.category_limits[(row, storage)]) for storage in Storage
                }
                for row in LimitRow
            },
            "single_dose_in_use_hours": _hours(self.single_dose_in_use),
            "multi_dose_in_use_days": self.multi_dose_in_use_days,
            "immediate_max_products": self.immediate_max_products,
            "immediate_window_hours": _hours(self.immediate_window),
        }

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Policy:
        """A policy from ``to_mapping``'s shape; what is left out keeps its default.

        Raises ``RuleError("invalid_policy")`` for unknown keys or values that are not numbers.
        """
        known = {"category_limits_hours", "single_dose_in_use_hours", "multi_dose_in_use_days",
                 "immediate_max_products", "immediate_window_hours"}  # fmt: skip
        unknown = sorted(set(data) - known)
        if unknown:
            raise _invalid(f"Unknown policy settings: {', '.join(unknown)}.")
        default = cls()
        limits = dict(default.category_limits)
        for (row, storage), hours in _limit_overrides(data.get("category_limits_hours", {})).items():
            limits[(row, storage)] = None if hours is None else _to_timedelta(hours, f"{row}/{storage}")
        return cls(
            category_limits=limits,
            single_dose_in_use=_to_timedelta(
                data.get("single_dose_in_use_hours", _hours(default.single_dose_in_use)),
                "single_dose_in_use_hours",
            ),
            multi_dose_in_use_days=_to_int(
                data.get("multi_dose_in_use_days", default.multi_dose_in_use_days), "multi_dose_in_use_days"
            ),
            immediate_max_products=_to_int(
                data.get("immediate_max_products", default.immediate_max_products), "immediate_max_products"
            ),
            immediate_window=_to_timedelta(
                data.get("immediate_window_hours", _hours(default.immediate_window)), "immediate_window_hours"
            ),
        )


DEFAULT_POLICY = Policy()

_ROW_NAMES = frozenset(row.value for row in LimitRow)
_STORAGE_NAMES = frozenset(storage.value for storage in Storage)


def _hours(limit: timedelta | None) -> int | float | None:
    if limit is None:
        return None
    hours = limit / _H
    return int(hours) if hours.is_integer() else hours


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _to_timedelta(hours: object, name: str) -> timedelta:
    if not isinstance(hours, int | float) or not _is_number(hours):
        raise _invalid(f"The policy setting {name} must be a number of hours.")
    return timedelta(hours=hours)


def _to_int(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _invalid(f"The policy setting {name} must be a whole number.")
    return value


def _limit_overrides(table: object) -> dict[tuple[LimitRow, Storage], int | float | None]:
    if not isinstance(table, Mapping):
        raise _invalid("category_limits_hours must map a category to its storage limits.")
    overrides: dict[tuple[LimitRow, Storage], int | float | None] = {}
    for row_name, by_storage in table.items():
        if row_name not in _ROW_NAMES or not isinstance(by_storage, Mapping):
            raise _invalid(f"Unknown BUD table row: {row_name}.")
        for storage_name, hours in by_storage.items():
            if storage_name not in _STORAGE_NAMES:
                raise _invalid(f"Unknown storage in the BUD table: {storage_name}.")
            if hours is not None and not _is_number(hours):
                raise _invalid(f"The BUD limit for {row_name}/{storage_name} must be a number of hours.")
            overrides[(LimitRow(row_name), Storage(storage_name))] = hours
    return overrides


#: USP <797> (2023) maxima: the defaults are the longest the chapter allows. A clinic may be stricter
#: at will; a longer limit (or a storage the chapter does not allow) needs an explicit, recorded reason.
USP_797_MAXIMA = DEFAULT_POLICY


def above_usp_maxima(policy: Policy, maxima: Policy = USP_797_MAXIMA) -> list[str]:
    """The settings of `policy` longer than USP <797> allows, as document paths
    (``bud_hours.category_1.room``, ``in_use.single_dose_hours``)."""
    above = []
    for row in LimitRow:
        for storage in Storage:
            limit, most = policy.category_limits[(row, storage)], maxima.category_limits[(row, storage)]
            if limit is not None and (most is None or limit > most):
                above.append(f"bud_hours.{row.value}.{storage.value}")
    if policy.single_dose_in_use > maxima.single_dose_in_use:
        above.append("in_use.single_dose_hours")
    if policy.multi_dose_in_use_days > maxima.multi_dose_in_use_days:
        above.append("in_use.multi_dose_days")
    return above
