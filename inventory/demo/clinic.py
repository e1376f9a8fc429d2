"""Demo patients with Turkish names, their past sessions and a session open today, made through the
services and marked as demo.

`load()` comes after the catalogue (it needs the demo practitioner) and before the compounding demo
(which prepares an immediate-use syringe for the first patient). `load_administrations()` comes after
the compounding demo: it scans the released demo syringes in today's session, one green and, as a near
miss, the same syringe again.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import date, datetime, time, timedelta

from flask import current_app, has_request_context
from sqlalchemy import select

from inventory import clock
from inventory.extensions import db
from inventory.models.clinic import Patient, SessionStatus, TreatmentSession
from inventory.models.compounding import Batch, BatchStatus, Recipe, Syringe, SyringeStatus
from inventory.models.users import User
from inventory.services import patients, scanning, sessions, transaction

log = logging.getLogger(__name__)

# name, date of birth, record number, phone, email
DEMO_PATIENTS: tuple[tuple[str, date, str, str, str], ...] = (
    ("Ayşe Işık", date(1988, 4, 12), "DEMO-0001", "+90 532 111 22 33", "ayse.isik@example.org"),
    ("Çağla Öztürk", date(1992, 11, 3), "DEMO-0002", "+90 533 444 55 66", "cagla.ozturk@example.org"),
    ("İpek Şahin", date(1979, 7, 21), "DEMO-0003", "+90 535 777 88 99", ""),
    ("Gülşen Yıldırım", date(1985, 1, 30), "DEMO-0004", "+90 536 123 45 67", "gulsen@example.org"),
    ("Oğuz Kılıç", date(1990, 9, 9), "DEMO-0005", "+90 537 765 43 21", ""),
    ("Şule Doğan", date(1975, 3, 17), "DEMO-0006", "+90 538 222 33 44", "sule.dogan@example.org"),
)

# patient index, days ago, indication, area (a past visit, closed)
PAST_SESSIONS: tuple[tuple[int, int, str, str], ...] = (
    (0, 28, "skin", "face"),
    (0, 14, "skin", "face"),
    (1, 10, "hair", "scalp"),
    (3, 35, "cellulite", "thighs"),
)


# patient index, substance, reaction (SAFE-12): the cellulite patient must never get lidocaine.
DEMO_ALLERGIES: tuple[tuple[int, str, str], ...] = (
    (3, "lidocaine", "Hives and swelling after a dental anaesthetic"),
)


def _practitioner() -> User | None:
    return db.session.scalar(select(User).where(User.username == "practitioner"))


def _clinic_hour(days_ago: int, hour: int) -> datetime:
    day = clock.today() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, 0), tzinfo=clock.clinic_zone())


def load() -> None:
    """Demo patients and sessions, once (nothing when patients exist already)."""
    if db.session.scalar(select(Patient.id).limit(1)) is not None:
        return
    practitioner = _practitioner()
    if practitioner is None:
        return
    context = nullcontext() if has_request_context() else current_app.test_request_context()
    with context:
        made = [_patient(*row) for row in DEMO_PATIENTS]
        for index, substance, reaction in DEMO_ALLERGIES:
            patients.add_allergy(made[index].id, substance, reaction, user=practitioner)
        for index, days_ago, indication, area in PAST_SESSIONS:
            _past_session(made[index], days_ago, indication, area, practitioner)
        sessions.open_session(made[1].id, "hair", "scalp", practitioner=practitioner)


def _patient(name: str, birth: date, mrn: str, phone: str, email: str) -> Patient:
    patient = patients.create_patient(
        {"name": name, "date_of_birth": birth, "mrn": mrn, "phone": phone, "email": email}
    )
    with transaction():
        patient.is_demo = True
    return patient


def _past_session(patient: Patient, days_ago: int, indication: str, area: str, practitioner: User) -> None:
    with clock.frozen_at(_clinic_hour(days_ago, 10)):
        opened = sessions.open_session(patient.id, indication, area, practitioner=practitioner)
        clock.advance(timedelta(minutes=40))
        sessions.close_session(opened.session.id, user=practitioner)


def load_administrations() -> None:
    """Scan the released demo syringes that are for anyone in today's open demo session."""
    practitioner = _practitioner()
    today = db.session.scalar(
        select(TreatmentSession)
        .where(TreatmentSession.status == SessionStatus.OPEN)
        .order_by(TreatmentSession.id.desc())
        .limit(1)
    )
    if practitioner is None or today is None:
        return
    codes = list(
        db.session.scalars(
            select(Syringe.code)
            .join(Batch, Batch.id == Syringe.batch_id)
            .join(Recipe, Recipe.id == Batch.recipe_id)
            .where(
                Syringe.status == SyringeStatus.AVAILABLE,
                Batch.status == BatchStatus.RELEASED,
                Batch.patient_id.is_(None),
                Recipe.indication == today.indication,
            )
            .order_by(Syringe.id)
            .limit(1)
        )
    )
    context = nullcontext() if has_request_context() else current_app.test_request_context()
    with context:
        for code in codes:
            outcome = scanning.scan(today.id, code, user=practitioner, site="scalp")
            log.info("demo scan of %s: %s", code, outcome.reasons or "ok")
            if outcome.administration is not None:  # "Given": the next scan is taken
                sessions.confirm_identity(today.id, outcome.administration.id, user=practitioner)
            scanning.scan(today.id, code.lower(), user=practitioner, site="scalp")  # a near miss
