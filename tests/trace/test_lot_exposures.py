"""The lots' exposures behind the lot trace, the recalls and the lot CSV (RCL-03 at scale): kept by the
services in the same transaction as each change, they always equal what the raw rows give when
recomputed (on SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from inventory import create_app, demo
from inventory.extensions import db
from inventory.models import Batch, Draw, LotExposure, Recipe, Syringe, User, Vial
from inventory.services import (
    lot_trace,
    patients,
    scanning,
    sessions,
    summaries,
    trace,
    transaction,
    usability,
)
from tests.support import fresh_database

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def in_request(app: Any) -> Iterator[None]:
    """Services word their errors in the request's language: give them a request."""
    with app.test_request_context():
        yield


def _cocktail() -> tuple[Syringe, Batch, Recipe, list[int]]:
    """An available syringe of a batch that drew from two lots or more (the demo prepares them through
    the batches service), with its recipe and the batch's lots."""
    lots = (
        select(Draw.batch_id)
        .join(Vial, Vial.id == Draw.vial_id)
        .group_by(Draw.batch_id)
        .having(func.count(func.distinct(Vial.lot_id)) > 1)
    )
    candidates = db.session.execute(
        select(Syringe, Batch, Recipe)
        .join(Batch, Batch.id == Syringe.batch_id)
        .join(Recipe, Recipe.id == Batch.recipe_id)
        .where(Syringe.status == "available", Batch.id.in_(lots))
        .order_by(Syringe.id)
    ).all()
    verdicts = usability.syringe_verdicts([row[0].id for row in candidates])
    usable = [row for row in candidates if verdicts[row[0].id].blocked_reason is None]
    assert usable, "the demo has no cocktail left to give"
    syringe, batch, recipe = usable[0]
    lot_ids = db.session.scalars(
        select(Vial.lot_id).join(Draw, Draw.vial_id == Vial.id).where(Draw.batch_id == batch.id).distinct()
    )
    return syringe, batch, recipe, sorted(lot_ids)


def _exposures_of(administration_id: int) -> set[tuple[int, int]]:
    """(lot, patient) of one administration, as kept."""
    return {
        (lot, patient)
        for lot, administration, patient in summaries.stored_lot_exposures()
        if administration == administration_id
    }


def test_rcl_03_lot_exposures_kept_by_the_services_equal_the_raw_rows(app: Any, in_request: None) -> None:
    """A cocktail of two lots given at the chair, its patient merged into another record, the scan voided:
    after each, the lots' exposures kept (through scanning, patients and sessions) are what the raw rows
    give, and the lot trace, the recall preview and the CSV count what they say."""
    from inventory.services import recalls

    demo.load()
    before = summaries.stored_lot_exposures()
    assert before, "the demo's scans went through the service"
    assert before == summaries.recompute_lot_exposures()

    practitioner = db.session.scalars(select(User).where(User.username == "practitioner")).one()
    syringe, batch, recipe, lot_ids = _cocktail()
    assert len(lot_ids) >= 2
    patient = patients.create_patient(
        {"name": "Zeynep Arslan", "date_of_birth": date(1988, 2, 3), "phone": "+90 555 000 3344"},
        confirm_new=True,
    )
    opened = sessions.open_session(
        batch.patient_id or patient.id, recipe.indication, "face", practitioner=practitioner
    )
    given_to = opened.session.patient_id
    counts_before = {lot_id: lot_trace.lot_page(lot_id).counts for lot_id in lot_ids}
    outcome = scanning.scan(opened.session.id, syringe.code, user=practitioner, site="face")
    assert outcome.administration is not None, outcome.reasons
    administration_id = outcome.administration.id
    kept = summaries.stored_lot_exposures()
    assert kept == summaries.recompute_lot_exposures()
    assert _exposures_of(administration_id) == {(lot_id, given_to) for lot_id in lot_ids}
    for lot_id in lot_ids:  # counted against each of its lots
        counts = lot_trace.lot_page(lot_id).counts
        assert counts.administrations == counts_before[lot_id].administrations + 1
        assert given_to in {row.id for row in recalls.preview(lot_id=lot_id).patients}
        _number, chunks = lot_trace.lot_csv(lot_id)
        assert (
            f'"{given_to}","{opened.session.patient.name}","{opened.session.id}","{syringe.code}"'
            in "".join(chunks)
        )

    other = patients.create_patient(
        {"name": "Merve Kaya", "date_of_birth": date(1990, 5, 17), "phone": "+90 555 000 1122"},
        confirm_new=True,
    )
    patients.merge_patients(given_to, other.id)
    moved = summaries.stored_lot_exposures()
    assert moved == summaries.recompute_lot_exposures()
    assert _exposures_of(administration_id) == {(lot_id, other.id) for lot_id in lot_ids}
    assert not any(patient_id == given_to for _lot, _administration, patient_id in moved)
    assert other.id in {row.id for row in trace.exposed_patients(lot_ids[0])}

    sessions.void_administration(administration_id, "not_given", user=practitioner)
    voided = summaries.stored_lot_exposures()
    assert voided == summaries.recompute_lot_exposures()
    assert _exposures_of(administration_id) == set()
    assert voided == before
    for lot_id in lot_ids:
        assert lot_trace.lot_page(lot_id).counts == counts_before[lot_id]


def test_rcl_03_lot_exposures_rebuilt_from_the_raw_rows(app: Any, in_request: None) -> None:
    """Bulk loads past the services (the demo generator) rebuild the exposures: the same rows."""
    demo.load()
    kept = summaries.stored_lot_exposures()
    assert kept
    with transaction():
        db.session.execute(delete(LotExposure))
    assert summaries.stored_lot_exposures() == set()
    with transaction():
        summaries.rebuild()
    assert summaries.stored_lot_exposures() == kept


def test_rcl_03_lot_exposures_back_filled_by_their_migration(tmp_path: Path) -> None:
    """A database with history before the summary existed: the migration fills it from the raw rows."""
    with fresh_database(tmp_path) as url:
        env = {"DATABASE_URL": url, "PATH": str(Path(sys.executable).parent), "SECRET_KEY": "x"}
        for command in (
            ["db", "upgrade"],
            ["demo", "load"],
            ["db", "downgrade", "i16b_monthly_totals"],
            ["db", "upgrade"],
        ):
            result = subprocess.run(
                [sys.executable, "-m", "flask", "--app", "wsgi", *command],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode == 0, result.stdout + result.stderr
        migrated = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
        with migrated.app_context():
            try:
                back_filled = summaries.stored_lot_exposures()
                assert back_filled
                assert back_filled == summaries.recompute_lot_exposures()
            finally:
                db.session.remove()
                db.engine.dispose()
