"""The chair under real concurrency (threads, each with its own app context and database session, on a
SQLite file or PostgreSQL): a syringe is given or discarded, never both; nothing is given in a closed
session; an administration is voided once (SAFE-06, SAFE-14)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from inventory.errors import DomainError
from inventory.extensions import db as _db
from inventory.models import Administration, AdministrationVoid, Syringe, TreatmentSession, User
from inventory.services import batches, scanning, sessions
from tests import factories
from tests.clinic.conftest import Made
from tests.concurrency.test_draw_race import _race

#: ``RACE_RUNS=20`` runs each race twenty times in a row (the issue's bar); once by default.
RUNS = int(os.environ.get("RACE_RUNS", "1"))
repeated = pytest.mark.parametrize("run", range(RUNS))


def _one_each(jobs: list[Callable[[], Any]]) -> Callable[[], Any]:
    """A work function for ``_race`` that runs a different job in each thread (list.pop is atomic)."""

    def work() -> Any:
        return jobs.pop()()

    return work


def _user(user_id: int) -> User:
    user = _db.session.get(User, user_id)
    assert user is not None
    return user


def _given_count(syringe_id: int) -> int:
    return int(
        _db.session.scalar(
            select(func.count(Administration.id)).where(
                Administration.syringe_id == syringe_id, Administration.given()
            )
        )
        or 0
    )


@repeated
def test_safe_06_discard_and_scan_at_once_give_or_discard_never_both(
    app: Flask, make_syringe: Callable[..., Made], run: int
) -> None:
    practitioner = factories.UserFactory(roles=("practitioner",))
    nurse = factories.UserFactory(roles=("nurse",))
    treatment = factories.SessionFactory(practitioner=practitioner)
    made = make_syringe()
    code, syringe_id, session_id = made.syringe.code, made.syringe.id, treatment.id
    doctor_id, nurse_id = practitioner.id, nurse.id

    def scan() -> Any:
        return scanning.scan(session_id, code, user=_user(doctor_id)).reasons

    def discard() -> Any:
        return batches.discard_syringe(code, "damaged", "", _user(nurse_id)).status

    results = _race(app, 2, _one_each([scan, discard]))

    _db.session.expire_all()
    status = _db.session.get(Syringe, syringe_id).status
    given = _given_count(syringe_id)
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(error, DomainError) for error in errors), errors
    if status == "administered":
        assert given == 1
        assert [getattr(e, "code", None) for e in errors] == ["already_administered"]
    else:
        assert status == "discarded"
        assert given == 0
        assert [] not in results  # the scan did not answer green
        assert not errors


@repeated
def test_safe_06_close_and_scan_at_once_record_nothing_after_the_close(
    app: Flask, make_syringe: Callable[..., Made], run: int
) -> None:
    practitioner = factories.UserFactory(roles=("practitioner",))
    treatment = factories.SessionFactory(practitioner=practitioner)
    made = make_syringe()
    code, session_id, doctor_id, syringe_id = (
        made.syringe.code,
        treatment.id,
        practitioner.id,
        made.syringe.id,
    )

    def scan() -> Any:
        return scanning.scan(session_id, code, user=_user(doctor_id)).reasons

    def close() -> Any:
        return sessions.close_session(session_id, user=_user(doctor_id)).status

    results = _race(app, 2, _one_each([scan, close]))

    _db.session.expire_all()
    assert "closed" in results
    scanned = next(r for r in results if r != "closed")
    closed_at = _db.session.get(TreatmentSession, session_id).closed_at
    administered = list(
        _db.session.scalars(select(Administration).where(Administration.session_id == session_id))
    )
    if scanned == []:
        assert len(administered) == 1
        assert closed_at is not None
        assert administered[0].administered_at <= closed_at
        assert _db.session.get(Syringe, syringe_id).status == "administered"
    else:
        assert scanned == ["session_closed"]
        assert administered == []
        assert _db.session.get(Syringe, syringe_id).status == "available"


@repeated
def test_safe_14_two_voids_at_once_void_once(app: Flask, make_syringe: Callable[..., Made], run: int) -> None:
    practitioner = factories.UserFactory(roles=("practitioner",))
    admin = factories.UserFactory(roles=("admin",))
    treatment = factories.SessionFactory(practitioner=practitioner)
    made = make_syringe()
    _db.session.commit()
    with app.test_request_context():
        outcome = scanning.scan(treatment.id, made.syringe.code, user=practitioner)
    assert outcome.administration is not None
    administration_id, syringe_id = outcome.administration.id, made.syringe.id
    doctor_id, admin_id = practitioner.id, admin.id

    def void_by(user_id: int, reason: str) -> Callable[[], Any]:
        return lambda: sessions.void_administration(administration_id, reason, user=_user(user_id)).reason

    results = _race(app, 2, _one_each([void_by(doctor_id, "not_given"), void_by(admin_id, "dropped")]))

    _db.session.expire_all()
    codes = [r.code if isinstance(r, DomainError) else r for r in results]
    assert "already_voided" in codes, results
    winner = next(code for code in codes if code != "already_voided")
    assert winner in ("not_given", "dropped")
    voids = _db.session.scalar(
        select(func.count(AdministrationVoid.id)).where(
            AdministrationVoid.administration_id == administration_id
        )
    )
    assert voids == 1
    assert _db.session.get(Syringe, syringe_id).status == (
        "available" if winner == "not_given" else "discarded"
    )


@repeated
def test_safe_14_two_scans_at_once_in_one_session_give_one_and_the_other_waits(
    app: Flask, make_syringe: Callable[..., Made], run: int
) -> None:
    """The second scan waits for the session's lock, then sees the first one's administration still to
    confirm: it is refused (`previous_pending`), not given too."""
    practitioner = factories.UserFactory(roles=("practitioner",))
    treatment = factories.SessionFactory(practitioner=practitioner)
    codes = [make_syringe().syringe.code for _ in range(2)]
    session_id, doctor_id = treatment.id, practitioner.id

    def scan(code: str) -> Callable[[], Any]:
        return lambda: scanning.scan(session_id, code, user=_user(doctor_id)).reasons

    results = _race(app, 2, _one_each([scan(code) for code in codes]))

    _db.session.expire_all()
    refused = [r for r in results if isinstance(r, DomainError)]
    assert [error.code for error in refused] == ["previous_pending"], results
    assert [r for r in results if not isinstance(r, DomainError)] == [[]]
    given = _db.session.scalar(
        select(func.count(Administration.id)).where(Administration.session_id == session_id)
    )
    assert given == 1
