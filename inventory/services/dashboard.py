"""The manager's dashboard: the figures of each tile, a few set-based queries each. Read-only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select

from inventory import clock
from inventory.extensions import db
from inventory.models import FollowUpStatus, Product, Recall, RecallPatient
from inventory.services import readings, reports, usability, vigilance
from inventory.services import reorder as reorder_service
from inventory.services import stock as stock_service

WINDOW_DAYS = 30


@dataclass(frozen=True)
class ExpiringItem:
    kind: str  # lot, vial, syringe
    id: int
    label: str
    until: datetime
    past: bool


@dataclass
class Expiring:
    lots: list[ExpiringItem] = field(default_factory=list)
    vials: list[ExpiringItem] = field(default_factory=list)
    syringes: list[ExpiringItem] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.lots) + len(self.vials) + len(self.syringes)

    @property
    def past(self) -> int:
        return sum(item.past for item in [*self.lots, *self.vials, *self.syringes])

    def soonest(self, limit: int = 6) -> list[ExpiringItem]:
        items = [*self.lots, *self.vials, *self.syringes]
        return sorted(items, key=lambda item: item.until)[:limit]


def expiring(days: int = WINDOW_DAYS) -> Expiring:
    """Lots in stock expiring within the window, opened vials near or past their in-use limit, unused
    syringes near or past their BUD: the stock area's one list (services/stock.expiring), by kind."""
    result = Expiring()
    by_kind = {"lot": result.lots, "vial": result.vials, "syringe": result.syringes}
    for item in stock_service.expiring(days):
        if item.kind in by_kind:
            label = f"{item.label} · {item.code}" if item.label else item.code
            by_kind[item.kind].append(ExpiringItem(item.kind, item.id, label, item.until, item.passed))
    return result


@dataclass(frozen=True)
class LowStock:
    product: Product
    vials: int
    volume_ul: int


def low_stock(active: list[Product] | None = None) -> list[LowStock]:
    """Active products with a reorder point whose usable vials are at or below it (`active`: the active
    products, when the caller has them already)."""
    if active is None:
        active = _active_products()
    products = sorted((p for p in active if p.reorder_point > 0), key=lambda product: product.name)
    levels = usability.usable_stock([product.id for product in products])
    rows = []
    for product in products:
        level = levels.get(product.id, usability.StockLevel())
        if level.vials <= product.reorder_point:
            rows.append(LowStock(product, level.vials, level.volume_ul))
    return sorted(rows, key=lambda row: (row.vials, row.product.name))


def _active_products() -> list[Product]:
    return list(db.session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.name)))


@dataclass(frozen=True)
class RecallSummary:
    open_recalls: int
    pending_patients: int


def recalls() -> RecallSummary:
    """Open recalls and their follow-ups still pending, in one query."""
    open_recalls = select(func.count(Recall.id)).where(Recall.closed_at.is_(None)).scalar_subquery()
    pending = (
        select(func.count(RecallPatient.id))
        .join(Recall, RecallPatient.recall_id == Recall.id)
        .where(Recall.closed_at.is_(None), RecallPatient.status == FollowUpStatus.PENDING)
        .scalar_subquery()
    )
    found, waiting = db.session.execute(select(open_recalls, pending)).one()
    return RecallSummary(int(found or 0), int(waiting or 0))


#: The dashboard's tile lists the first few signals and counts them all.
SIGNALS_SHOWN = 5


def signals(limit: int | None = None) -> list[vigilance.Signal]:
    """AE-02, decided in one place: the vigilance service's list (the most patients first)."""
    return vigilance.signals(limit=limit)


def signal_tile() -> tuple[list[vigilance.Signal], int]:
    """The first signals and the count of them all, in one query."""
    first = vigilance.signals_paged(1, SIGNALS_SHOWN)
    return first.items, first.total


@dataclass(frozen=True)
class Dashboard:
    expiring: Expiring
    low_stock: list[LowStock]
    reorder: list[reorder_service.ReorderLine]
    waste: reports.WasteReport
    waste_months: list[tuple[date, int, int]]
    recalls: RecallSummary
    signals: list[vigilance.Signal]  # the first SIGNALS_SHOWN
    signal_count: int
    administered_weeks: list[tuple[date, int]]
    #: COLD-02: units without a reading for longer than the clinic's interval.
    readings_overdue: list[readings.Overdue] = field(default_factory=list)

    @property
    def suggested_vials(self) -> int:
        return sum(line.suggestion.suggested_vials for line in self.reorder)


def dashboard() -> Dashboard:
    today = clock.today()
    month = reports.Period.month_of(today)
    six_months = reports.Period(_months_back(month.start, 5), month.end)
    active = _active_products()
    shown, signal_count = signal_tile()
    return Dashboard(
        expiring=expiring(),
        low_stock=low_stock(active),
        reorder=reorder_service.reorder_lines(products=active, only_needed=True),
        waste=reports.waste(month),
        waste_months=reports.waste_by_bucket(six_months, reports.Grain.MONTH),
        recalls=recalls(),
        signals=shown,
        signal_count=signal_count,
        administered_weeks=reports.syringes_administered(reports.Period.last_weeks(8, today)),
        readings_overdue=readings.overdue_units(),
    )


def _months_back(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)
