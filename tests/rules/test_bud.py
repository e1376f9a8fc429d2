"""Beyond-use dates: BUD-01..07 and the vectors T1-T9 of domain.md §1 (T10-T13 are in test_expiry).

Every vector runs in Istanbul (UTC+3, no DST) and in Paris, whose clocks go forward on 2025-03-30.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.rules.bud import Component, bud_passed, category_limit, compute_bud, rewarmed_bud
from inventory.rules.errors import RuleError
from inventory.rules.expiry import expiry_end, in_use_until
from inventory.rules.policy import DEFAULT_POLICY, Category, Container, Policy, Storage
from tests.rules.helpers import ISTANBUL, PARIS, PROPERTY, ZONES, local, wall

FAR = date(2026, 1, 31)
zones = pytest.mark.parametrize("tz", ZONES, ids=str)


def comp(
    product_id: int, *, sterile: bool = True, expiry: date = FAR, until: datetime | None = None
) -> Component:
    return Component(product_id=product_id, sterile=sterile, lot_expiry=expiry, in_use_until=until)


def bud(
    tz: ZoneInfo,
    category: Category,
    storage: Storage,
    start: str,
    components: Sequence[Component] = (comp(1), comp(2)),
    policy: Policy = DEFAULT_POLICY,
) -> datetime:
    return compute_bud(
        category=category,
        storage=storage,
        prepared_at=local(tz, start),
        components=components,
        tz=tz,
        policy=policy,
    )


def rule_error(code: str, tz: ZoneInfo, *args: object) -> RuleError:
    with pytest.raises(RuleError) as error:
        bud(tz, *args)  # type: ignore[arg-type]
    assert error.value.code == code, error.value.message
    return error.value


@zones
def test_bud_t1_category_1_room_12h(tz: ZoneInfo) -> None:
    assert bud(tz, Category.CATEGORY_1, Storage.ROOM, "2025-03-10 09:00") == local(tz, "2025-03-10 21:00")


@zones
def test_bud_t2_category_1_fridge_24h(tz: ZoneInfo) -> None:
    assert bud(tz, Category.CATEGORY_1, Storage.FRIDGE, "2025-03-10 09:00") == local(tz, "2025-03-11 09:00")


@zones
def test_bud_t3_category_1_freezer_rejected(tz: ZoneInfo) -> None:
    error = rule_error("storage_not_allowed", tz, Category.CATEGORY_1, Storage.FREEZER, "2025-03-10 09:00")
    assert error.params == {"category": "category_1", "storage": "freezer"}
    assert error.fields == {"category": "category_1", "storage": "freezer"}


@zones
def test_bud_t4_category_2_sterile_fridge_10_days(tz: ZoneInfo) -> None:
    assert bud(tz, Category.CATEGORY_2, Storage.FRIDGE, "2025-03-10 09:00") == local(tz, "2025-03-20 09:00")


@zones
def test_bud_t5_category_2_non_sterile_room_1_day(tz: ZoneInfo) -> None:
    components = [comp(1), comp(2, sterile=False)]
    assert bud(tz, Category.CATEGORY_2, Storage.ROOM, "2025-03-10 09:00", components) == local(
        tz, "2025-03-11 09:00"
    )


@zones
def test_bud_t6_component_expiry_binds(tz: ZoneInfo) -> None:
    components = [comp(1), comp(2, expiry=date(2025, 3, 31))]
    result = bud(tz, Category.CATEGORY_2, Storage.FRIDGE, "2025-03-25 10:00", components)
    assert result == expiry_end(date(2025, 3, 31), tz)
    assert wall(result, tz) == "2025-03-31 23:59:59"  # in Paris, after the change to summer time


@zones
@pytest.mark.parametrize(
    ("category", "storage"),
    [
        (Category.IMMEDIATE, Storage.ROOM),
        (Category.CATEGORY_1, Storage.FRIDGE),
        (Category.CATEGORY_2, Storage.FREEZER),
    ],
)
def test_bud_t7_expired_component_rejected(tz: ZoneInfo, category: Category, storage: Storage) -> None:
    components = [comp(1), comp(7, expiry=date(2025, 3, 9))]
    error = rule_error("expired_component", tz, category, storage, "2025-03-10 09:00", components)
    assert error.fields == {"product_id": "7", "expiry": "2025-03-09"}


@zones
def test_bud_t7_lot_expiring_today_is_still_usable(tz: ZoneInfo) -> None:
    components = [comp(1, expiry=date(2025, 3, 10))]
    result = bud(tz, Category.CATEGORY_1, Storage.FRIDGE, "2025-03-10 09:00", components)
    assert wall(result, tz) == "2025-03-10 23:59:59"


@zones
def test_bud_t8_immediate_use_4h(tz: ZoneInfo) -> None:
    result = bud(tz, Category.IMMEDIATE, Storage.ROOM, "2025-03-10 14:05", [comp(1), comp(2), comp(3)])
    assert result == local(tz, "2025-03-10 18:05")
    assert not bud_passed(result, local(tz, "2025-03-10 18:05"))
    assert bud_passed(result, local(tz, "2025-03-10 18:06"))


@zones
def test_bud_t9_immediate_use_with_4_products_rejected(tz: ZoneInfo) -> None:
    components = [comp(1), comp(2), comp(3), comp(4)]
    error = rule_error(
        "immediate_use_limit", tz, Category.IMMEDIATE, Storage.ROOM, "2025-03-10 14:05", components
    )
    assert error.message == (
        "An immediate-use preparation may combine at most 3 different sterile products; this recipe has 4."
    )
    assert error.fields == {"max_products": "3", "products": "4"}


def test_bud_05_immediate_use_counts_products_not_vials() -> None:
    components = [comp(1), comp(1), comp(2), comp(3)]  # two vials of product 1
    assert bud(ISTANBUL, Category.IMMEDIATE, Storage.ROOM, "2025-03-10 14:05", components) == local(
        ISTANBUL, "2025-03-10 18:05"
    )


def test_bud_05_immediate_use_only_sterile_products() -> None:
    error = rule_error(
        "immediate_use_limit",
        ISTANBUL,
        Category.IMMEDIATE,
        Storage.ROOM,
        "2025-03-10 14:05",
        [comp(1, sterile=False)],
    )
    assert error.fields == {"product_id": "1"}


def test_bud_05_immediate_use_never_frozen() -> None:
    rule_error("storage_not_allowed", ISTANBUL, Category.IMMEDIATE, Storage.FREEZER, "2025-03-10 14:05")


def test_bud_05_immediate_window_caps_the_table() -> None:
    policy = Policy(immediate_window=timedelta(hours=1))
    result = bud(ISTANBUL, Category.IMMEDIATE, Storage.FRIDGE, "2025-03-10 14:05", policy=policy)
    assert result == local(ISTANBUL, "2025-03-10 15:05")


def test_bud_05_immediate_max_products_is_policy() -> None:
    policy = Policy(immediate_max_products=2)
    rule_error(
        "immediate_use_limit",
        ISTANBUL,
        Category.IMMEDIATE,
        Storage.ROOM,
        "2025-03-10 14:05",
        [comp(1), comp(2), comp(3)],
        policy,
    )


def test_bud_04_policy_override() -> None:
    policy = Policy.from_mapping({"category_limits_hours": {"category_1": {"room": 6}}})
    assert bud(ISTANBUL, Category.CATEGORY_1, Storage.ROOM, "2025-03-10 09:00", policy=policy) == local(
        ISTANBUL, "2025-03-10 15:00"
    )


@zones
def test_bud_03_in_use_limit_of_an_opened_vial_binds(tz: ZoneInfo) -> None:
    # A multi-dose vial first punctured on 15 February: usable until 15 March 10:00 (VIAL-03).
    opened = in_use_until(Container.MULTI_DOSE, local(tz, "2025-02-15 10:00"), FAR, tz)
    components = [comp(1), comp(2, until=opened)]
    assert bud(tz, Category.CATEGORY_2, Storage.FRIDGE, "2025-03-10 09:00", components) == local(
        tz, "2025-03-15 10:00"
    )


@zones
def test_bud_03_single_dose_opened_earlier_binds(tz: ZoneInfo) -> None:
    opened = in_use_until(Container.SINGLE_DOSE, local(tz, "2025-03-10 08:00"), FAR, tz)  # T10: until 20:00
    components = [comp(1, until=opened)]
    assert bud(tz, Category.CATEGORY_1, Storage.FRIDGE, "2025-03-10 09:00", components) == local(
        tz, "2025-03-10 20:00"
    )


def test_bud_03_container_opened_by_this_preparation_does_not_bind() -> None:
    # An ampoule opened by this preparation is passed without an in-use limit (see Component); what
    # becomes of its remainder (BUD-06) is the preparation service's: tests/compounding/test_batches_api.
    components = [comp(1), comp(2)]
    assert bud(ISTANBUL, Category.CATEGORY_1, Storage.FRIDGE, "2025-03-10 09:00", components) == local(
        ISTANBUL, "2025-03-11 09:00"
    )


@zones
def test_safe_02_vial_past_its_in_use_limit_rejected(tz: ZoneInfo) -> None:
    components = [comp(1), comp(5, until=local(tz, "2025-03-10 08:59"))]
    error = rule_error("in_use_limit", tz, Category.CATEGORY_1, Storage.ROOM, "2025-03-10 09:00", components)
    assert error.fields["product_id"] == "5"


def test_bud_03_needs_components() -> None:
    rule_error("no_components", ISTANBUL, Category.CATEGORY_1, Storage.ROOM, "2025-03-10 09:00", [])


def test_bud_02_naive_start_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_bud(
            category=Category.CATEGORY_1,
            storage=Storage.ROOM,
            prepared_at=datetime(2025, 3, 10, 9, 0),  # noqa: DTZ001 (naive on purpose)
            components=[comp(1)],
            tz=ISTANBUL,
        )


@pytest.mark.parametrize(
    ("category", "start", "expected", "elapsed"),
    [
        # Paris springs forward on 30 March: the clock reading is the earlier one.
        (Category.CATEGORY_1, "2025-03-29 21:00", "2025-03-30 09:00:00", timedelta(hours=11)),
        (Category.CATEGORY_2, "2025-03-28 09:00", "2025-04-01 09:00:00", timedelta(days=4, hours=-1)),
        # It falls back on 26 October: 12 elapsed hours end before 09:00 on the clock.
        (Category.CATEGORY_1, "2025-10-25 21:00", "2025-10-26 08:00:00", timedelta(hours=12)),
        (Category.CATEGORY_2, "2025-10-24 09:00", "2025-10-28 08:00:00", timedelta(days=4)),
    ],
    ids=["spring-hours", "spring-days", "autumn-hours", "autumn-days"],
)
def test_bud_04_limits_across_dst_never_exceed_clock_or_elapsed_time(
    category: Category, start: str, expected: str, elapsed: timedelta
) -> None:
    result = bud(PARIS, category, Storage.ROOM, start)
    assert wall(result, PARIS) == expected
    assert result - local(PARIS, start) == elapsed


def test_bud_04_result_is_utc() -> None:
    result = bud(ISTANBUL, Category.CATEGORY_1, Storage.ROOM, "2025-03-10 09:00")
    assert result.utcoffset() == timedelta(0)
    assert (result.hour, result.minute) == (18, 0)


# --- BUD-07: storage changes ---------------------------------------------------------------------


@zones
@pytest.mark.parametrize(
    ("category", "all_sterile", "first", "then", "expected"),
    [
        (Category.CATEGORY_2, True, Storage.FRIDGE, Storage.ROOM, "2025-03-14 09:00"),  # 10 d → 4 d
        (Category.CATEGORY_2, True, Storage.FRIDGE, Storage.FREEZER, "2025-03-20 09:00"),  # colder: no longer
        (Category.CATEGORY_2, False, Storage.FREEZER, Storage.FRIDGE, "2025-03-14 09:00"),  # 45 d → 4 d
        (Category.CATEGORY_1, True, Storage.FRIDGE, Storage.ROOM, "2025-03-10 21:00"),  # 24 h → 12 h
        (Category.CATEGORY_1, True, Storage.ROOM, Storage.FRIDGE, "2025-03-10 21:00"),  # colder: no longer
        (Category.IMMEDIATE, True, Storage.FRIDGE, Storage.ROOM, "2025-03-10 13:00"),
    ],
)
def test_bud_07_rewarmed(
    tz: ZoneInfo, category: Category, all_sterile: bool, first: Storage, then: Storage, expected: str
) -> None:
    start = local(tz, "2025-03-10 09:00")
    current = start + category_limit(category, first, all_sterile=all_sterile)
    new = rewarmed_bud(
        current_bud=current, prepared_at=start, category=category, new_storage=then, all_sterile=all_sterile
    )
    assert new == local(tz, expected)


@pytest.mark.parametrize(("tz", "expected"), [(PARIS, "2025-04-01 09:00:00"), (None, "2025-04-01 10:00:00")])
def test_bud_07_rewarmed_across_dst(tz: ZoneInfo | None, expected: str) -> None:
    start = local(PARIS, "2025-03-28 09:00")
    current = bud(PARIS, Category.CATEGORY_2, Storage.FRIDGE, "2025-03-28 09:00")
    assert wall(current, PARIS) == "2025-04-07 09:00:00"
    new = rewarmed_bud(
        current_bud=current,
        prepared_at=start,
        category=Category.CATEGORY_2,
        new_storage=Storage.ROOM,
        all_sterile=True,
        tz=tz,
    )
    assert wall(new, PARIS) == expected  # with the clinic's zone, as compute_bud counts; without, elapsed


def test_bud_07_expiry_bound_bud_never_extends() -> None:
    start = local(ISTANBUL, "2025-03-10 09:00")
    current = expiry_end(date(2025, 3, 12), ISTANBUL)
    new = rewarmed_bud(
        current_bud=current,
        prepared_at=start,
        category=Category.CATEGORY_2,
        new_storage=Storage.ROOM,
        all_sterile=True,
    )
    assert new == current


def test_bud_07_category_1_cannot_go_to_the_freezer() -> None:
    start = local(ISTANBUL, "2025-03-10 09:00")
    with pytest.raises(RuleError) as error:
        rewarmed_bud(
            current_bud=start + timedelta(hours=24),
            prepared_at=start,
            category=Category.CATEGORY_1,
            new_storage=Storage.FREEZER,
            all_sterile=True,
        )
    assert error.value.code == "storage_not_allowed"


# --- properties ----------------------------------------------------------------------------------


@st.composite
def preparations(draw: st.DrawFn, *, expired: bool = False) -> tuple[ZoneInfo, datetime, list[Component]]:
    tz = draw(st.sampled_from(ZONES))
    start = draw(
        st.datetimes(
            min_value=datetime(2024, 1, 1),  # noqa: DTZ001 (hypothesis bounds are naive)
            max_value=datetime(2030, 12, 31),  # noqa: DTZ001
            timezones=st.just(tz),
            allow_imaginary=False,
        )
    )
    components = []
    for product_id in draw(st.lists(st.integers(1, 6), min_size=1, max_size=5)):
        if expired:
            expiry = start.date() - timedelta(days=draw(st.integers(1, 400)))
        else:
            expiry = start.date() + timedelta(days=draw(st.integers(0, 400)))
        until = draw(st.none() | st.timedeltas(timedelta(0), timedelta(days=60)).map(lambda d: start + d))
        components.append(Component(product_id, draw(st.booleans()), expiry, until))
    return tz, start, components


@PROPERTY
@given(prep=preparations(), category=st.sampled_from(Category), storage=st.sampled_from(Storage))
def test_bud_03_never_later_than_any_bound(
    prep: tuple[ZoneInfo, datetime, list[Component]], category: Category, storage: Storage
) -> None:
    tz, start, components = prep
    try:
        result = compute_bud(
            category=category, storage=storage, prepared_at=start, components=components, tz=tz
        )
    except RuleError as error:
        refused: str | None = error.code
    else:
        refused = None
    if refused is not None:
        assert refused in {"storage_not_allowed", "immediate_use_limit"}
        return
    all_sterile = all(c.sterile for c in components)
    limit = DEFAULT_POLICY.limit(category, storage, all_sterile=all_sterile)
    assert limit is not None
    bounds = [start + limit, start.astimezone(UTC) + limit]  # on the clinic's clock, and elapsed
    bounds += [expiry_end(c.lot_expiry, tz) for c in components]
    bounds += [c.in_use_until for c in components if c.in_use_until is not None]
    assert all(result <= bound for bound in bounds)
    assert result in bounds  # BUD-03: the earliest of them, not something earlier
    assert result >= start


@PROPERTY
@given(prep=preparations(expired=True), category=st.sampled_from(Category), storage=st.sampled_from(Storage))
def test_safe_01_expired_component_never_gets_a_bud(
    prep: tuple[ZoneInfo, datetime, list[Component]], category: Category, storage: Storage
) -> None:
    tz, start, components = prep
    with pytest.raises(RuleError) as error:
        compute_bud(category=category, storage=storage, prepared_at=start, components=components, tz=tz)
    assert error.value.code in {"expired_component", "storage_not_allowed", "immediate_use_limit"}


@PROPERTY
@given(
    prep=preparations(),
    category=st.sampled_from([Category.CATEGORY_1, Category.CATEGORY_2]),
    first=st.sampled_from([Storage.ROOM, Storage.FRIDGE]),
    then=st.sampled_from([Storage.ROOM, Storage.FRIDGE]),
)
def test_bud_07_rewarming_never_extends(
    prep: tuple[ZoneInfo, datetime, list[Component]], category: Category, first: Storage, then: Storage
) -> None:
    tz, start, components = prep
    all_sterile = all(c.sterile for c in components)
    current = compute_bud(category=category, storage=first, prepared_at=start, components=components, tz=tz)
    new = rewarmed_bud(
        current_bud=current,
        prepared_at=start,
        category=category,
        new_storage=then,
        all_sterile=all_sterile,
        tz=tz,
    )
    assert new <= current
    limit = category_limit(category, then, all_sterile=all_sterile)
    assert new <= start + limit
    assert new <= start.astimezone(UTC) + limit
