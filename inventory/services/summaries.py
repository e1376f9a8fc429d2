"""Daily totals: what the reports and the dashboard sum over windows of years, kept per clinic day.

A report of three years reads about a thousand days of totals instead of every draw, discard and
administration of those years, so its cost does not grow with the history. The totals are kept in the
same transaction as each change by the services, through one function per event, all of them going
through `add`:

- `drawn(draws)`: batches when they draw from vials;
- `vial_wasted(vial)`: the stock service when it discards a vial with something left in it;
- `syringe_discarded(syringe)`: batches when a syringe is discarded;
- `administration_counted(administration, given=True)`: scanning when it records an administration, and
  with `given=False` whatever stops an administration counting as given (voiding one, issue 11).

Bulk loads that bypass the services (the demo generator, test factories) call `rebuild()`, which
recomputes every total from the raw rows (`recompute`), the same computation the migration back-fills
with and the tests compare against.

Costs are kept in billionths of a minor unit (`cost_nano`): exact for every cost the app computes to
nine decimals of a minor unit, rounded half up to whole minor units only where a figure is shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, insert, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, scoped_session

from inventory import clock
from inventory.extensions import db
from inventory.models import (
    Administration,
    Batch,
    DailyTotal,
    Draw,
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


def nano(value: Fraction) -> int:
    """A cost in minor units as billionths, rounded half up."""
    return int((value * NANO + Fraction(1, 2)) // 1)


def local_day(moment: datetime) -> date:
    return clock.local(moment).date()


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
    rows = [
        {"metric": m, "day": d, "key": k, "count": c, "volume_ul": v, "cost_nano": n}
        for (m, d, k), (c, v, n) in merged.items()
    ]
    dialect = db.session.get_bind().dialect.name
    builder: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = builder(DailyTotal)
    statement = statement.on_conflict_do_update(
        index_elements=["metric", "day", "key"],
        set_={
            "count": DailyTotal.count + statement.excluded.count,
            "volume_ul": DailyTotal.volume_ul + statement.excluded.volume_ul,
            "cost_nano": DailyTotal.cost_nano + statement.excluded.cost_nano,
        },
    )
    db.session.execute(statement, rows)


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


def administration_counted(administration: Administration, *, given: bool = True) -> None:
    """An administration starts (given=True) or stops (given=False, e.g. voided) counting as given.
    Call it after the change is flushed: whether the session still has something given is read."""
    sign = 1 if given else -1
    started_at, indication = db.session.execute(
        select(TreatmentSession.started_at, TreatmentSession.indication).where(
            TreatmentSession.id == administration.session_id
        )
    ).one()
    batch_id = db.session.scalar(select(Syringe.batch_id).where(Syringe.id == administration.syringe_id))
    share = nano(syringe_shares([batch_id]).get(batch_id, Fraction(0))) if batch_id else 0
    started = local_day(started_at)
    figures = [
        Figure(ADMINISTERED, local_day(administration.administered_at), "", sign),
        Figure(SESSION_SYRINGES, started, indication, sign, 0, sign * share),
    ]
    others = db.session.scalar(
        select(func.count(Administration.id)).where(
            Administration.session_id == administration.session_id,
            Administration.id != administration.id,
            Administration.given(),
        )
    )
    if not others:
        figures.append(Figure(SESSIONS, started, indication, sign))
    add(figures)


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
    """The cost of one syringe of each batch: the batch's cost shared by its syringes."""
    session = session or db.session
    ids = sorted(set(batch_ids))
    costs = batch_costs(ids, session)
    counts: dict[int, int] = {}
    for start in range(0, len(ids), CHUNK):
        query = select(Batch.id, Batch.syringe_count).where(Batch.id.in_(ids[start : start + CHUNK]))
        counts.update((int(batch_id), int(count)) for batch_id, count in session.execute(query))
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


def rebuild(session: AnySession | None = None) -> int:
    """Replace every total by `recompute()`, in the caller's transaction; returns the rows written.
    The migration that created the table back-fills it with this, on the migration's connection."""
    session = session or db.session
    totals = recompute(session)
    session.execute(delete(DailyTotal))
    rows = [
        {"metric": m, "day": d, "key": k, "count": c, "volume_ul": v, "cost_nano": n}
        for (m, d, k), (c, v, n) in totals.items()
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(DailyTotal), rows[start : start + 5000])
    return len(rows)


BucketRow = tuple[str, int, str, int, int, int]


def totals_by_bucket(
    metrics: Sequence[str], starts: Sequence[date], first: date, last: date
) -> list[BucketRow]:
    """(metric, bucket index, key, count, volume µL, cost nano) summed in SQL per bucket: the buckets
    begin on `starts` (ascending; the weeks or months of a report), days from `first` through `last`."""
    if not starts:
        return []
    bucket: ColumnElement[Any] = literal(0)
    if len(starts) > 1:
        whens = [(DailyTotal.day < start, index) for index, start in enumerate(starts[1:])]
        bucket = case(*whens, else_=len(starts) - 1)
    query = (
        select(
            DailyTotal.metric,
            bucket.label("bucket"),
            DailyTotal.key,
            func.sum(DailyTotal.count),
            func.sum(DailyTotal.volume_ul),
            func.sum(DailyTotal.cost_nano),
        )
        .where(DailyTotal.metric.in_(metrics), DailyTotal.day >= first, DailyTotal.day <= last)
        .group_by(DailyTotal.metric, "bucket", DailyTotal.key)
    )
    return [(m, int(b), k, int(c), int(v), int(n)) for m, b, k, c, v, n in db.session.execute(query)]
