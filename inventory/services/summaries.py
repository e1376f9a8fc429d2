"""Summary rows kept beside the raw rows, in the same transaction as each change: daily and monthly
totals (what the reports and the dashboard sum over windows of years) and the lots each adverse event
was exposed to (what the signals count, AE-02).

A report of three years reads about a thousand days of totals instead of every draw, discard and
administration of those years, so its cost does not grow with the history. The totals are kept in the
same transaction as each change by the services, through one function per event, all of them going
through `add`:

- `drawn(draws)`: batches when they draw from vials;
- `vial_wasted(vial)`: the stock service when it discards a vial with something left in it;
- `syringe_discarded(syringe)`: batches when a syringe is discarded;
- `administration_counted(administration, given=True)`: scanning when it records an administration, and
  with `given=False` whatever stops an administration counting as given (voiding one, issue 11).

`add` upserts each figure into its day's total and into its month's (`monthly_totals`): a report of
three years by month reads 36 months of totals, plus the days of a month the period only partly covers.

The lots each administration given was exposed to (`lot_exposures`, a row per lot and administration
with its patient: what the lot trace, the recalls and the CSV count and page) are kept by
`administration_counted` (an administration given adds its lots, a void removes them) and by patient
merges (`patients_moved`: the sessions, so their rows, move to the record kept).

The adverse events' lots (`adverse_event_lots`, a row per event and lot with the event's patient) are
replaced for an event by `event_lots_changed(event_ids)` whenever what the event was exposed to may have
changed: `adverse_event_recorded(event)` (vigilance), `administration_counted` for the events of the
administration's session (scanning, voids), and patient merges (the events move to the record kept).

Bulk loads that bypass the services (the demo generator, test factories) call `rebuild()`, which
recomputes every summary from the raw rows (`recompute`, `recompute_monthly`, `recompute_event_lots`,
`recompute_lot_exposures`),
the same computations the migrations back-fill with and the tests compare against.

Costs are kept in billionths of a minor unit (`cost_nano`): exact for every cost the app computes to
nine decimals of a minor unit, rounded half up to whole minor units only where a figure is shown.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from functools import cache
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Table,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, scoped_session

from inventory import clock
from inventory.extensions import db
from inventory.models import (
    Administration,
    AdverseEvent,
    AdverseEventLot,
    Batch,
    DailyTotal,
    Draw,
    LotExposure,
    MonthlyTotal,
    Receipt,
    Syringe,
    SyringeStatus,
    TreatmentSession,
    Vial,
)

NANO = 10**9

DRAWN = "drawn"  # key: product id; count: draws; volume: µL drawn
VIAL_WASTE = "vial_waste"  # key: reason; count: vials; volume: µL thrown away; cost
SYRINGE_WASTE = "syringe_waste"  # key: reason; count: syringes; volume; cost (the syringe's share)
ADMINISTERED = "administered"  # key: ""; count: administrations, by the day given
SESSIONS = "sessions"  # key: indication; count: sessions with something given, by the day started
SESSION_SYRINGES = "session_syringes"  # key: indication; count: syringes given; cost; by session start

CHUNK = 500


@dataclass(frozen=True)
class Figure:
    metric: str
    day: date
    key: str
    count: int = 0
    volume_ul: int = 0
    cost_nano: int = 0


AnySession = Session | scoped_session[Any]
Totals = dict[tuple[str, date, str], tuple[int, int, int]]
EventLots = set[tuple[int, int, int]]  # (event id, lot id, patient id)
Exposures = set[tuple[int, int, int]]  # (lot id, administration id, patient id)


def nano(value: Fraction) -> int:
    """A cost in minor units as billionths, rounded half up."""
    return int((value * NANO + Fraction(1, 2)) // 1)


def local_day(moment: datetime) -> date:
    return clock.local(moment).date()


def month_of(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


# ---- the one function every change goes through ---------------------------------------------------


def add(figures: Iterable[Figure]) -> None:
    """Add figures to the day totals, in the caller's transaction (an upsert per day, metric and key)."""
    merged: Totals = {}
    for figure in figures:
        key = (figure.metric, figure.day, figure.key)
        count, volume, cost = merged.get(key, (0, 0, 0))
        merged[key] = (count + figure.count, volume + figure.volume_ul, cost + figure.cost_nano)
    if not merged:
        return
    dialect = db.session.get_bind().dialect.name
    for model, period, totals in (
        (DailyTotal, "day", merged),
        (MonthlyTotal, "month", fold_months(merged)),
    ):
        rows = [
            {"metric": m, period: d, "key": k, "count": c, "volume_ul": v, "cost_nano": n}
            for (m, d, k), (c, v, n) in totals.items()
        ]
        db.session.execute(_upsert(model.__table__, period, dialect), rows)


@cache
def _upsert(table: Table, period: str, dialect: str) -> Any:
    """Built once per table: INSERT of one row ON CONFLICT adding to the row already there, run for
    every row of the figures at once (an executemany; `add` passes each (metric, period, key) once). A
    multi-row VALUES, one statement, is never cached by SQLAlchemy: it was compiled again at every scan
    (a third of a good scan's time)."""
    builder: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    names = ("metric", period, "key", "count", "volume_ul", "cost_nano")
    statement = builder(table).values({name: bindparam(name, type_=table.c[name].type) for name in names})
    return statement.on_conflict_do_update(
        index_elements=["metric", period, "key"],
        set_={name: table.c[name] + statement.excluded[name] for name in ("count", "volume_ul", "cost_nano")},
    )


def fold_months(totals: Totals) -> Totals:
    """Day totals summed per calendar month (the key's date becomes the month's first day)."""
    months: dict[tuple[str, date, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for (metric, day, key), (count, volume, cost) in totals.items():
        row = months[(metric, month_of(day), key)]
        row[0] += count
        row[1] += volume
        row[2] += cost
    return {key: (row[0], row[1], row[2]) for key, row in months.items()}


# ---- the events ------------------------------------------------------------------------------------


def drawn(draws: Sequence[Draw]) -> None:
    add(Figure(DRAWN, local_day(d.drawn_at), str(d.product_id), 1, d.volume_ul) for d in draws)


def vial_wasted(vial: Vial) -> None:
    """A vial discarded with `waste_ul` left in it (after the discard is written)."""
    if not vial.waste_ul:
        return
    moment = vial.discarded_at or vial.opened_at or clock.now()
    unit_cost = db.session.scalar(select(Receipt.unit_cost_minor).where(Receipt.id == vial.receipt_id)) or 0
    cost = _vial_cost(vial.waste_ul, unit_cost, vial.initial_ul)
    add([Figure(VIAL_WASTE, local_day(moment), vial.discard_reason or "other", 1, vial.waste_ul, cost)])


def syringe_discarded(syringe: Syringe) -> None:
    if syringe.discarded_at is None:
        return
    share = nano(syringe_shares([syringe.batch_id]).get(syringe.batch_id, Fraction(0)))
    day = local_day(syringe.discarded_at)
    add([Figure(SYRINGE_WASTE, day, syringe.discard_reason or "other", 1, syringe.volume_ul, share)])


class Administered(Protocol):
    """What `administration_counted` reads of an administration: an ORM row, or the scan's values."""

    @property
    def id(self) -> int: ...
    @property
    def session_id(self) -> int: ...
    @property
    def syringe_id(self) -> int: ...
    @property
    def administered_at(self) -> datetime: ...


@dataclass(frozen=True)
class CountedAs:
    """What `administration_counted` needs of the administration's session and syringe."""

    started_at: datetime  # the session's: its figures are the day it started
    indication: str
    patient_id: int
    batch_id: int  # the syringe's


def administration_counted(
    administration: Administered, *, given: bool = True, known: CountedAs | None = None
) -> None:
    """An administration starts (given=True) or stops (given=False, e.g. voided) counting as given.
    Call it after the change is flushed: whether the session still has something given is read.

    Five statements: the syringe's cost share, one read of the session's other given administrations
    and adverse events, one upsert of the day's figures and one of the month's, and the administration's lots
    added to (or removed from) the lots' exposures. The session's and the syringe's values are read
    unless the caller `known` them (the scan has just read both)."""
    sign = 1 if given else -1
    counted = known or _counted_as(administration)
    share = nano(syringe_shares([counted.batch_id]).get(counted.batch_id, Fraction(0)))
    others = (
        select(func.count(Administration.id))
        .where(
            Administration.session_id == administration.session_id,
            Administration.id != administration.id,
            Administration.given(),
        )
        .scalar_subquery()
    )
    events = select(AdverseEvent.id).where(AdverseEvent.session_id == administration.session_id).exists()
    other_given, has_events = db.session.execute(select(others, events)).one()
    started = local_day(counted.started_at)
    figures = [
        Figure(ADMINISTERED, local_day(administration.administered_at), "", sign),
        Figure(SESSION_SYRINGES, started, counted.indication, sign, 0, sign * share),
    ]
    if not other_given:
        figures.append(Figure(SESSIONS, started, counted.indication, sign))
    add(figures)
    if given:
        _expose(administration, counted.batch_id, counted.patient_id)
    else:
        db.session.execute(delete(LotExposure).where(LotExposure.administration_id == administration.id))
    if has_events:  # what the session's adverse events were exposed to changes with what it was given
        event_lots_changed(
            db.session.scalars(
                select(AdverseEvent.id).where(AdverseEvent.session_id == administration.session_id)
            )
        )


def _counted_as(administration: Administered) -> CountedAs:
    treatment = db.session.get(TreatmentSession, administration.session_id)
    syringe = db.session.get(Syringe, administration.syringe_id)
    assert treatment is not None  # foreign keys of a flushed row
    assert syringe is not None
    return CountedAs(treatment.started_at, treatment.indication, treatment.patient_id, syringe.batch_id)


def _expose(administration: Administered, batch_id: int, patient_id: int) -> None:
    """The lots drawn into the administration's batch, each exposed by it (one INSERT … SELECT)."""
    lots = (
        select(Vial.lot_id, literal(administration.id), literal(patient_id))
        .select_from(Draw)
        .join(Vial, Vial.id == Draw.vial_id)
        .where(Draw.batch_id == batch_id)
        .distinct()
    )
    db.session.execute(insert(LotExposure).from_select(["lot_id", "administration_id", "patient_id"], lots))


def patients_moved(session_ids: Sequence[int], patient_id: int) -> None:
    """These sessions now belong to this patient (a merge): so do their administrations' exposures."""
    for start in range(0, len(session_ids), CHUNK):
        administrations = select(Administration.id).where(
            Administration.session_id.in_(session_ids[start : start + CHUNK])
        )
        db.session.execute(
            update(LotExposure)
            .where(LotExposure.administration_id.in_(administrations))
            .values(patient_id=patient_id)
            .execution_options(synchronize_session=False)
        )


def lot_exposures_changed(administration_ids: Iterable[int]) -> None:
    """Replace the exposures of these administrations by what the raw rows say now, in the caller's
    transaction (for writers past `administration_counted`: test factories)."""
    ids = sorted(set(administration_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        db.session.execute(delete(LotExposure).where(LotExposure.administration_id.in_(chunk)))
        db.session.execute(
            insert(LotExposure).from_select(
                ["lot_id", "administration_id", "patient_id"],
                _lot_exposures().where(Administration.id.in_(chunk)),
            )
        )


def adverse_event_recorded(event: AdverseEvent) -> None:
    """AE-01: a new event (flushed) is exposed to the lots of what its session was given."""
    event_lots_changed([event.id])


def event_lots_changed(event_ids: Iterable[int]) -> None:
    """Replace the lots of these adverse events by what the raw rows say now, in the caller's
    transaction (an event's session has a handful of administrations: a few rows each)."""
    ids = sorted(set(event_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        db.session.execute(delete(AdverseEventLot).where(AdverseEventLot.event_id.in_(chunk)))
        db.session.execute(
            insert(AdverseEventLot).from_select(
                ["event_id", "lot_id", "patient_id"], _exposures().where(AdverseEvent.id.in_(chunk))
            )
        )


def _exposures() -> Any:
    """(event, lot, patient): every lot in every syringe given in the event's session (AE-01: a cocktail
    counts against each of its lots), the event's patient; a voided administration exposes nobody."""
    return (
        select(AdverseEvent.id, Vial.lot_id, AdverseEvent.patient_id)
        .select_from(AdverseEvent)
        .join(Administration, Administration.session_id == AdverseEvent.session_id)
        .join(Syringe, Syringe.id == Administration.syringe_id)
        .join(Draw, Draw.batch_id == Syringe.batch_id)
        .join(Vial, Vial.id == Draw.vial_id)
        .where(Administration.given())
        .distinct()
    )


def _lot_exposures() -> Any:
    """(lot, administration, patient): every lot in the syringe of every administration given (RCL-03: a
    cocktail counts against each of its lots), the session's patient; a voided one exposes nobody."""
    return (
        select(Vial.lot_id, Administration.id, TreatmentSession.patient_id)
        .select_from(Administration)
        .join(TreatmentSession, TreatmentSession.id == Administration.session_id)
        .join(Syringe, Syringe.id == Administration.syringe_id)
        .join(Draw, Draw.batch_id == Syringe.batch_id)
        .join(Vial, Vial.id == Draw.vial_id)
        .where(Administration.given())
        .distinct()
    )


# ---- costs -----------------------------------------------------------------------------------------


def _vial_cost(volume_ul: int, unit_cost_minor: int, initial_ul: int) -> int:
    return nano(Fraction(volume_ul * unit_cost_minor, initial_ul)) if initial_ul else 0


def batch_costs(batch_ids: Iterable[int], session: AnySession | None = None) -> dict[int, Fraction]:
    """What went into each batch: each draw's volume at its vial's cost per µL (receipt cost / volume).
    Ids go in chunks: one long IN list lets SQLite's planner, once it has statistics, scan every draw."""
    session = session or db.session
    ids = sorted(set(batch_ids))
    costs: dict[int, Fraction] = defaultdict(Fraction)
    for start in range(0, len(ids), CHUNK):
        query = (
            select(Draw.batch_id, Draw.volume_ul, Receipt.unit_cost_minor, Vial.initial_ul)
            .join(Vial, Draw.vial_id == Vial.id)
            .join(Receipt, Vial.receipt_id == Receipt.id)
            .where(Draw.batch_id.in_(ids[start : start + CHUNK]))
        )
        for batch_id, volume, unit_cost, initial in session.execute(query):
            costs[batch_id] += Fraction(volume * unit_cost, initial) if initial else Fraction(0)
    return costs


def syringe_shares(batch_ids: Iterable[int], session: AnySession | None = None) -> dict[int, Fraction]:
    """The cost of one syringe of each batch: the batch's cost (as `batch_costs`) shared by its
    syringes, read with the batch's syringe count in one query per chunk of ids."""
    session = session or db.session
    ids = sorted(set(batch_ids))
    costs: dict[int, Fraction] = defaultdict(Fraction)
    counts: dict[int, int] = {}
    for start in range(0, len(ids), CHUNK):
        query = (
            select(Batch.id, Batch.syringe_count, Draw.volume_ul, Receipt.unit_cost_minor, Vial.initial_ul)
            .select_from(Batch)
            .outerjoin(Draw, Draw.batch_id == Batch.id)
            .outerjoin(Vial, Draw.vial_id == Vial.id)
            .outerjoin(Receipt, Vial.receipt_id == Receipt.id)
            .where(Batch.id.in_(ids[start : start + CHUNK]))
        )
        for batch_id, count, volume, unit_cost, initial in session.execute(query):
            counts[batch_id] = int(count)
            if volume is not None and unit_cost is not None and initial:
                costs[batch_id] += Fraction(volume * unit_cost, initial)
    return {batch_id: costs.get(batch_id, Fraction(0)) / max(1, counts.get(batch_id, 1)) for batch_id in ids}


# ---- from the raw rows -----------------------------------------------------------------------------


def recompute(session: AnySession | None = None) -> Totals:
    """Every total computed afresh from the raw rows (draws, vials, syringes, administrations)."""
    session = session or db.session
    totals: dict[tuple[str, date, str], list[int]] = defaultdict(lambda: [0, 0, 0])

    def put(metric: str, day: date, key: str, count: int, volume_ul: int = 0, cost_nano: int = 0) -> None:
        row = totals[(metric, day, key)]
        row[0] += count
        row[1] += volume_ul
        row[2] += cost_nano

    zone = clock.clinic_zone()
    draws = select(Draw.product_id, Draw.drawn_at, Draw.volume_ul)
    for product_id, drawn_at, volume in session.execute(draws):
        put(DRAWN, drawn_at.astimezone(zone).date(), str(product_id), 1, volume)
    vials = (
        select(
            func.coalesce(Vial.discarded_at, Vial.opened_at),
            Vial.discard_reason,
            Vial.waste_ul,
            Vial.initial_ul,
            Receipt.unit_cost_minor,
        )
        .join(Receipt, Vial.receipt_id == Receipt.id)
        .where(Vial.waste_ul > 0)
    )
    for moment, reason, waste, initial, unit_cost in session.execute(vials):
        if moment is not None:
            cost = _vial_cost(waste, unit_cost, initial)
            put(VIAL_WASTE, _as_utc(moment).astimezone(zone).date(), reason or "other", 1, waste, cost)
    discarded = list(
        session.execute(
            select(Syringe.discarded_at, Syringe.discard_reason, Syringe.volume_ul, Syringe.batch_id).where(
                Syringe.status == SyringeStatus.DISCARDED, Syringe.discarded_at.is_not(None)
            )
        )
    )
    given = list(
        session.execute(
            select(
                Administration.administered_at,
                TreatmentSession.id,
                TreatmentSession.started_at,
                TreatmentSession.indication,
                Syringe.batch_id,
            )
            .join(TreatmentSession, TreatmentSession.id == Administration.session_id)
            .join(Syringe, Syringe.id == Administration.syringe_id)
            .where(Administration.given())
        )
    )
    batch_ids = [row[3] for row in discarded] + [row[4] for row in given]
    shares = {batch_id: nano(share) for batch_id, share in syringe_shares(batch_ids, session).items()}
    for discarded_at, reason, volume, batch_id in discarded:
        assert discarded_at is not None  # the query's filter
        day = discarded_at.astimezone(zone).date()
        put(SYRINGE_WASTE, day, reason or "other", 1, volume, shares[batch_id])
    sessions: set[int] = set()
    for administered_at, session_id, started_at, indication, batch_id in given:
        started = started_at.astimezone(zone).date()
        put(ADMINISTERED, administered_at.astimezone(zone).date(), "", 1)
        put(SESSION_SYRINGES, started, indication, 1, 0, shares[batch_id])
        if session_id not in sessions:
            sessions.add(session_id)
            put(SESSIONS, started, indication, 1)
    return {key: (row[0], row[1], row[2]) for key, row in totals.items()}


def _as_utc(moment: datetime | str) -> datetime:
    """COALESCE of two timestamps comes back untyped from SQLite: a string, read as UTC."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stored() -> Totals:
    """The totals as kept (rows that add up to nothing are left out, as `recompute` never makes them)."""
    rows = db.session.execute(
        select(
            DailyTotal.metric,
            DailyTotal.day,
            DailyTotal.key,
            DailyTotal.count,
            DailyTotal.volume_ul,
            DailyTotal.cost_nano,
        )
    )
    return {(m, d, k): (c, v, n) for m, d, k, c, v, n in rows if (c, v, n) != (0, 0, 0)}


def stored_monthly() -> Totals:
    rows = db.session.execute(
        select(
            MonthlyTotal.metric,
            MonthlyTotal.month,
            MonthlyTotal.key,
            MonthlyTotal.count,
            MonthlyTotal.volume_ul,
            MonthlyTotal.cost_nano,
        )
    )
    return {(m, d, k): (c, v, n) for m, d, k, c, v, n in rows if (c, v, n) != (0, 0, 0)}


def recompute_monthly(session: AnySession | None = None) -> Totals:
    """The monthly totals afresh from the raw rows (the days of `recompute`, summed per month)."""
    return fold_months(recompute(session))


def recompute_event_lots(session: AnySession | None = None) -> EventLots:
    session = session or db.session
    return {(int(e), int(lot), int(p)) for e, lot, p in session.execute(_exposures())}


def stored_event_lots() -> EventLots:
    rows = db.session.execute(
        select(AdverseEventLot.event_id, AdverseEventLot.lot_id, AdverseEventLot.patient_id)
    )
    return {(int(e), int(lot), int(p)) for e, lot, p in rows}


def recompute_lot_exposures(session: AnySession | None = None) -> Exposures:
    session = session or db.session
    return {(int(lot), int(a), int(p)) for lot, a, p in session.execute(_lot_exposures())}


def stored_lot_exposures() -> Exposures:
    rows = db.session.execute(
        select(LotExposure.lot_id, LotExposure.administration_id, LotExposure.patient_id)
    )
    return {(int(lot), int(a), int(p)) for lot, a, p in rows}


def rebuild(session: AnySession | None = None) -> int:
    """Replace every summary by what the raw rows give, in the caller's transaction; returns the daily
    rows written."""
    session = session or db.session
    written = rebuild_daily(session)
    rebuild_monthly(session)
    rebuild_event_lots(session)
    rebuild_lot_exposures(session)
    return written


def rebuild_daily(session: AnySession | None = None) -> int:
    """Replace every daily total by `recompute()`; the migration that created the table back-fills it
    with this, on the migration's connection."""
    session = session or db.session
    return _replace(session, DailyTotal, "day", recompute(session))


def rebuild_monthly(session: AnySession | None = None) -> int:
    session = session or db.session
    return _replace(session, MonthlyTotal, "month", recompute_monthly(session))


def rebuild_event_lots(session: AnySession | None = None) -> None:
    session = session or db.session
    session.execute(delete(AdverseEventLot))
    session.execute(insert(AdverseEventLot).from_select(["event_id", "lot_id", "patient_id"], _exposures()))


def rebuild_lot_exposures(session: AnySession | None = None) -> None:
    """Replace every lot's exposures by the raw rows' (one INSERT … SELECT; the migration back-fills so)."""
    session = session or db.session
    session.execute(delete(LotExposure))
    session.execute(
        insert(LotExposure).from_select(["lot_id", "administration_id", "patient_id"], _lot_exposures())
    )


def _replace(
    session: AnySession, model: type[DailyTotal] | type[MonthlyTotal], period: str, totals: Totals
) -> int:
    session.execute(delete(model))
    rows = [
        {"metric": m, period: d, "key": k, "count": c, "volume_ul": v, "cost_nano": n}
        for (m, d, k), (c, v, n) in totals.items()
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(model), rows[start : start + 5000])
    return len(rows)


BucketRow = tuple[str, int, str, int, int, int]


def totals_by_bucket(
    metrics: Sequence[str], starts: Sequence[date], first: date, last: date
) -> list[BucketRow]:
    """(metric, bucket index, key, count, volume µL, cost nano) summed in SQL per bucket: the buckets
    begin on `starts` (ascending; the weeks or months of a report), days from `first` through `last`.

    When every bucket after the first begins on the first of a month (a report by month, or a single
    bucket), the whole months inside the period come from the monthly totals and only the days of a
    month it covers in part from the daily ones: 36 rows per key for three years, not 1,100."""
    if not starts:
        return []
    parts = []
    ranges = [(first, last)]
    if all(start.day == 1 for start in starts[1:]):
        whole_first = first if first.day == 1 else _next_month(first)
        whole_last = month_of(last + timedelta(days=1)) - timedelta(days=1)  # the last whole month's end
        if whole_first <= whole_last:
            parts.append(_summed(MonthlyTotal.month, metrics, starts, whole_first, month_of(whole_last)))
            ranges = [(first, whole_first - timedelta(days=1)), (whole_last + timedelta(days=1), last)]
    parts += [_summed(DailyTotal.day, metrics, starts, low, high) for low, high in ranges if low <= high]
    if not parts:
        return []
    statement: Any = union_all(*parts) if len(parts) > 1 else parts[0]
    summed: dict[tuple[str, int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for metric, index, key, count, volume, cost in db.session.execute(statement):
        _accumulate(summed, metric, int(index), key, int(count), int(volume), int(cost))
    return [(m, b, k, c, v, n) for (m, b, k), (c, v, n) in summed.items()]


def _accumulate(
    summed: dict[tuple[str, int, str], list[int]],
    metric: str,
    index: int,
    key: str,
    count: int,
    volume: int,
    cost: int,
) -> None:
    row = summed[(metric, index, key)]
    row[0] += count
    row[1] += volume
    row[2] += cost


def _summed(column: Any, metrics: Sequence[str], starts: Sequence[date], low: date, high: date) -> Any:
    """The daily or the monthly totals (`column` is the day or the month) from `low` through `high`,
    summed per bucket in SQL; only the buckets the range touches go into the CASE."""
    model = column.class_
    touched = list(range(max(0, bisect_right(starts, low) - 1), max(1, bisect_right(starts, high))))
    bucket: ColumnElement[Any] = literal(touched[0])
    if len(touched) > 1:
        whens = [(column < starts[index + 1], index) for index in touched[:-1]]
        bucket = case(*whens, else_=touched[-1])
    return (
        select(
            model.metric,
            bucket.label("bucket"),
            model.key,
            func.sum(model.count),
            func.sum(model.volume_ul),
            func.sum(model.cost_nano),
        )
        .where(model.metric.in_(metrics), column >= low, column <= high)
        .group_by(model.metric, "bucket", model.key)
    )
