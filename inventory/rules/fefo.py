"""First-expiry-first-out choice of vials and draw plans across several vials (SAFE-04, SAFE-11)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from inventory.rules.errors import RuleError
from inventory.rules.units import format_ml, ul_to_ml

#: A draw plan: (vial_id, microlitres) in drawing order.
Plan = list[tuple[int, int]]


class InsufficientStock(RuleError):
    """Not enough usable volume for a draw; ``short_ul`` is what is missing."""

    def __init__(self, *, needed_ul: int, available_ul: int) -> None:
        self.needed_ul = needed_ul
        self.available_ul = available_ul
        self.short_ul = needed_ul - available_ul
        super().__init__(
            "insufficient_stock",
            f"Not enough usable stock: {format_ml(needed_ul)} needed, {format_ml(available_ul)} available, "
            f"{format_ml(self.short_ul)} short.",
            {
                "needed_ml": str(ul_to_ml(needed_ul)),
                "available_ml": str(ul_to_ml(available_ul)),
                "short_ml": str(ul_to_ml(self.short_ul)),
            },
            params={
                "needed": format_ml(needed_ul),
                "available": format_ml(available_ul),
                "short": format_ml(self.short_ul),
            },
        )


@dataclass(frozen=True)
class Candidate:
    """A vial of the product to draw. ``usable`` is False when anything blocks it
    (``expiry.vial_blocked_reason``); ``opened`` means punctured and within its in-use limit."""

    vial_id: int
    remaining_ul: int
    opened: bool
    expiry: date
    received_at: datetime
    usable: bool


def _rank(candidate: Candidate) -> tuple[bool, date, datetime]:
    """SAFE-04 preference, smaller first: opened vials, then earliest expiry, then oldest receipt."""
    return (not candidate.opened, candidate.expiry, candidate.received_at)


def fefo_order(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Usable, non-empty vials in SAFE-04 order (ties broken by vial_id)."""
    drawable = [c for c in candidates if c.usable and c.remaining_ul > 0]
    return sorted(drawable, key=lambda c: (*_rank(c), c.vial_id))


def _check_needed(needed_ul: int) -> None:
    if needed_ul <= 0:
        raise RuleError("invalid_volume", "The volume to draw must be more than 0 mL.", reason="zero")


def _draw(vials: Sequence[Candidate], needed_ul: int) -> Plan:
    """All or nothing: take from each vial in turn until ``needed_ul`` is covered."""
    available = sum(vial.remaining_ul for vial in vials)
    if available < needed_ul:
        raise InsufficientStock(needed_ul=needed_ul, available_ul=available)
    plan: Plan = []
    left = needed_ul
    for vial in vials:
        if left == 0:
            break
        take = min(vial.remaining_ul, left)
        plan.append((vial.vial_id, take))
        left -= take
    return plan


def plan_draw(candidates: Sequence[Candidate], needed_ul: int) -> Plan:
    """SAFE-04: draw ``needed_ul`` across as many vials as it takes, in FEFO order.

    Raises InsufficientStock (``insufficient_stock``) when all usable vials together are not enough.
    """
    _check_needed(needed_ul)
    return _draw(fefo_order(candidates), needed_ul)


def plan_draw_from(chosen_ids: Sequence[int], candidates: Sequence[Candidate], needed_ul: int) -> Plan:
    """A nurse's own choice of vials, drawn in her order (SAFE-04 allows it, with a reason).

    Raises ``vial_unusable`` for a chosen vial that is unknown, blocked or empty, and
    InsufficientStock when the chosen vials are not enough. A vial chosen twice counts once.
    """
    _check_needed(needed_ul)
    by_id = {candidate.vial_id: candidate for candidate in candidates}
    chosen: list[Candidate] = []
    for vial_id in dict.fromkeys(chosen_ids):
        candidate = by_id.get(vial_id)
        if candidate is None or not candidate.usable or candidate.remaining_ul <= 0:
            reason, why = (
                ("not_this_product", "is not a vial of this product")
                if candidate is None
                else (("unusable", "cannot be used") if not candidate.usable else ("empty", "is empty"))
            )
            raise RuleError(
                "vial_unusable", f"Vial {vial_id} {why}.", {"vial_id": str(vial_id)}, reason=reason
            )
        chosen.append(candidate)
    return _draw(chosen, needed_ul)


def departs_from_fefo(
    plan: Sequence[tuple[int, int]], candidates: Sequence[Candidate], needed_ul: int
) -> bool:
    """True when ``plan`` is not what FEFO would draw (SAFE-04), so the choice needs a reason.

    Vials that FEFO ranks equally (both sealed, same expiry, same receipt) are interchangeable: taking
    one rather than the other is not a departure. A plan drawing from an unknown or unusable vial
    departs.
    """
    by_id = {candidate.vial_id: candidate for candidate in candidates}
    drawn: dict[int, int] = {}
    for vial_id, volume in plan:
        drawn[vial_id] = drawn.get(vial_id, 0) + volume
    if any(vial_id not in by_id or not by_id[vial_id].usable for vial_id in drawn):
        return True
    if sum(drawn.values()) != needed_ul:
        return True
    # FEFO-compliant: a vial is only drawn from when every better-ranked vial is emptied by the plan.
    worst_drawn = max(_rank(by_id[vial_id]) for vial_id in drawn) if drawn else None
    return any(
        worst_drawn is not None
        and _rank(vial) < worst_drawn
        and drawn.get(vial.vial_id, 0) < vial.remaining_ul
        for vial in fefo_order(candidates)
    )


def _unusable(vial_id: int, candidate: Candidate | None) -> RuleError:
    fields = {"vial_id": str(vial_id)}
    if candidate is None:
        message = f"Vial {vial_id} is not a vial of this product."
        return RuleError("vial_unusable", message, fields, reason="other_product")
    if not candidate.usable:
        return RuleError("vial_unusable", f"Vial {vial_id} cannot be used.", fields, reason="unusable")
    return RuleError("vial_unusable", f"Vial {vial_id} is empty.", fields, reason="empty")
