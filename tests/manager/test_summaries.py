"""The daily totals behind the reports and the dashboard: kept by the services in the same transaction
as each change, they always equal what the raw rows give when recomputed (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from inventory import demo
from inventory.extensions import db
from inventory.models import (
    Administration,
    AdverseEvent,
    AdverseEventLot,
    DailyTotal,
    MonthlyTotal,
    Syringe,
    User,
    Vial,
    VialStatus,
)
from inventory.services import batches, stock, summaries, transaction
from inventory.services.reports import Period


def _manager() -> User:
    return db.session.scalars(select(User).where(User.username == "manager")).one()


def _totals_by_metric(totals: summaries.Totals) -> dict[str, int]:
    counts: dict[str, int] = {}
    for (metric, _day, _key), (count, _volume, _cost) in totals.items():
        counts[metric] = counts.get(metric, 0) + count
    return counts


def test_summaries_kept_by_the_services_equal_the_raw_rows(app: Any, in_request: None) -> None:
    """The demo goes through the real services: receiving, batches (draws, immediate-use remainders
    discarded), scans at the chair; then a vial with something left and a syringe are discarded."""
    demo.load()
    manager = _manager()
    vial = db.session.scalars(
        select(Vial).where(Vial.status.in_([VialStatus.OPEN, VialStatus.SEALED]), Vial.remaining_ul > 0)
    ).first()
    assert vial is not None
    stock.discard_vial(vial.id, "contaminated", "dropped on the floor", user=manager)
    spare = db.session.scalars(select(Syringe).where(Syringe.status == "available")).first()
    assert spare is not None
    batches.discard_syringe(spare.code, "damaged", "", manager)

    kept = summaries.stored()
    recomputed = summaries.recompute()
    assert kept == recomputed
    by_metric = _totals_by_metric(kept)
    assert by_metric[summaries.DRAWN] > 0
    assert by_metric[summaries.ADMINISTERED] == db.session.query(Administration).count()
    assert by_metric[summaries.VIAL_WASTE] >= 1
    assert by_metric[summaries.SYRINGE_WASTE] == 1


def test_summaries_rebuild_from_raw_rows_is_what_the_migration_back_fills(app: Any, in_request: None) -> None:
    demo.load()
    before = summaries.stored()
    with transaction():
        db.session.execute(DailyTotal.__table__.delete())  # type: ignore[attr-defined]
    assert summaries.stored() == {}
    with transaction():
        written = summaries.rebuild()
    assert written == len(before)
    assert summaries.stored() == before


def test_summaries_an_administration_no_longer_given_leaves_the_totals(app: Any, in_request: None) -> None:
    """The hook for voiding (issue 11): given=False takes the syringe, its cost share and, when it was
    the session's only one, the session off the totals of its days."""
    from inventory.services import reports

    demo.load()
    administration = db.session.scalars(select(Administration).order_by(Administration.id)).first()
    assert administration is not None
    day = summaries.local_day(administration.administered_at)
    period = Period(day, day)
    given_before = sum(count for _key, count in reports.syringes_administered(period))
    with transaction():
        summaries.administration_counted(administration, given=False)
    given_after = sum(count for _key, count in reports.syringes_administered(period))
    assert given_after == given_before - 1
    with transaction():
        summaries.administration_counted(administration, given=True)
    assert summaries.stored() == summaries.recompute()


# ---- monthly totals --------------------------------------------------------------------------------


def test_summaries_monthly_totals_kept_with_the_daily_ones_equal_the_raw_rows(
    app: Any, in_request: None
) -> None:
    """`add` keeps each figure's month beside its day: after the demo's services and a void, the months
    kept are the raw rows recomputed and summed per month."""
    demo.load()
    manager = _manager()
    vial = db.session.scalars(
        select(Vial).where(Vial.status.in_([VialStatus.OPEN, VialStatus.SEALED]), Vial.remaining_ul > 0)
    ).first()
    assert vial is not None
    stock.discard_vial(vial.id, "contaminated", "", user=manager)
    administration = db.session.scalars(select(Administration).order_by(Administration.id)).first()
    assert administration is not None
    with transaction():
        summaries.administration_counted(administration, given=False)
        summaries.administration_counted(administration, given=True)
    monthly = summaries.stored_monthly()
    assert monthly
    assert monthly == summaries.recompute_monthly()
    assert monthly == summaries.fold_months(summaries.stored())
    assert {month.day for _metric, month, _key in monthly} == {1}


def test_summaries_rebuild_restores_every_summary(app: Any, in_request: None) -> None:
    demo.load()
    _exposed_event()
    before = (summaries.stored(), summaries.stored_monthly(), summaries.stored_event_lots())
    assert all(before)
    with transaction():
        for model in (DailyTotal, MonthlyTotal, AdverseEventLot):
            db.session.execute(delete(model))
    assert (summaries.stored(), summaries.stored_monthly(), summaries.stored_event_lots()) == ({}, {}, set())
    with transaction():
        summaries.rebuild()
    assert (summaries.stored(), summaries.stored_monthly(), summaries.stored_event_lots()) == before


@pytest.mark.parametrize(
    ("first", "last", "grain"),
    [
        ("2026-01-10", "2026-05-20", "month"),  # part of a month at each end, whole months between
        ("2026-02-01", "2026-04-30", "month"),  # whole months only
        ("2026-03-03", "2026-03-29", "month"),  # inside one month
        ("2026-01-10", "2026-05-20", "week"),  # weeks: the daily totals alone
        ("2025-12-15", "2026-06-14", "single"),  # one bucket, as the waste and cost tables ask
    ],
)
def test_summaries_totals_by_bucket_from_months_and_days_equal_the_days_alone(
    app: Any, in_request: None, first: str, last: str, grain: str
) -> None:
    """The report's sums, whole months read from the monthly totals and the rest from the days, are
    what the daily totals alone give, bucket by bucket."""
    from inventory.services import reports

    start, end = date.fromisoformat(first), date.fromisoformat(last)
    day = start - timedelta(days=40)
    figures = []
    while day <= end + timedelta(days=40):
        figures.append(summaries.Figure(summaries.DRAWN, day, str(day.weekday() % 3), 1, day.day * 10))
        figures.append(summaries.Figure(summaries.VIAL_WASTE, day, "expired", 2, 5, day.toordinal()))
        day += timedelta(days=1)
    with transaction():
        summaries.add(figures)
    period = reports.Period(start, end)
    starts = [start] if grain == "single" else reports.buckets(period, reports.Grain(grain))
    metrics = [summaries.DRAWN, summaries.VIAL_WASTE]
    found = summaries.totals_by_bucket(metrics, starts, start, end)
    expected: dict[tuple[str, int, str], list[int]] = {}
    for (metric, on, key), (count, volume, cost) in summaries.stored().items():
        if metric in metrics and start <= on <= end:
            index = max(i for i, bucket in enumerate(starts) if bucket <= on)
            row = expected.setdefault((metric, index, key), [0, 0, 0])
            row[0], row[1], row[2] = row[0] + count, row[1] + volume, row[2] + cost
    assert {(m, b, k): [c, v, n] for m, b, k, c, v, n in found} == expected
    assert len(found) == len(expected)


# ---- the adverse events' lots (AE-02) -----------------------------------------------------------------


def _exposed_event() -> tuple[AdverseEvent, Administration]:
    """An adverse event, through the service, on the demo's open session (one syringe given)."""
    from inventory import clock
    from inventory.services import vigilance

    administration = db.session.scalars(select(Administration).order_by(Administration.id.desc())).first()
    assert administration is not None
    practitioner = db.session.scalars(select(User).where(User.username == "practitioner")).one()
    event = vigilance.record_adverse_event(
        session_id=administration.session_id,
        onset_at=clock.now(),
        severity="mild",
        description="Redness at the site",
        outcome="",
        reporter=practitioner,
    )
    return event, administration


def test_summaries_event_lots_kept_by_the_services_equal_the_raw_rows(app: Any, in_request: None) -> None:
    """An event recorded before anything is given, then a syringe given in its session, the patient
    merged into another record, the administration voided: after each, the adverse events' lots kept
    (through vigilance, scanning, patients and sessions) are what the raw rows give."""
    from inventory import clock
    from inventory.models import Batch, Recipe
    from inventory.services import patients, scanning, sessions, vigilance

    demo.load()
    practitioner = db.session.scalars(select(User).where(User.username == "practitioner")).one()
    found = db.session.execute(  # the demo's syringe made for one patient
        select(Syringe, Batch, Recipe)
        .join(Batch, Batch.id == Syringe.batch_id)
        .join(Recipe, Recipe.id == Batch.recipe_id)
        .where(Syringe.status == "available", Batch.patient_id.is_not(None))
    ).first()
    assert found is not None
    syringe, batch, recipe = found
    assert batch.patient_id is not None
    opened = sessions.open_session(batch.patient_id, recipe.indication, "face", practitioner=practitioner)
    event = vigilance.record_adverse_event(
        session_id=opened.session.id,
        onset_at=clock.now(),
        severity="mild",
        description="Redness at the site",
        outcome="",
        reporter=practitioner,
    )
    assert summaries.stored_event_lots() == summaries.recompute_event_lots() == set()

    outcome = scanning.scan(opened.session.id, syringe.code, user=practitioner, site="face")
    assert outcome.administration is not None, outcome.reasons
    kept = summaries.stored_event_lots()
    assert kept == summaries.recompute_event_lots()
    assert {(e, p) for e, _lot, p in kept} == {(event.id, batch.patient_id)}

    other = patients.create_patient(
        {"name": "Merve Kaya", "date_of_birth": date(1990, 5, 17), "phone": "+90 555 000 1122"},
        confirm_new=True,
    )
    patients.merge_patients(batch.patient_id, other.id)
    moved = summaries.stored_event_lots()
    assert moved == summaries.recompute_event_lots()
    assert {(e, p) for e, _lot, p in moved} == {(event.id, other.id)}

    sessions.void_administration(outcome.administration.id, "not_given", user=practitioner)
    assert summaries.stored_event_lots() == summaries.recompute_event_lots() == set()
