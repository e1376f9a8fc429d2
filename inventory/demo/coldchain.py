"""Demo cold chain (domain.md §5 demo): a room cabinet and a fridge, a month of fridge readings twice a
workday, and one excursion 12 days ago, closed with a decision for every lot and batch held.

``load_units`` runs before the demo stock (receiving puts vials into the unit of their storage);
``load`` runs last, through the reading and excursion services."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from inventory import clock
from inventory.extensions import db
from inventory.models.coldchain import StorageUnit
from inventory.models.users import User
from inventory.services import excursions, readings, storage

FRIDGE = "Fridge A"
CABINET = "Cabinet 1"
DAYS = 30
EXCURSION_DAY = 12  # days ago
#: A fridge keeps 3-6 °C; the pattern repeats so the demo is the same on every load.
PATTERN = (42, 45, 51, 38, 47, 55, 40, 44, 49, 36)


def _user(username: str) -> User:
    user: User | None = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise RuntimeError(f"the demo user {username!r} must be loaded first")
    return user


def load_units() -> None:
    manager = _user("manager")
    storage.create_unit(storage.UnitRequest(name=CABINET, kind="room"), user=manager)
    storage.create_unit(storage.UnitRequest(name=FRIDGE, kind="fridge"), user=manager)


def _at(days_ago: int, hour: int, minute: int) -> datetime:
    day = clock.today() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, minute), tzinfo=clock.clinic_zone())


def load() -> None:
    nurse, manager = _user("nurse"), _user("manager")
    fridge = db.session.scalar(select(StorageUnit).where(StorageUnit.name == FRIDGE))
    if fridge is None:
        raise RuntimeError("load_units must run first")
    excursion_id = None
    index = 0
    for days_ago in range(DAYS, 0, -1):
        for hour, minute in ((8, 30), (17, 30)):
            at = _at(days_ago, hour, minute)
            now = PATTERN[index % len(PATTERN)]
            index += 1
            request = readings.ReadingRequest(temperature_dc=now, min_dc=now - 6, max_dc=now + 7, at=at)
            if days_ago == EXCURSION_DAY and hour == 17:
                # The door was left ajar over the afternoon: 9.4 °C now, 11.2 °C at worst.
                request = readings.ReadingRequest(temperature_dc=94, min_dc=41, max_dc=112, at=at)
            with clock.frozen_at(at + timedelta(minutes=2)):
                recorded = readings.record_reading(fridge.id, request, user=nurse)
            if recorded.excursion_id is not None and excursion_id is None:
                excursion_id = recorded.excursion_id
    if excursion_id is None:
        raise RuntimeError("the demo excursion did not open")
    _decide(excursion_id, manager)


def _decide(excursion_id: int, manager: User) -> None:
    """COLD-04: every lot and batch held is released on the manufacturers' stability data."""
    shown = excursions.view(excursions.get_excursion(excursion_id))
    with clock.frozen_at(_at(EXCURSION_DAY - 1, 10, 0)):
        for lot in shown.lots:
            excursions.decide(
                excursion_id,
                excursions.DecisionRequest(
                    decision="release",
                    reason="Manufacturer's stability data: up to 25 °C for 72 h (letter DEMO-2026-01)",
                    lot_id=lot.id,
                ),
                user=manager,
            )
        for batch in shown.batches:
            excursions.decide(
                excursion_id,
                excursions.DecisionRequest(
                    decision="release",
                    reason="Under 12 h above 8 °C: BUD shortened to room limits",
                    batch_id=batch.id,
                ),
                user=manager,
            )
