"""The manager's reports: usage, waste, cost per session, syringes administered. Read-only.

Each report reads the daily totals of its period (`services/summaries.py`: one indexed range, a row per
clinic day and key), so a report of three years costs the same at one year of history or ten; days are
the clinic's, bucketed by week or month here. Costs are kept to a billionth of a minor unit and rounded
half up to the figure shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, and_, select

from inventory import clock
from inventory.extensions import db
from inventory.models import Product
from inventory.services import summaries


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
    """Millilitres drawn per product per week or month (the daily totals, summed per bucket in SQL)."""
    keys = buckets(period, grain)
    names = dict(db.session.execute(select(Product.id, Product.name)).all())
    rows: dict[int, UsageRow] = {}
    for _metric, index, key, _count, volume, _cost in _by_bucket([summaries.DRAWN], period, keys):
        product_id = int(key)
        row = rows.setdefault(product_id, UsageRow(product_id, names.get(product_id, key), [0] * len(keys)))
        row.volumes[index] += volume
    ordered = sorted(rows.values(), key=lambda row: (-row.total_ul, row.name))
    return UsageReport(period, grain, keys, ordered)


def _by_bucket(metrics: Sequence[str], period: Period, keys: list[date]) -> list[summaries.BucketRow]:
    return summaries.totals_by_bucket(metrics, keys, period.start, period.end)


# ---- costs of what was drawn ---------------------------------------------------------------------

batch_costs = summaries.batch_costs
syringe_shares = summaries.syringe_shares


def _cost(cost_nano: int) -> Fraction:
    return Fraction(cost_nano, summaries.NANO)


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


WASTE_METRICS = (summaries.VIAL_WASTE, summaries.SYRINGE_WASTE)


def waste(period: Period) -> WasteReport:
    """Waste by reason: volume and cost of vial remainders and discarded syringes."""
    rows: dict[str, WasteRow] = {}
    for metric, _index, reason, count, volume, cost in _by_bucket(WASTE_METRICS, period, [period.start]):
        row = rows.setdefault(reason, WasteRow(reason))
        if metric == summaries.VIAL_WASTE:
            row.vials += count
        else:
            row.syringes += count
        row.volume_ul += volume
        row.cost += _cost(cost)
    shown = [row for row in rows.values() if row.vials or row.syringes]
    return WasteReport(period, sorted(shown, key=lambda row: (-row.cost, row.reason)))


def waste_by_bucket(period: Period, grain: Grain) -> list[tuple[date, int, int]]:
    """(bucket, volume µL, cost minor units) per week or month."""
    keys = buckets(period, grain)
    volume = [0] * len(keys)
    cost = [0] * len(keys)
    for _metric, index, _reason, _count, ul, nano in _by_bucket(WASTE_METRICS, period, keys):
        volume[index] += ul
        cost[index] += nano
    return [(key, volume[i], minor(_cost(cost[i]))) for i, key in enumerate(keys)]


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
    rows: dict[str, SessionCostRow] = {}
    metrics = (summaries.SESSIONS, summaries.SESSION_SYRINGES)
    for metric, _index, indication, count, _volume, cost in _by_bucket(metrics, period, [period.start]):
        row = rows.setdefault(indication, SessionCostRow(indication))
        if metric == summaries.SESSIONS:
            row.sessions += count
        else:
            row.syringes += count
            row.cost += _cost(cost)
    shown = [row for row in rows.values() if row.sessions or row.syringes]
    return sorted(shown, key=lambda row: row.indication)


def syringes_administered(period: Period, grain: Grain = Grain.WEEK) -> list[tuple[date, int]]:
    keys = buckets(period, grain)
    counts = [0] * len(keys)
    for _metric, index, _key, count, _volume, _cost in _by_bucket([summaries.ADMINISTERED], period, keys):
        counts[index] += count
    return list(zip(keys, counts, strict=True))
