"""The policy as data: USP <797> defaults (BUD-04, BUD-05, VIAL-01, VIAL-03) and stored overrides."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from inventory.rules.errors import RuleError
from inventory.rules.policy import DEFAULT_POLICY, Category, LimitRow, Policy, Storage

H = timedelta(hours=1)
D = timedelta(days=1)


@pytest.mark.parametrize(
    ("category", "all_sterile", "storage", "limit"),
    [
        (Category.IMMEDIATE, True, Storage.ROOM, 4 * H),
        (Category.IMMEDIATE, True, Storage.FRIDGE, 4 * H),
        (Category.IMMEDIATE, True, Storage.FREEZER, None),
        (Category.CATEGORY_1, True, Storage.ROOM, 12 * H),
        (Category.CATEGORY_1, False, Storage.FRIDGE, 24 * H),
        (Category.CATEGORY_1, True, Storage.FREEZER, None),
        (Category.CATEGORY_2, True, Storage.ROOM, 4 * D),
        (Category.CATEGORY_2, True, Storage.FRIDGE, 10 * D),
        (Category.CATEGORY_2, True, Storage.FREEZER, 45 * D),
        (Category.CATEGORY_2, False, Storage.ROOM, 1 * D),
        (Category.CATEGORY_2, False, Storage.FRIDGE, 4 * D),
        (Category.CATEGORY_2, False, Storage.FREEZER, 45 * D),
    ],
)
def test_bud_04_default_table(
    category: Category, all_sterile: bool, storage: Storage, limit: timedelta
) -> None:
    assert DEFAULT_POLICY.limit(category, storage, all_sterile=all_sterile) == limit


def test_policy_other_defaults() -> None:
    assert DEFAULT_POLICY.single_dose_in_use == 12 * H  # VIAL-01
    assert DEFAULT_POLICY.multi_dose_in_use_days == 28  # VIAL-03
    assert DEFAULT_POLICY.immediate_max_products == 3  # BUD-05
    assert DEFAULT_POLICY.immediate_window == 4 * H


def test_policy_mapping_round_trip() -> None:
    mapping = DEFAULT_POLICY.to_mapping()
    assert mapping["category_limits_hours"]["category_2_sterile"] == {
        "room": 96,
        "fridge": 240,
        "freezer": 1080,
    }
    assert mapping["category_limits_hours"]["category_1"]["freezer"] is None
    assert mapping["single_dose_in_use_hours"] == 12
    assert Policy.from_mapping(mapping) == DEFAULT_POLICY
    assert Policy.from_mapping({}) == DEFAULT_POLICY


def test_policy_stricter_local_rules() -> None:
    policy = Policy.from_mapping(
        {
            "category_limits_hours": {"category_1": {"room": 6, "fridge": 0.5}},
            "single_dose_in_use_hours": 1,
            "immediate_max_products": 2,
        }
    )
    assert policy.limit(Category.CATEGORY_1, Storage.ROOM) == 6 * H
    assert policy.limit(Category.CATEGORY_1, Storage.FRIDGE) == 30 * timedelta(minutes=1)
    assert policy.limit(Category.CATEGORY_2, Storage.ROOM) == 4 * D  # untouched
    assert policy.single_dose_in_use == H
    assert policy.immediate_max_products == 2
    assert Policy.from_mapping(policy.to_mapping()) == policy
    assert policy.to_mapping()["category_limits_hours"]["category_1"]["fridge"] == 0.5


def test_policy_can_forbid_a_storage() -> None:
    policy = Policy.from_mapping({"category_limits_hours": {"category_2_nonsterile": {"freezer": None}}})
    assert policy.limit(Category.CATEGORY_2, Storage.FREEZER, all_sterile=False) is None


@pytest.mark.parametrize(
    "mapping",
    [
        {"unknown": 1},
        {"category_limits_hours": {"category_3": {"room": 1}}},
        {"category_limits_hours": {"category_1": {"attic": 1}}},
        {"category_limits_hours": {"category_1": {"room": "12"}}},
        {"category_limits_hours": {"category_1": {"room": True}}},
        {"category_limits_hours": {"category_1": {"room": 0}}},
        {"category_limits_hours": {"category_1": {"room": float("nan")}}},
        {"category_limits_hours": []},
        {"single_dose_in_use_hours": -1},
        {"single_dose_in_use_hours": None},
        {"multi_dose_in_use_days": 2.5},
        {"immediate_max_products": 0},
        {"immediate_window_hours": 0},
    ],
)
def test_policy_rejects_bad_settings(mapping: dict[str, Any]) -> None:
    with pytest.raises(RuleError) as error:
        Policy.from_mapping(mapping)
    assert error.value.code == "invalid_policy"


def test_policy_table_must_be_complete() -> None:
    limits = dict(DEFAULT_POLICY.category_limits)
    del limits[(LimitRow.CATEGORY_1, Storage.ROOM)]
    with pytest.raises(RuleError):
        Policy(category_limits=limits)


def test_policy_is_immutable_and_hashable() -> None:
    limits = dict(DEFAULT_POLICY.category_limits)
    policy = Policy(category_limits=limits)
    limits[(LimitRow.CATEGORY_1, Storage.ROOM)] = H
    assert policy.limit(Category.CATEGORY_1, Storage.ROOM) == 12 * H
    assert hash(policy) == hash(DEFAULT_POLICY)
