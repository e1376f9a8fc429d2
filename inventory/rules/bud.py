"""Beyond-use dates of prepared syringes (BUD-01..07, domain.md §1).

A BUD is the last instant administration may *begin* (BUD-01); it is an aware UTC datetime, shown
with date and time in the clinic's zone. Limits count from the start of preparation; across a DST
change the earlier of elapsed and clock time wins (``expiry.add_limit``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from inventory.rules.errors import RuleError
from inventory.rules.expiry import add_limit, expiry_end, is_expired, require_aware
from inventory.rules.policy import DEFAULT_POLICY, Category, Policy, Storage


@dataclass(frozen=True)
class Component:
    """One vial drawn for a preparation.

    ``in_use_until`` is the in-use limit (``expiry.in_use_until``) of a vial that was already open
    when this preparation started, or None for a sealed vial or ampoule first opened by this very
    preparation: its in-use limit governs what is left in it, not the syringes drawn from it
    (VIAL-02, BUD-06). An ampoule's limit is the instant it is opened, so passing it would make the
    BUD that instant.
    """

    product_id: int
    sterile: bool
    lot_expiry: date
    in_use_until: datetime | None = None


def compute_bud(
    *,
    category: Category,
    storage: Storage,
    prepared_at: datetime,
    components: Sequence[Component],
    tz: ZoneInfo,
    policy: Policy = DEFAULT_POLICY,
) -> datetime:
    """BUD-03: the earliest of prepared_at + the category limit (BUD-02, BUD-04), the end of every
    drawn lot's expiry day (EXP-01) and every drawn opened vial's in-use limit.

    Raises RuleError: ``storage_not_allowed`` (no limit for that storage, e.g. a category 1 in the
    freezer), ``immediate_use_limit`` (BUD-05: a non-sterile component or too many products),
    ``expired_component`` (SAFE-01) and ``in_use_limit`` (SAFE-02), naming the product in ``fields``.
    """
    start = require_aware(prepared_at, "prepared_at")
    if not components:
        raise RuleError("no_components", "A preparation needs at least one component.")
    all_sterile = all(component.sterile for component in components)
    if category is Category.IMMEDIATE:
        _check_immediate_use(components, policy)
    limit = category_limit(category, storage, all_sterile=all_sterile, policy=policy)
    _check_components(components, start, tz)
    in_use_limits = [require_aware(c.in_use_until) for c in components if c.in_use_until is not None]
    return min(
        [add_limit(start, limit, tz), *(expiry_end(c.lot_expiry, tz) for c in components), *in_use_limits]
    )


def category_limit(
    category: Category, storage: Storage, *, all_sterile: bool, policy: Policy = DEFAULT_POLICY
) -> timedelta:
    """BUD-04 limit for this category and storage; immediate use is also capped by its window
    (BUD-05). Raises ``storage_not_allowed`` where the policy has no limit."""
    limit = policy.limit(category, storage, all_sterile=all_sterile)
    if limit is None:
        raise RuleError(
            "storage_not_allowed",
            f"A {category.value} preparation cannot be stored in {storage.value} storage.",
            {"category": category.value, "storage": storage.value},
        )
    if category is Category.IMMEDIATE:
        limit = min(limit, policy.immediate_window)
    return limit


def _check_immediate_use(components: Sequence[Component], policy: Policy) -> None:
    """BUD-05: immediate use combines at most ``policy.immediate_max_products`` sterile products."""
    for component in components:
        if not component.sterile:
            raise RuleError(
                "immediate_use_limit",
                "An immediate-use preparation may only combine sterile products; "
                f"product {component.product_id} is not sterile.",
                {"product_id": str(component.product_id)},
                reason="not_sterile",
            )
    products = len({component.product_id for component in components})
    if products > policy.immediate_max_products:
        raise RuleError(
            "immediate_use_limit",
            f"An immediate-use preparation may combine at most {policy.immediate_max_products} different "
            f"sterile products; this recipe has {products}.",
            {"max_products": str(policy.immediate_max_products), "products": str(products)},
            reason="too_many_products",
        )


def _check_components(components: Sequence[Component], start: datetime, tz: ZoneInfo) -> None:
    """SAFE-01, SAFE-02: nothing expired or past its in-use limit when preparation starts."""
    for component in sorted(components, key=lambda c: c.lot_expiry):
        if is_expired(component.lot_expiry, start, tz):
            raise RuleError(
                "expired_component",
                f"Product {component.product_id}: its lot expired on {component.lot_expiry.isoformat()} "
                "and cannot be used.",
                {"product_id": str(component.product_id), "expiry": component.lot_expiry.isoformat()},
            )
    for component in components:
        if component.in_use_until is not None and start > require_aware(component.in_use_until):
            until = component.in_use_until.astimezone(tz)
            raise RuleError(
                "in_use_limit",
                f"Product {component.product_id}: the opened vial was usable until {until:%Y-%m-%d %H:%M}; "
                "it must be discarded.",
                {"product_id": str(component.product_id), "in_use_until": until.isoformat()},
                params={"product_id": str(component.product_id), "until": f"{until:%Y-%m-%d %H:%M}"},
            )


def rewarmed_bud(
    *,
    current_bud: datetime,
    prepared_at: datetime,
    category: Category,
    new_storage: Storage,
    all_sterile: bool,
    policy: Policy = DEFAULT_POLICY,
    tz: ZoneInfo | None = None,
) -> datetime:
    """BUD-07: after a change of storage, min(current BUD, prepared_at + the new storage's limit).

    Moving somewhere warmer can shorten the BUD; moving somewhere colder never extends it. Pass the
    clinic's ``tz`` to count the limit as ``compute_bud`` does across DST; without it, elapsed time.
    """
    limit = category_limit(category, new_storage, all_sterile=all_sterile, policy=policy)
    start = require_aware(prepared_at, "prepared_at")
    until = start + limit if tz is None else add_limit(start, limit, tz)
    return min(require_aware(current_bud, "current_bud"), until)


def bud_passed(bud: datetime, now: datetime) -> bool:
    """BUD-01: administration may not begin after the BUD (the BUD instant itself is still fine)."""
    return require_aware(now, "now") > require_aware(bud, "bud")
