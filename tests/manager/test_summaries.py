"""The daily totals behind the reports and the dashboard: kept by the services in the same transaction
as each change, they always equal what the raw rows give when recomputed (on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from inventory import demo
from inventory.extensions import db
from inventory.models import Administration, DailyTotal, Syringe, User, Vial, VialStatus
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
