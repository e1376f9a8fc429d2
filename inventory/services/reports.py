"""The manager's reports: usage, waste, cost per session, syringes administered. Read-only.

A few set-based queries per report; bucketing by week or month happens in the clinic's time zone.
Costs are exact fractions of minor units until the figure shown, rounded half up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select

from inventory import clock
from inventory.extensions import db
from inventory.models import (
    Administration,
    Batch,
    Draw,
    Product,
    Receipt,
    Syringe,
    SyringeStatus,
    TreatmentSession,
    Vial,
)


class Grain(StrEnum):
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class Period:
    """Clinic days from `start` through `end`, both included."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=clock.clinic_zone())

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=clock.clinic_zone())

    @classmethod
    def last_weeks(cls, weeks: int, today: date | None = None) -> Period:
        today = today or clock.today()
        return cls(bucket(today, Grain.WEEK) - timedelta(weeks=weeks - 1), today)

    @classmethod
    def month_of(cls, day: date) -> Period:
        start = day.replace(day=1)
        return cls(start, _next_month(start) - timedelta(days=1))


def minor(value: Fraction) -> int:
    """Round half up to whole minor units."""
    return int((value + Fraction(1, 2)) // 1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def bucket(day: date, grain: Grain) -> date:
    """The first day of the week (Monday) or month a day falls in."""
    if grain is Grain.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def buckets(period: Period, grain: Grain) -> list[date]:
    """Every week or month that overlaps the period, in order."""
    current, keys = bucket(period.start, grain), []
    while current <= period.end:
        keys.append(current)
        current = current + timedelta(weeks=1) if grain is Grain.WEEK else _next_month(current)
    return keys


def _local_day(moment: datetime) -> date:
    return clock.local(moment).date()


def _in(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.since, column < period.until)


# ---- usage ---------------------------------------------------------------------------------------


@dataclass
class UsageRow:
    product_id: int
    name: str
    volumes: list[int]

    @property
    def total_ul(self) -> int:
        return sum(self.volumes)


@dataclass
class UsageReport:
    period: Period
    grain: Grain
    keys: list[date]
    rows: list[UsageRow]

    @property
    def totals(self) -> list[int]:
        return [sum(row.volumes[i] for row in self.rows) for i in range(len(self.keys))]


def usage(period: Period, grain: Grain = Grain.WEEK) -> UsageReport:
    """Millilitres drawn per product per week or month."""
    keys = buckets(period, grain)
    index = {key: i for i, key in enumerate(keys)}
    query = (
        select(Draw.product_id, Product.name, Draw.drawn_at, Draw.volume_ul)
        .join(Product, Draw.product_id == Product.id)
        .where(_in(Draw.drawn_at, period))
    )
    rows: dict[int, UsageRow] = {}
    for product_id, name, drawn_at, volume in db.session.execute(query):
        row = rows.setdefault(product_id, UsageRow(product_id, name, [0] * len(keys)))
        row.volumes[index[bucket(_local_day(drawn_at), grain)]] += volume
    ordered = sorted(rows.values(), key=lambda row: (-row.total_ul, row.name))
    return UsageReport(period, grain, keys, ordered)


# ---- costs of what was drawn ---------------------------------------------------------------------


def batch_costs(batch_ids: Iterable[int]) -> dict[int, Fraction]:
    """What went into each batch: each draw's volume at its vial's cost per µL (receipt cost / volume)."""
    ids = list(set(batch_ids))
    if not ids:
        return {}
    query = (
        select(Draw.batch_id, Draw.volume_ul, Receipt.unit_cost_minor, Vial.initial_ul)
        .join(Vial, Draw.vial_id == Vial.id)
        .join(Receipt, Vial.receipt_id == Receipt.id)
        .where(Draw.batch_id.in_(ids))
    )
    costs: dict[int, Fraction] = defaultdict(Fraction)
    for batch_id, volume, unit_cost, initial in db.session.execute(query):
        costs[batch_id] += Fraction(volume * unit_cost, initial) if initial else Fraction(0)
    return costs


def syringe_shares(batch_ids: Iterable[int]) -> dict[int, Fraction]:
    """The cost of one syringe of each batch: the batch's cost shared by its syringes."""
    ids = list(set(batch_ids))
    costs = batch_costs(ids)
    counts = dict(db.session.execute(select(Batch.id, Batch.syringe_count).where(Batch.id.in_(ids))).all())
    return {batch_id: costs.get(batch_id, Fraction(0)) / max(1, counts.get(batch_id, 1)) for batch_id in ids}


# ---- waste ---------------------------------------------------------------------------------------


@dataclass
class WasteRow:
    reason: str
    vials: int = 0
    syringes: int = 0
    volume_ul: int = 0
    cost: Fraction = field(default_factory=Fraction)

    @property
    def cost_minor(self) -> int:
        return minor(self.cost)


@dataclass
class WasteReport:
    period: Period
    rows: list[WasteRow]

    @property
    def volume_ul(self) -> int:
        return sum(row.volume_ul for row in self.rows)

    @property
    def cost_minor(self) -> int:
        return minor(sum((row.cost for row in self.rows), Fraction(0)))


@dataclass(frozen=True)
class WasteItem:
    day: date
    reason: str
    kind: str
    volume_ul: int
    cost: Fraction


def waste_items(period: Period) -> list[WasteItem]:
    """Every waste event in the period: vial remainders thrown away and discarded syringes."""
    vials = (
        select(
            Vial.discarded_at,
            Vial.opened_at,
            Vial.discard_reason,
            Vial.waste_ul,
            Vial.initial_ul,
            Receipt.unit_cost_minor,
        )
        .join(Receipt, Vial.receipt_id == Receipt.id)
        .where(Vial.waste_ul > 0, _in(func.coalesce(Vial.discarded_at, Vial.opened_at), period))
    )
    items = [
        WasteItem(
            _local_day(discarded_at or opened_at or period.since),
            reason or "other",
            "vial",
            waste,
            Fraction(waste * unit_cost, initial) if initial else Fraction(0),
        )
        for discarded_at, opened_at, reason, waste, initial, unit_cost in db.session.execute(vials)
    ]
    syringes = select(
        Syringe.discarded_at, Syringe.discard_reason, Syringe.volume_ul, Syringe.batch_id
    ).where(
        Syringe.status == SyringeStatus.DISCARDED,
        _in(Syringe.discarded_at, period),
    )
    discarded = list(db.session.execute(syringes))
    shares = syringe_shares(batch_id for *_rest, batch_id in discarded)
    items += [
        WasteItem(
            _local_day(discarded_at), reason or "other", "syringe", volume, shares.get(batch_id, Fraction(0))
        )
        for discarded_at, reason, volume, batch_id in discarded
        if discarded_at is not None
    ]
    return items


def waste(period: Period) -> WasteReport:
    """Waste by reason: volume and cost of vial remainders and discarded syringes."""
    rows: dict[str, WasteRow] = {}
    for item in waste_items(period):
        row = rows.setdefault(item.reason, WasteRow(item.reason))
        if item.kind == "vial":
            row.vials += 1
        else:
            row.syringes += 1
        row.volume_ul += item.volume_ul
        row.cost += item.cost
    return WasteReport(period, sorted(rows.values(), key=lambda row: (-row.cost, row.reason)))


def waste_by_bucket(period: Period, grain: Grain) -> list[tuple[date, int, int]]:
    """(bucket, volume µL, cost minor units) per week or month."""
    keys = buckets(period, grain)
    volume = dict.fromkeys(keys, 0)
    cost = dict.fromkeys(keys, Fraction(0))
    for item in waste_items(period):
        key = bucket(item.day, grain)
        volume[key] += item.volume_ul
        cost[key] += item.cost
    return [(key, volume[key], minor(cost[key])) for key in keys]


# ---- sessions and syringes -----------------------------------------------------------------------


@dataclass
class SessionCostRow:
    indication: str
    sessions: int = 0
    syringes: int = 0
    cost: Fraction = field(default_factory=Fraction)

    @property
    def cost_minor(self) -> int:
        return minor(self.cost)

    @property
    def per_session_minor(self) -> int:
        return minor(self.cost / self.sessions) if self.sessions else 0


def cost_per_session(period: Period) -> list[SessionCostRow]:
    """Per indication: sessions started in the period with something administered, and the cost share
    of every syringe administered in them."""
    query = (
        select(TreatmentSession.id, TreatmentSession.indication, Syringe.batch_id)
        .join(Administration, Administration.session_id == TreatmentSession.id)
        .join(Syringe, Administration.syringe_id == Syringe.id)
        .where(_in(TreatmentSession.started_at, period), Administration.given())
    )
    administered = list(db.session.execute(query))
    shares = syringe_shares(batch_id for _s, _i, batch_id in administered)
    rows: dict[str, SessionCostRow] = {}
    sessions: dict[str, set[int]] = defaultdict(set)
    for session_id, indication, batch_id in administered:
        row = rows.setdefault(indication, SessionCostRow(indication))
        sessions[indication].add(session_id)
        row.syringes += 1
        row.cost += shares.get(batch_id, Fraction(0))
    for indication, row in rows.items():
        row.sessions = len(sessions[indication])
    return sorted(rows.values(), key=lambda row: row.indication)


def syringes_administered(period: Period, grain: Grain = Grain.WEEK) -> list[tuple[date, int]]:
    keys = buckets(period, grain)
    counts = dict.fromkeys(keys, 0)
    query = select(Administration.administered_at).where(
        _in(Administration.administered_at, period), Administration.given()
    )
    for (moment,) in db.session.execute(query):
        counts[bucket(_local_day(moment), grain)] += 1
    return list(counts.items())
